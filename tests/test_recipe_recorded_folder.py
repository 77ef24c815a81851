"""`optimize --apply RECIPE` without MODEL: a recorded model file or data file whose path now holds a folder is
said to be one, not to 'no longer exist' (the folder is there: the message sent the user looking for a deleted
file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.optimize.recipe import ModelSource, Recipe, recorded_model


def _recipe(src: ModelSource) -> Recipe:
    return Recipe(model="tiny", mode="inference", dtype="fp32", techniques=[], source=src)


def test_a_recorded_model_file_now_a_folder_is_said_to_be_one(tmp_path: Path) -> None:
    folder = tmp_path / "model.py"
    folder.mkdir()
    src = ModelSource(model=f"{folder}:build", file=str(folder), sha256="0" * 64, factory="build")
    with pytest.raises(InputError) as e:
        recorded_model(_recipe(src), "recipe.json")
    assert f"the file {str(folder)!r} is now a folder, not the file that was read" in str(e.value)
    assert "no longer exists" not in str(e.value)


def test_a_recorded_data_file_now_a_folder_is_said_to_be_one(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text("def build(): ...\n")
    data = tmp_path / "data.csv"
    data.mkdir()
    src = ModelSource(model=f"{model}:build", file=str(model), sha256=None, factory="build",
                      inputs={str(data): "0" * 64})
    with pytest.raises(InputError) as e:
        recorded_model(_recipe(src), "recipe.json")
    assert f"whose code read {str(data)!r}, and that file is now a folder" in str(e.value)
    data.rmdir()
    with pytest.raises(InputError) as e:
        recorded_model(_recipe(src), "recipe.json")
    assert "and that file no longer exists" in str(e.value)
