"""`optimize --apply RECIPE` where the recipe's techniques do not apply to the model: a recipe of channels-last
applied to the zoo MLP (no 2-D convolutions) profiled and measured the baseline, listed the chain as not-applicable
and exited 0 recommending the baseline. Now none applying is exit 2 before anything is measured, naming each
technique and why, with the fix; some applying runs the rest and says which were skipped (a note and a
not-applicable row each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

FAST = ["--rounds", "3", "--block-s", "0.005", "--warmup", "0", "--no-profile-bounds"]


def _recipe(tmp_path: Path, *names: str) -> Path:
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({"accelopt_recipe": 1, "mode": "inference", "dtype": "fp32",
                             "techniques": [{"name": n} for n in names]}))
    return p


def test_no_technique_of_the_recipe_applies_is_exit_2_with_the_fix(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["optimize", "mlp", "--apply", str(_recipe(tmp_path, "channels-last")), *FAST], capsys)
    assert code == 2, (code, out, err)
    assert "no technique of the recipe applies to mlp-tiny" in err, err
    assert "channels-last: the model has no 2-D convolutions" in err, err
    assert "fix:" in err and "without --apply" in err, err
    assert "measuring the baseline" not in err, err  # refused before anything is measured


def test_the_techniques_that_apply_run_and_the_skipped_are_said(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    recipe = _recipe(tmp_path, "channels-last", "int8-dynamic")
    code, out, err = run_main(["optimize", "mlp", "--apply", str(recipe), "--json", "--budget-min", "5", *FAST],
                              capsys)
    assert code == 0, err
    d = json.loads(out)
    rows = {v["name"]: v for v in d["variants"]}
    assert rows["channels-last"]["status"] == "not-applicable", rows
    assert "2-D convolutions" in rows["channels-last"]["reason"], rows["channels-last"]
    assert "int8-dynamic" in rows and "channels-last+int8-dynamic" not in rows, rows
    assert rows["int8-dynamic"]["status"] != "not-applicable", rows["int8-dynamic"]
    notes = [n for n in d["notes"] if n.startswith("skipped from the recipe")]
    assert len(notes) == 1 and "channels-last" in notes[0] and notes[0].endswith("int8-dynamic"), d["notes"]
