"""`plan infer`'s error messages name its own flags (ut_readme): a zoo model's sequence length is `--input-size` there,
and `plan infer` has no `--seq-len`, so a fix that says `--seq-len` sends the user to an option that does not exist."""

from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize(("model", "fix"), [
    ("gpt", "pass --input-size 1024 or less"),  # the tiny gpt's 1024 positions (workload/zoo.py _MAX_POSITIONS)
    ("mlp", "leave out --input-size for mlp"),
])
def test_zoo_sequence_error_names_input_size(model: str, fix: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Was 'fix: pass --seq-len 1024 or less' / 'leave out --seq-len for mlp'; typing that flag then stopped with
    'No such option: --seq-len'."""
    code, _, err = run_main(["plan", "infer", model, "--input-size", "4096", "--hardware", "l4", "--batch", "1"],
                            capsys)
    assert code == 2, err
    assert fix in err
    assert "--seq-len" not in err
    # the flag the fix names is one plan infer takes
    code, help_text, _ = run_main(["plan", "infer", "--help"], capsys)
    assert code == 0 and "--input-size" in help_text and "--seq-len" not in help_text
