"""Docs that the tests keep true: commands, buttons and messages are all documented."""

from __future__ import annotations

import re

from xl_addin.cli import app
from xl_addin.errors import catalogue, markdown

from conftest import ROOT


def test_errors_doc_is_current_and_complete():
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert doc == markdown(), "docs/errors.md is stale: run python scripts/gen_errors_doc.py"
    for code in catalogue():
        assert f"### `{code}`" in doc


def test_every_message_has_an_action_and_is_nfc():
    import unicodedata

    for code, entry in catalogue().items():
        assert entry.get("message") and entry.get("action"), code
        assert unicodedata.normalize("NFC", entry["message"]) == entry["message"], code


def test_every_cli_command_is_documented_with_help():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = []
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        names.append(name)
        assert command.callback.__doc__, name
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            names.append(f"{group.name} {command.name}")
    for name in names:
        if name in ("version",):
            continue
        assert re.search(rf"cchc {re.escape(name)}\b", readme), f"`cchc {name}` is not in the README"


def test_every_ribbon_button_is_in_the_guides():
    xml = (ROOT / "macros" / "customUI14.xml").read_text(encoding="utf-8")
    labels = re.findall(r'<button[^>]*label="([^"]+)"', xml)
    guide = (ROOT / "xl_addin" / "huong_dan.html").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for label in labels:
        assert label in guide, label
        assert label in readme, label
