"""Each type error of a hand-edited recipe is refused by name (exit 2, before anything is measured).

These checks of optimize/recipe.load_recipe had no test (utmisc's list of untested paths): a regression would have
let a recipe run with a default in place of what it records (fp32 for a misspelt dtype, no techniques, a technique's
defaults for params that are not an object)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError

GOOD: dict[str, Any] = {"accelopt_recipe": 1, "model": "digits", "mode": "inference", "dtype": "fp32",
                        "techniques": [{"name": "bf16", "params": {}}], "measured": {}}


@pytest.mark.parametrize(("doc", "said"), [
    ([GOOD], "the top level is not a JSON object"),
    ({**GOOD, "accelopt_recipe": 3}, "accelopt_recipe = 3; this accelopt reads versions 1 and 2"),
    ({**GOOD, "mode": "serve"}, "mode = 'serve' is not one of"),
    ({**GOOD, "dtype": "int8"}, "dtype = 'int8' is not fp32, bf16 or fp16"),
    ({**GOOD, "techniques": "bf16"}, "techniques is missing or not a list"),
    ({k: v for k, v in GOOD.items() if k != "techniques"}, "techniques is missing or not a list"),
    ({**GOOD, "techniques": ["bf16"]}, "techniques[0] is not an object with a name"),
    ({**GOOD, "techniques": [{"name": 3}]}, "techniques[0] is not an object with a name"),
    ({**GOOD, "techniques": [{"name": "bf16", "params": []}]}, "techniques[0].params is not an object"),
    ({**GOOD, "techniques": [{"name": "bf16"}, {"name": "bf16"}]}, "techniques[1] names bf16 twice"),
    ({**GOOD, "model_source": {"file": "x.py"}}, "model_source is not an object with a model"),
    ({**GOOD, "model_source": "digits"}, "model_source is not an object with a model"),
])
def test_a_recipe_of_the_wrong_shape_is_refused_by_name(doc: Any, said: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.optimize.recipe import load_recipe

    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        load_recipe(path)
    assert said in e.value.problem and str(path) in e.value.problem and e.value.fix, e.value
    code, out, err = run_main(["optimize", "digits", "--apply", str(path)], capsys)
    assert code == 2 and out == "" and said in " ".join(err.split()) and "fix:" in err, err
    assert "Traceback" not in err
