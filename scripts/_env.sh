# Shared set-up for scripts/up.sh and scripts/test.sh: a local virtual environment with the project installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtual environment .venv ($("$PY" --version))"
  "$PY" -m venv .venv
fi
STAMP=.venv/.sinergi-installed
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || [ requirements.lock -nt "$STAMP" ]; then
  # Exactly the versions (and files, by SHA-256) of requirements.lock, then Sinergi itself without resolving
  # anything again (docs/dependencies.md; regenerate the lock with `bash scripts/lock.sh`).
  echo "==> installing Sinergi and its locked dependencies into .venv"
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
