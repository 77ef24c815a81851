"""ut5val: `history compare` of two `validate --serving` runs where a row's role changed (a 'gap' row of A made a
held-out 'test' row in B, its prediction the same): the held-out counts moved (1 -> 2, beyond 25% 0 -> 1) while the
console said 'no run's error moved', naming no run; and a serving row in no median ('gap', 'derived') was labelled
'fit' in the moved list. A run whose role changed is now listed with its roles A -> B, and a serving row keeps its
own role's name."""

from __future__ import annotations

from accelopt.report.history_documents import validate_change_lines, validate_changes


def _serving(*rows: tuple[str, float, str]) -> dict:
    return {"runs": [{"id": rid, "error": err, "role": role, "family": "nvidia-hopper"} for rid, err, role in rows]}


def test_a_role_change_is_listed_though_the_error_stayed() -> None:
    a = _serving(("s1", 0.19, "test"), ("s2", -0.3576, "gap"))
    b = _serving(("s1", 0.19, "test"), ("s2", -0.3576, "test"))
    v = validate_changes(a, b)
    assert v is not None and (v.held_out_a, v.held_out_b, v.beyond_25pct_a, v.beyond_25pct_b) == (1, 2, 0, 1)
    [m] = v.moved
    assert (m.id, m.role, m.change_points) == ("s2", "gap -> held-out", 0.0)
    lines = validate_change_lines(v)
    assert "1 run(s) whose error moved by more than 0.05 point or whose role changed, largest first:" in lines
    assert "  s2 (nvidia-hopper, gap -> held-out): -35.76% -> -35.76% (+0.00 points)" in lines


def test_a_serving_row_in_no_median_keeps_its_roles_name() -> None:
    v = validate_changes(_serving(("d1", 0.10, "derived")), _serving(("d1", 0.20, "derived")))
    assert v is not None and [m.role for m in v.moved] == ["derived"]


def test_training_roles_are_held_out_or_fit() -> None:
    a = {"runs": [{"id": "t1", "error": 0.1, "fitted": True, "family": "f"},
                  {"id": "t2", "error": 0.1, "fitted": False, "family": "f"}]}
    b = {"runs": [{"id": "t1", "error": 0.1, "fitted": False, "family": "f"},
                  {"id": "t2", "error": 0.1, "fitted": False, "family": "f"}]}
    v = validate_changes(a, b)
    assert v is not None and [(m.id, m.role) for m in v.moved] == [("t1", "fit -> held-out")]
    assert not validate_changes(b, b).moved  # nothing changed: nothing listed
