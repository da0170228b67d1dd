#!/usr/bin/env bash
# First command of the README: install (once), build and ingest the demo for the
# configured province (once), create demo accounts, serve on http://127.0.0.1:8050.
# Extra arguments go to `ioc demo` (e.g. --no-serve, --port 8060).
set -euo pipefail
source "$(dirname "$0")/scripts/venv.sh"
install_venv requirements.txt
exec .venv/bin/ioc demo "$@"
