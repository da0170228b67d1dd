#!/usr/bin/env bash
# Second command of the README: the whole test suite. Installs the test requirements and
# Debian's chromium (for the real-browser tests) when they are missing.
set -euo pipefail
source "$(dirname "$0")/scripts/venv.sh"
install_venv requirements.txt requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests"
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
