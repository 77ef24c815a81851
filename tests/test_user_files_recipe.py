"""A user's own optimize recipe (`optimize --apply`): a misspelt field was replaced by its default without a word (a
technique's "param" ran it with default parameters; a top-level "dtypes" ran fp32). Now named, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main
from conftest import run_main_expect as _cli

RECIPE: dict[str, Any] = {"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
                          "techniques": [{"name": "compile", "params": {"mode": "max-autotune"}}], "measured": {}}


@pytest.mark.parametrize(("edit", "named", "meant"), [
    ({"techniques": [{"name": "compile", "param": {"mode": "max-autotune"}}]},
     "techniques[0]: unknown field(s) param", "did you mean 'params' for 'param'?"),
    ({"dtypes": "bf16"}, "unknown field(s) dtypes", "did you mean 'dtype' for 'dtypes'?"),
    ({"techniques": [{"name": "prune-unstructured", "params": {"sparsty": 0.5}}]},
     "prune-unstructured's params: unknown field(s) sparsty", "did you mean 'sparsity' for 'sparsty'?"),
])
def test_a_misspelt_recipe_field_is_named(edit: dict[str, Any], named: str, meant: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Each misspelt field (top level, a technique's, a technique's option) names the field meant, as device and
    calibration files do (errors.unknown_fields); the fix said only what a recipe holds."""
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, **edit}))
    _, err = _cli(capsys, "optimize", "digits", "--apply", str(p), code=2)
    flat = " ".join(err.split())
    assert str(p) in flat and named in flat and meant in flat and "fix:" in flat


def test_a_technique_without_options_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, "techniques": [{"name": "bf16", "params": {"mode": "x"}}]}))
    _, err = _cli(capsys, "optimize", "digits", "--apply", str(p), code=2)
    assert "bf16 has no option 'mode'" in err and "takes no options" in err


def test_a_saved_recipe_with_its_model_file_still_loads(tmp_path: Path) -> None:
    """save() writes model_file beside Recipe.to_dict's fields: a recipe optimize wrote must load."""
    from accelopt.optimize.recipe import load_recipe

    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, "model_file": "model-compile.pt"}))
    (tmp_path / "model-compile.pt").write_bytes(b"saved weights")
    assert load_recipe(p).techniques == [("compile", {"mode": "max-autotune"})]


def test_apply_takes_the_folder_save_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--save out` then `--apply out` was refused as 'a folder, not a file': the folder's recipe.json is read."""
    from accelopt.optimize.recipe import load_recipe

    (tmp_path / "recipe.json").write_text(json.dumps(RECIPE))
    assert load_recipe(tmp_path).techniques == [("compile", {"mode": "max-autotune"})]
    empty = tmp_path / "empty"
    empty.mkdir()
    _, err = _cli(capsys, "optimize", "digits", "--apply", str(empty), code=2)
    assert "holds no recipe.json" in err and "fix:" in err


def test_a_technique_named_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """[distill, distill] was measured as 'distill+distill' (a student distilled from the distilled student), exit 0:
    no --save writes such a chain (a variant applies each technique once), so it is a hand-edited recipe's slip."""
    p = tmp_path / "recipe.json"
    step = {"name": "prune-unstructured", "params": {"sparsity": 0.5}}
    p.write_text(json.dumps({**RECIPE, "techniques": [step, step]}))
    code, out, err = run_main(["optimize", "digits", "--apply", str(p)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "techniques[1]" in flat and "prune-unstructured" in flat
    assert "twice" in flat and "fix:" in flat


@pytest.mark.parametrize(("measured", "named"), [
    ({"quality_tolerance": -3, "quality_tolerance_unit": "points"}, "measured.quality_tolerance = -3"),
    ({"quality_tolerance": "0.5", "quality_tolerance_unit": "points"}, "measured.quality_tolerance = '0.5'"),
    ({"quality_tolerance": 0.5, "quality_tolerance_unit": "pts"}, "measured.quality_tolerance_unit = 'pts'"),
])
def test_a_recorded_tolerance_that_is_not_one_is_refused(measured: dict[str, Any], named: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A recipe recording quality_tolerance -3 was applied under the default 0.5 points with the note 'the recipe
    records none', which was false: the recipe is bad, and said so before anything is measured."""
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, "measured": measured}))
    code, out, err = run_main(["optimize", "digits", "--apply", str(p)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and named in flat and "fix:" in flat


def test_a_recipe_recording_no_tolerance_still_loads(tmp_path: Path) -> None:
    from accelopt.optimize.recipe import load_recipe, recipe_tolerance

    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, "measured": {"quality_tolerance": None}}))
    assert recipe_tolerance(load_recipe(p)) == (None, None)


def test_a_model_file_that_is_no_file_name_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A number as model_file was accepted unsaid."""
    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, "model_file": 5}))
    _, err = _cli(capsys, "optimize", "digits", "--apply", str(p), code=2)
    flat = " ".join(err.split())
    assert str(p) in flat and "model_file = 5 is not a file name" in flat and "fix:" in flat, flat
    p.write_text(json.dumps({**RECIPE, "model_file": None}))  # null: no saved model, as save() writes it
    from accelopt.optimize.recipe import load_recipe

    assert load_recipe(p).techniques == [("compile", {"mode": "max-autotune"})] and load_recipe(p).notes == []


@pytest.mark.parametrize("model_file", ["model-compile.pt", "m" * 300 + ".pt"])  # past NAME_MAX: is_file raised
def test_a_model_file_that_is_not_there_is_said_not_refused(model_file: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """utcode (2026-12-05): a recipe copied without its saved model was refused (exit 2), though --apply rebuilds the
    model and never reads model_file; it is now said on stderr and in the run's notes. Stopped here by a --dtype
    that disagrees with the recipe, an error raised after the recipe is read."""
    from accelopt.optimize.recipe import load_recipe

    p = tmp_path / "recipe.json"
    p.write_text(json.dumps({**RECIPE, "model_file": model_file}))
    recipe = load_recipe(p)
    assert recipe.techniques == [("compile", {"mode": "max-autotune"})]
    assert len(recipe.notes) == 1 and "is not a file beside the recipe" in recipe.notes[0]
    assert "does not read it" in recipe.notes[0]
    _, err = _cli(capsys, "optimize", "digits", "--apply", str(p), "--dtype", "bf16", code=2)
    flat = " ".join(err.split())
    assert "warning: recipe" in flat and "is not a file beside the recipe" in flat, flat
    assert "--dtype bf16 disagrees with the recipe" in flat, flat
