#!/usr/bin/env bash
# Install everything the tests need (LibreOffice and poppler from Debian, Python packages into
# .venv), run the whole suite, ruff, mypy and vulture, then check the wheel as IT installs it (scripts/check_wheel.sh).
# `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
DEBS="libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils fonts-liberation fonts-liberation2 fonts-dejavu-core python3-venv"
missing=""
for pkg in $DEBS; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# xlwings' remote engine (used to record what the add-in code does) needs a licence key; this
# is an open, noncommercial tool for public offices, which PolyForm Noncommercial permits.
export XLWINGS_LICENSE_KEY="${XLWINGS_LICENSE_KEY:-noncommercial}"
.venv/bin/python -m pytest -q "$@"
# lint, types and dead code (pinned in the test extra, configured in pyproject.toml)
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/vulture
bash scripts/check_wheel.sh
