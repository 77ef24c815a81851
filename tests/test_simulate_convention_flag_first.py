"""`simulate run/sweep/published --convention code` (a typo) was said after the model was captured (gpt:small: ~7 s
before the error on 2 cores, gpt:realistic 40 s) and by the engine's word ('convention 'code' is unknown'), not by its
flag (utsim's trial). It is now read first, named by the flag, with the closest convention; exit 2."""

from __future__ import annotations

import pytest
from conftest import run_main

import accelopt.simulate.models as models


@pytest.mark.parametrize("argv", [
    ["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--convention", "code"],
    ["simulate", "sweep", "-m", "resnet50", "--rows", "8", "--cols", "8", "--sram-kib", "64", "--convention", "code"],
])
def test_a_convention_typo_is_said_before_the_model_is_built(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    def no_capture(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was built before --convention was read")

    monkeypatch.setattr(models, "model_layers", no_capture)
    code, _out, err = run_main(argv, capsys)
    said = " ".join(err.split())
    assert code == 2 and "--convention 'code' is unknown" in said
    assert "did you mean --convention scalesim-code?" in said


def test_published_names_the_flag_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["simulate", "published", "--convention", "papr"], capsys)
    said = " ".join(err.split())
    assert code == 2 and "--convention 'papr' is unknown" in said and "did you mean --convention paper?" in said
