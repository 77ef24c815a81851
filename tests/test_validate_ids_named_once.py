"""The validate reports name the runs a note concerns in one way, built in one place (runs_csv.some_ids /
runs_named), and `validate --serving` / `--inference` build their role warnings with one builder
(runs_csv.role_lines_of) (utleftplan, 2026-12-05: the 'first three ids, ...' text was built in six places, the role
builders were near-twins). The words are unchanged: the expected strings below are the ones the copies printed."""

from __future__ import annotations

import re
from pathlib import Path

from accelopt.predict import runs_csv

PREDICT = Path(runs_csv.__file__).parent


def test_some_ids_and_runs_named() -> None:
    assert runs_csv.some_ids(["a", "b", "c"]) == "a, b, c"
    assert runs_csv.some_ids(["a", "b", "c", "d"]) == "a, b, c, ..."
    assert runs_csv.runs_named(["a", "b", "c", "d"], "serving run") == "4 serving run(s) (a, b, c, ...)"
    assert runs_csv.runs_named(["x"]) == "1 run(s) (x)"


def test_no_other_module_builds_the_ids_text() -> None:
    pattern = re.compile(r"ids\[:3\]|\(ids\)\}\)|_some\(")
    builders = [p.name for p in PREDICT.glob("*.py") if p.name != "runs_csv.py" and pattern.search(p.read_text())]
    assert builders == []


def test_role_lines_of_words() -> None:
    rows = [{"id": "r1", "role": "fit"}, {"id": "r2", "role": "test"}, {"id": "r3", "role": "gap"}]
    got = runs_csv.role_lines_of(rows, "serving run", lambda row: ("fam", ("r2", "r3")), lambda f: f"[serving.{f}]",
                                 lambda f: f", or list them in fitted_on of the [serving.{f}] table")
    assert got == [
        "warning: role fit in 1 serving run(s) (r1) that [serving.fam] was not fitted on (its fitted_on does not list "
        "them): they count in no held-out figure — write test (held out), or list them in fitted_on of the "
        "[serving.fam] table",
        "warning: role test in 1 serving run(s) (r2) that [serving.fam] was fitted on (its fitted_on lists them): "
        "their errors count in the held-out median as if unseen — write fit"]
