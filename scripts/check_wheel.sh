#!/usr/bin/env bash
# The kit as IT installs it: a real (non-editable) wheel, installed into a fresh virtual environment
# and run from a folder outside the repository, so definitions, demo data and the add-in's VBA can
# only come from the package itself. Run by scripts/test.sh (and so by CI).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK" "$ROOT/build"' EXIT
PY="$ROOT/.venv/bin/python"

"$PY" -m pip wheel -q --no-deps -w "$WORK/wheel" "$ROOT"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$WORK"/wheel/cchc_report_kit-*.whl
"$PY" "$ROOT/build_templates.py" --out "$WORK/dist" >/dev/null

mkdir "$WORK/elsewhere"
cd "$WORK/elsewhere"
export CCHC_CACHE_DIR="$WORK/cache" CCHC_LOG_DIR="$WORK/log"
unset CCHC_TEMPLATES LOCALAPPDATA PYTHONPATH
CCHC="$WORK/venv/bin/cchc"
"$CCHC" fields --json > fields.json
"$WORK/venv/bin/python" -m xl_addin.cli fields --json > fields-module.json
cmp fields.json fields-module.json
"$WORK/venv/bin/python" - "$WORK/venv" <<'PY'
import json
import sys
from pathlib import Path

data = json.loads(Path("fields.json").read_text(encoding="utf-8"))
venv = Path(sys.argv[1]).resolve()
where = Path(data["definitions"]["path"]).resolve()
assert data["definitions"]["source"] == "packaged", data["definitions"]
assert venv in where.parents and where.parts[-2:] == ("xl_addin", "workbook_templates"), where
assert len(data["fields"]) > 50 and data["template"]["id"] == "cchc"
print(f"wheel: {len(data['fields'])} fields from {where}")
PY
"$CCHC" demo --out "$WORK/demo" > demo.log 2>&1 || { cat demo.log; exit 1; }
BOOK="$(find "$WORK/demo/2-so-tinh-da-dien" -name '*.xlsx' -print -quit)"
test -n "$BOOK"
# the no-add-in route from the wheel alone: exit 0 or 1 (rule errors), both outputs written
"$CCHC" check "$BOOK" --out "$WORK/kiem tra & bao cao" > check.log 2>&1 || [ $? -eq 1 ] || { cat check.log; exit 1; }
test -f "$WORK/kiem tra & bao cao/$(basename "$BOOK" .xlsx)_kiem-tra.xlsx"
test -f "$WORK/kiem tra & bao cao/$(basename "$BOOK" .xlsx)_bao-cao.docx"
# cchc history with the wheel's own dependencies (pandas among them) on the demo's summary
"$CCHC" history "$WORK/demo/4-tong-hop" -o "$WORK/xu-huong.xlsx" --csv "$WORK/bang-dai.csv" > history.log 2>&1 \
  || { cat history.log; exit 1; }
test -s "$WORK/xu-huong.xlsx" && test -s "$WORK/bang-dai.csv"
"$CCHC" addin build -o "$WORK/cchc.xlam" >/dev/null
cmp "$WORK/cchc.xlam" "$WORK/dist/cchc.xlam"
echo "wheel: cchc fields, cchc demo, cchc check, cchc history and cchc addin build (same bytes as dist/cchc.xlam) from the installed wheel"
