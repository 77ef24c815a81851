"""`accelopt profile models.py:` (utopt6) said the spec 'is not of the form path/to/file.py:factory', fix: "append ':'
and the name of the function ..." though the ':' was there. The fix now names what is missing, with the user's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.workload.userfile import load_user_factory


def test_a_spec_ending_in_a_colon_is_told_to_name_the_function(tmp_path: Path) -> None:
    f = tmp_path / "models.py"
    f.write_text("def build():\n    pass\n")
    with pytest.raises(InputError) as e:
        load_user_factory(f"{f}:")
    assert "append ':'" not in e.value.fix
    assert f"{f}:build" in e.value.fix and "after the ':'" in e.value.fix


def test_a_spec_without_a_colon_is_still_told_to_append_one() -> None:
    with pytest.raises(InputError) as e:
        load_user_factory("models.py")
    assert "append ':'" in e.value.fix


def test_a_spec_without_a_file_is_told_to_name_the_file() -> None:
    # ':build' has its ':' and its function: it was told to "append ':'"
    with pytest.raises(InputError) as e:
        load_user_factory(":build")
    assert "append ':'" not in e.value.fix
    assert "path of the Python file before the ':'" in e.value.fix and "examples/my_model.py:build" in e.value.fix
