"""Values worked out once per object: a loaded definition, its layout, a parsed expression, the
template's locked structure. A merge asks for the same field map, plan or compiled formula for
every file it reads; these are computed at the first request and kept.

The key is the object's identity, and each entry holds the object itself, so an id is never
reused while its entry lives. The objects are never changed once built (a test that changes a
definition works on a deep copy: a new object, new entries).
"""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")
LIMIT = 16_384  # entries; past it the cache starts afresh (each entry is cheap to rebuild)
_CACHE: dict[tuple[int, str], tuple[object, object]] = {}


def per_object(obj: object, what: str, build: Callable[[], T]) -> T:
    """``build()`` for ``obj``, computed once and kept under ``what``."""
    key = (id(obj), what)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]  # type: ignore[return-value]
    value = build()
    if len(_CACHE) >= LIMIT:
        _CACHE.clear()
    _CACHE[key] = (obj, value)
    return value
