"""Sheet protection settings, kept in Python (never in VBA or in the workbook).

The password stops accidental edits of labels and formulas; it is not a secret. The add-in
unprotects, writes and re-protects with it, with exactly the permissions the template builder
gives every sheet (``protect_sheet``), so a protected sheet looks the same whoever protected it.
"""

from __future__ import annotations

from typing import Any

PASSWORD = "cchc-2026"

#: What a clerk may still do on a protected sheet: widen columns and rows (nothing else).
#: openpyxl's attributes say what is *locked*; Excel's Protect arguments what is *allowed*.
OPENPYXL_PROTECTION: dict[str, bool] = {"formatColumns": False, "formatRows": False}
COM_PROTECTION: dict[str, bool] = {"DrawingObjects": False, "Contents": True, "Scenarios": False,
                                   "AllowFormattingColumns": True, "AllowFormattingRows": True}


def protect_sheet(ws: Any) -> None:
    """Protect an openpyxl worksheet as the template does."""
    ws.protection.set_password(PASSWORD)
    ws.protection.sheet = True
    for key, value in OPENPYXL_PROTECTION.items():
        setattr(ws.protection, key, value)
