"""The one catalogue of user-visible messages and the exception that carries them.

Every message a user can see has a stable code in ``messages.yaml``; code raises
``CchcError(code, **params)`` and the CLI, the ribbon and the merge show ``err.message``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path

import yaml

from .memo import cached, freeze
from .yamlio import SafeLoader

_CATALOGUE_PATH = Path(__file__).with_name("messages.yaml")


def catalogue_files() -> list[Path]:
    """The catalogue: ``messages.yaml`` plus one ``messages.yaml`` per stage sub-package."""
    return [_CATALOGUE_PATH, *sorted(Path(__file__).parent.glob("*/messages.yaml"))]


@cached()
def catalogue() -> Mapping[str, Mapping[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in catalogue_files():
        with path.open(encoding="utf-8") as fh:
            part = yaml.load(fh, Loader=SafeLoader) or {}
        clash = sorted(set(part) & set(merged))
        if clash:
            raise KeyError(f"message codes declared twice ({path}): {clash}")
        merged.update(part)
    return freeze(merged)


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "…"


def render(code: str, /, **params: object) -> str:
    entry = catalogue()[code]
    text = entry["message"].format_map(_Default({k: "" if v is None else v for k, v in params.items()}))
    return unicodedata.normalize("NFC", text)


class CchcError(Exception):
    """A failure the user can act on. ``code`` is a key of the message catalogue."""

    def __init__(self, code: str, /, **params: object) -> None:
        if code not in catalogue():
            raise KeyError(f"message code {code!r} is not in messages.yaml")
        self.code = code
        self.params = params
        super().__init__(render(code, **params))

    @property
    def message(self) -> str:
        return str(self)

    @property
    def action(self) -> str:
        return catalogue()[self.code]["action"]


def markdown() -> str:
    """``docs/errors.md``: every message a user can see, with what to do about it."""
    from .ui import ui

    head = ui("errors_doc")
    lines = [head["title"], "", *head["intro"], ""]
    for path in catalogue_files():
        with path.open(encoding="utf-8") as fh:
            part = yaml.load(fh, Loader=SafeLoader) or {}
        if not part:
            continue
        lines += [f"## {path.relative_to(_CATALOGUE_PATH.parent.parent).as_posix()}", ""]
        for code, entry in part.items():
            message = " ".join(entry["message"].split())
            action = " ".join(entry["action"].split())
            lines += [f"### `{code}`", "", f"> {message}", "", head["action"] + action, ""]
    return "\n".join(lines).rstrip() + "\n"


def default_log() -> Path:
    """Where the command line (and a merge's worker processes) write technical details."""
    import os
    import tempfile

    return Path(os.environ.get("CCHC_LOG_DIR") or tempfile.gettempdir()) / "cchc.log"


def log_exception(path: Path, context: str) -> Path:
    """Append the current traceback to ``path`` (for IT staff); the user sees a catalogue message."""
    import traceback

    return _append(path, f"{context}\n{traceback.format_exc()}")


def log_line(path: Path, text: str) -> Path:
    """Append one line to the log (something went wrong where there is no traceback to keep)."""
    return _append(path, text + "\n")


def _append(path: Path, text: str) -> Path:
    """One log entry: a stamped header line, then ``text``; a log that cannot be written is skipped."""
    import datetime as dt

    from . import __version__

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat()} cchc {__version__} {text}")
    except OSError:
        pass
    return path
