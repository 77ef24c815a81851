"""`optimize --save recipe.json` silently created a FOLDER named recipe.json (holding recipe.json and the model),
though --save's help says it names a folder: a user who meant a file found a folder. A missing path named like a
file (.json, .pt, .onnx, ...) is refused now before anything is measured (exit 2, the fix naming a folder), as an
existing file already was; a folder with a dot in its name, or an existing folder named so, still works."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError


@pytest.mark.parametrize("name", ["recipe.json", "model.pt", "out.ONNX"])
def test_a_save_path_named_like_a_file_is_refused(name: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    code, out, err = run_main(["optimize", "digits", "--only", "channels-last", "--rounds", "3", "--no-profile-bounds",
                               "--save", str(path)], capsys)
    text = " ".join(err.split())
    assert code == 2, out[-2000:]
    assert f"--save {str(path)!r} is named like a file" in text
    assert f"e.g. --save {str(path.with_suffix(''))!r}" in text and "recipe.json and the model" in text
    assert not path.exists()  # nothing created, nothing measured


def test_an_existing_file_is_refused_with_the_same_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "recipe.json"
    path.write_text("{}")
    code, _out, err = run_main(["optimize", "digits", "--only", "channels-last", "--rounds", "3", "--save", str(path)],
                               capsys)
    text = " ".join(err.split())
    assert code == 2 and "is a file, not a folder" in text and "recipe.json and the model" in text
    assert path.read_text() == "{}"


def test_folders_with_a_dot_are_still_save_folders(tmp_path: Path) -> None:
    from accelopt.optimize.recipe import check_save_dir

    assert check_save_dir(tmp_path / "run.v2").is_dir()  # not a file suffix
    (tmp_path / "made.json").mkdir()  # the user made it a folder: theirs to name
    assert check_save_dir(tmp_path / "made.json").is_dir()
    with pytest.raises(InputError, match="named like a file"):
        check_save_dir(tmp_path / "recipe.json")
