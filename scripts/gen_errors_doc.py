#!/usr/bin/env python3
"""Regenerate docs/errors.md from the message catalogue."""

from pathlib import Path

from xl_addin.errors import markdown

target = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
target.write_text(markdown(), encoding="utf-8")
print(target)
