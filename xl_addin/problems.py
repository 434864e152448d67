"""What a reader or a check found in one cell (``Problem``), and values made plain for JSON.

A leaf module: it imports nothing else of the package (its callers render the message)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass
class Problem:
    code: str
    cell: str
    value: Any
    message: str
    field: str | None = None
    # how the finding counts (error | warning | info), from the catalogue; None: an error
    importance: str | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "cell": self.cell, "value": to_jsonable(self.value), "message": self.message,
                "field": self.field, "importance": self.importance or "error"}


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value
