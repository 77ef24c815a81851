"""A hand-edited recipe whose `measured` or `model` has the wrong type (utopt5, 2026-12-05).

`"measured": []` (or a string) was read as no measurement at all, so the recorded quality tolerance was dropped and
the run fell back to the default with the note 'the recipe records none'; `"model": 5` was taken as a model named
'5'. Each is now refused, naming the field (exit 2 before anything is measured), as every other field is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError


def _recipe(tmp_path: Path, **edit: Any) -> str:
    doc = {"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
           "techniques": [{"name": "bf16", "params": {}}],
           "measured": {"variant": "bf16", "quality_tolerance": 2.0, "quality_tolerance_unit": "points"}, **edit}
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize(("edit", "said"), [
    ({"measured": []}, "measured = [] is not an object"),
    ({"measured": "fast"}, "measured = 'fast' is not an object"),
    ({"model": 5}, "model = 5 is not a string"),
])
def test_a_field_of_the_wrong_type_is_refused(edit: dict[str, Any], said: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.optimize.recipe import load_recipe

    path = _recipe(tmp_path, **edit)
    with pytest.raises(InputError, match="recipe .*: " + said.replace("[", r"\[").replace("]", r"\]")):
        load_recipe(path)
    code, _, err = run_main(["optimize", "--apply", path, "digits"], capsys)
    assert code == 2 and said in err and "fix: " in err and "measuring" not in err


def test_the_fields_as_saved_still_load(tmp_path: Path) -> None:
    from accelopt.optimize.recipe import load_recipe, recipe_tolerance

    recipe = load_recipe(_recipe(tmp_path))
    assert recipe.model == "digits" and recipe_tolerance(recipe) == (2.0, "points")
    assert load_recipe(_recipe(tmp_path, measured=None)).measured == {}
