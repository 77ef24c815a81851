"""A run cut short (Ctrl-C, or --budget-min running out) with --save wrote the baseline when nothing measured before
the cut beat it, and the recipe did not say the run was cut short: `--apply` then said 'the recipe is the baseline
(the run that saved it found no technique faster within its quality tolerance)' of a run that, Ctrl-C'd during
compile, had measured bf16 alone of its 11 techniques (models.py:twoin, 2026-12-03). The recipe's measured block now
records `interrupted` and the variants `not_run`, and --apply's note says how the run was cut short."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from conftest import run_main

from accelopt.optimize.recipe import load_recipe, recipe_for
from accelopt.optimize.results import OptimizeResult, VariantResult


def _recipe(path: Path, *, interrupted: bool, not_run: list[str]) -> Path:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", changes="the model as given")
    rows = [base, *(VariantResult(name=n, techniques=[n], family="", status="not-run", changes="") for n in not_run)]
    result = OptimizeResult(name="mlp-tiny", mode="inference", device="cpu", dtype="fp32", batch_size=32,
                            metric="loss", higher_is_better=False, quality_tolerance=1.0,
                            quality_tolerance_unit="percent", variants=rows, interrupted=interrupted)
    path.write_text(json.dumps(recipe_for(result, base).to_dict()), encoding="utf-8")
    return path


def test_the_recipe_records_how_its_run_was_cut_short(tmp_path: Path) -> None:
    from accelopt.optimize.recipe import cut_short

    ctrl_c = load_recipe(_recipe(tmp_path / "a.json", interrupted=True, not_run=["compile", "onnx-fp32"]))
    assert ctrl_c.measured["interrupted"] is True and ctrl_c.measured["not_run"] == ["compile", "onnx-fp32"]
    assert cut_short(ctrl_c) == "was interrupted (Ctrl-C) before 2 techniques ran (compile, onnx-fp32)"
    budget = load_recipe(_recipe(tmp_path / "b.json", interrupted=False, not_run=[f"t{i}" for i in range(8)]))
    assert cut_short(budget) == ("ran out of its time budget (--budget-min) before 8 techniques ran "
                                 "(t0, t1, t2, t3, t4, t5, ... (2 more))")
    assert cut_short(load_recipe(_recipe(tmp_path / "c.json", interrupted=False, not_run=[]))) is None
    assert cut_short(load_recipe(_recipe(tmp_path / "d.json", interrupted=True, not_run=[]))) == ("was interrupted "
                                                                                                  "(Ctrl-C)")


def test_apply_of_a_cut_short_baseline_says_the_run_was_cut_short(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    p = _recipe(tmp_path / "recipe.json", interrupted=True, not_run=["compile", "onnx-fp32"])
    code, out, err = run_main(["optimize", "--apply", str(p), "mlp", "--rounds", "3", "--block-s", "0.01", "--json",
                               "--no-profile-bounds"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert not any("found no technique faster" in n for n in notes), notes
    assert any(n.startswith("the recipe is the baseline of a run that was interrupted (Ctrl-C) before 2 techniques "
                            "ran (compile, onnx-fp32): it chose among what it had measured") for n in notes), notes
