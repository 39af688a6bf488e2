#!/usr/bin/env bash
# Install into .venv, then start Sinergi with the NTT default dataset on the embedded SQLite database.
source "$(dirname "$0")/_env.sh"
exec sinergi up "$@"
