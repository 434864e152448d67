"""Sheet protection settings, kept in Python (never in VBA or in the workbook).

The password stops accidental edits of labels and formulas; it is not a secret. The add-in
unprotects, writes and re-protects with it.
"""

PASSWORD = "cchc-2026"
