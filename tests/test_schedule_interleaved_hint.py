"""An interleaved pipeline schedule, as issue 10 names it, is 1f1b with --vp > 1 here: a user typing
`--schedule interleaved` to `plan` or `plan explain` is told so (exit 2), and both commands word the refusal alike."""

from __future__ import annotations

import pytest
from conftest import run_main

_MODEL = ["--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "64"]


@pytest.mark.parametrize("command", [["plan"], ["plan", "explain", "--tp", "8", "--pp", "4"]])
def test_interleaved_names_its_flag(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*command, *_MODEL, "--schedule", "interleaved"], capsys)
    text = " ".join(err.split())
    assert code == 2, err
    assert "--schedule 'interleaved' is not a pipeline schedule" in text
    assert "give --schedule 1f1b, zb-h1, zb-h2, dualpipe; an interleaved schedule is 1f1b with --vp > 1" in text
