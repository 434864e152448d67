"""Labels of the sheets and columns the tool writes (kept as data in ``ui.yaml``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .memo import cached, freeze
from .yamlio import SafeLoader


@cached()
def labels() -> Mapping[str, Any]:
    with (Path(__file__).with_name("ui.yaml")).open(encoding="utf-8") as fh:
        return freeze(yaml.load(fh, Loader=SafeLoader))


def ui(key: str) -> Any:
    node: Any = labels()
    for part in key.split("."):
        node = node[part]
    return node


def ui_text(key: str, /, **params: Any) -> str:
    """The label ``key`` with its ``{placeholders}`` filled in (NFC, as every text the tool writes)."""
    return unicodedata.normalize("NFC", ui(key).format(**params))
