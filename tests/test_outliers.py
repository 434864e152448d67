"""Outliers of a merge (``xl_addin/merge/outliers.py``) with the thresholds of the real definition
(``merge.outliers`` in report.yaml): jumps against the previous period, values far from the
units of the same level, and a threshold changed as data changes the outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xl_addin.definition.loader import load_definition
from xl_addin.merge.outliers import far_from_peers, jumps
from xl_addin.merge.summary_layout import UnitRow


@pytest.fixture(scope="module")
def definition():
    return load_definition()


def _row(code: str, level: str = "xa", status: str = "on_time", **values) -> UnitRow:
    return UnitRow(code, f"Xã {code}", status, 0, level, 0, values)


def test_jump_needs_both_values_of_at_least_ten_and_a_factor_of_ten(definition):
    previous = {"1": _row("1", pbgdpl_so_nguoi=40), "2": _row("2", pbgdpl_so_nguoi=40),
                "3": _row("3", pbgdpl_so_nguoi=5), "4": _row("4", pbgdpl_so_nguoi=400),
                "5": _row("5", pbgdpl_so_nguoi=400)}
    rows = [_row("1", pbgdpl_so_nguoi=400), _row("2", pbgdpl_so_nguoi=396), _row("3", pbgdpl_so_nguoi=600),
            _row("4", pbgdpl_so_nguoi=40), _row("5", pbgdpl_so_nguoi=41)]
    found = {(o.unit, o.code) for o in jumps(definition, rows, previous)}
    assert found == {("1", "merge_outlier_jump_up"), ("4", "merge_outlier_jump_down")}
    [up] = [o for o in jumps(definition, rows, previous) if o.unit == "1"]
    assert up.kind == "jump" and up.importance == "warning" and "gấp 10" in up.reason and "40" in up.reason


def test_a_rate_jumps_when_it_moves_more_than_twenty_points(definition):
    previous = {"1": _row("1", ty_le_hai_long=Decimal("95")), "2": _row("2", ty_le_hai_long=Decimal("95"))}
    rows = [_row("1", ty_le_hai_long=Decimal("74.9")), _row("2", ty_le_hai_long=Decimal("75"))]
    found = jumps(definition, rows, previous)
    assert [(o.unit, o.code) for o in found] == [("1", "merge_outlier_jump_rate")]


def test_a_missing_unit_has_no_jump(definition):
    previous = {"1": _row("1", pbgdpl_so_nguoi=40)}
    assert jumps(definition, [_row("1", status="missing")], previous) == []


def _peers(values: list, level: str = "xa", key: str = "pbgdpl_so_nguoi") -> list[UnitRow]:
    return [_row(f"{i:02d}", level, **{key: v}) for i, v in enumerate(values)]


def test_far_from_peers_on_the_log_of_amounts(definition):
    values = [300, 320, 350, 280, 400, 310, 330, 360, 290, 30000]
    found = [o for o in far_from_peers(definition, _peers(values)) if o.field == "pbgdpl_so_nguoi"]
    assert [o.unit for o in found] == ["09"] and found[0].kind == "far_from_peers"
    assert "cùng cấp xã" in found[0].reason
    # fewer than eight units of the level: nothing is said
    assert not [o for o in far_from_peers(definition, _peers(values[-7:])) if o.field == "pbgdpl_so_nguoi"]
    # another level does not count as a peer
    mixed = _peers(values[:5]) + _peers(values[5:], level="phuong")
    assert not [o for o in far_from_peers(definition, mixed) if o.field == "pbgdpl_so_nguoi"]


def test_far_from_peers_skipped_when_mad_is_zero(definition):
    values = [300] * 9 + [30000]
    assert not [o for o in far_from_peers(definition, _peers(values)) if o.field == "pbgdpl_so_nguoi"]


def test_far_from_peers_on_ratios_as_they_are(definition):
    values = [Decimal(v) for v in ("98.5", "97.2", "99.1", "96.8", "98.0", "97.5", "99.4", "98.8", "40.0")]
    found = [o for o in far_from_peers(definition, _peers(values, key="ty_le_hai_long"))]
    assert [(o.unit, o.field) for o in found] == [("08", "ty_le_hai_long")]


def test_thresholds_are_data(definition):
    values = [300, 320, 350, 280, 400, 310, 330, 360, 290, 500]  # z = 3.05 at the log
    rows = _peers(values)
    assert not [o for o in far_from_peers(definition, rows) if o.field == "pbgdpl_so_nguoi"]
    settings = definition.merge.model_copy(deep=True)
    settings.outliers.far_from_peers.z = Decimal("2")
    settings.outliers.far_from_peers.factor = Decimal("1.4")
    stricter = definition.model_copy(update={"merge": settings})
    assert [o.unit for o in far_from_peers(stricter, rows) if o.field == "pbgdpl_so_nguoi"] == ["09"]


def test_a_rate_close_to_its_peers_is_not_far_whatever_its_z_score(definition):
    values = [Decimal(v) for v in ("99.6", "99.8", "99.9", "99.7", "99.5", "99.8", "99.9", "99.7", "98.9")]
    assert not far_from_peers(definition, _peers(values, key="ty_le_hai_long"))  # z > 3.5, 0.9 points
    values[-1] = Decimal("90")
    assert [o.unit for o in far_from_peers(definition, _peers(values, key="ty_le_hai_long"))] == ["08"]
