"""`accelopt history compare latest latest` (or an id and a prefix of it) compared a run with itself: a table of
1.00x ratios, exit 0, without a word that A and B were one run. It is now an error naming the run and the fix."""
from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.report import history


@pytest.mark.parametrize("as_json", [False, True])
def test_a_run_compared_with_itself_is_refused(as_json: bool, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["catalog", "compare", "h100-sxm", "mi300x", "--json"], capsys)
    assert code == 0, err
    run_id = history.list_runs(limit=1)[0].id
    for a, b in (("latest", "latest"), (run_id, run_id[:-2]), ("latest", run_id)):
        code, out, err = run_main(["history", "compare", a, b, *(["--json"] if as_json else [])], capsys)
        assert code == 2, out
        assert f"are the same run, {run_id}" in err and "fix: give two different runs" in err
        assert "B / A" not in out
        if as_json:
            assert json.loads(out)["schema"] == "accelopt.error"


def test_two_runs_still_compare(capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        code, _, err = run_main(["catalog", "compare", "h100-sxm", "mi300x", "--json"], capsys)
        assert code == 0, err
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    code, out, err = run_main(["history", "compare", id_a, id_b], capsys)
    assert code == 0 and "B vs A" in out, err
