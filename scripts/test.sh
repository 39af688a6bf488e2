#!/usr/bin/env bash
# Install into .venv, start the services the tests need, run the checks and the whole suite on SQLite and on
# PostgreSQL. Exit non-zero when anything fails.
source "$(dirname "$0")/_env.sh"

# Browser tests drive Debian's Chromium through Playwright.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  echo "==> installing chromium"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "WARNING: could not install chromium"
fi

# PostgreSQL on 127.0.0.1:5432 (trust auth); start the local cluster if it is down.
PG_URL="${SINERGI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
fi

export SINERGI_DATA_DIR="${SINERGI_DATA_DIR:-$(mktemp -d)}"
status=0
echo "==> static checks (ruff, import-linter, mypy on the engine, migrations)"
ruff check . || status=1
lint-imports || status=1
mypy sinergi/engine || status=1
DJANGO_SETTINGS_MODULE=config.settings.test python manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "missing migrations"; status=1; }

echo "==> doctests of every engine module"
pytest -p no:cacheprovider -q --doctest-modules sinergi/engine || status=1

echo "==> test suite on SQLite"
env -u DATABASE_URL pytest -p no:cacheprovider "$@" || status=1

echo "==> test suite on PostgreSQL ($PG_URL)"
DATABASE_URL="$PG_URL" pytest -p no:cacheprovider "$@" || status=1

echo "==> API fuzzing, short run (schemathesis, two users of different scope; SQLite; fails on 5xx, schema violations or leaks)"
env -u DATABASE_URL python -m sinergi.cli bench api-fuzz --short || status=1

exit $status
