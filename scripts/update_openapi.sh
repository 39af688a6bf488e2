#!/bin/sh
# Regenerate the committed OpenAPI schema (docs/api/openapi.yaml) from the code.
# tests/test_openapi.py fails when the committed file and the code disagree.
set -eu
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$DATA_DIR"' EXIT
DJANGO_SETTINGS_MODULE=config.settings.test SINERGI_DATA_DIR="$DATA_DIR" \
  "$PY" manage.py spectacular --api-version v1 --validate --file docs/api/openapi.yaml
echo "wrote docs/api/openapi.yaml"
