"""`plan infer --model X` is `plan infer X`, as `plan` and `plan serve` take --model. Before: typer's "No such
option: --model" (exit 2)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

ARGS = ["--hardware", "edge-tpu,h100-sxm", "--batch", "1", "--json"]


def _points(out: str) -> object:
    doc = json.loads(out)
    doc.pop("run_id", None)
    return doc


def test_model_option_is_the_argument(capsys: pytest.CaptureFixture[str]) -> None:
    code, positional, err = run_main(["plan", "infer", "mobilenet-v2", *ARGS], capsys)
    assert code == 0, err
    for flag in ("--model", "-m"):
        code, option, err = run_main(["plan", "infer", flag, "mobilenet-v2", *ARGS], capsys)
        assert code == 0, err
        assert _points(option) == _points(positional)
    # both, naming the same model: one model
    code, both, err = run_main(["plan", "infer", "mobilenet-v2", "--model", "mobilenet-v2", *ARGS], capsys)
    assert code == 0 and _points(both) == _points(positional), err


def test_two_different_models_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", "resnet50", "--model", "mobilenet-v2", "--hardware", "edge-tpu"],
                              capsys)
    assert code == 2 and out == ""
    text = " ".join(err.split())
    assert "two models given: MODEL 'resnet50' and --model 'mobilenet-v2'" in text
    assert "give the model once" in text


def test_help_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "infer", "--help"], capsys)
    assert code == 0
    assert "--model" in out and "MODEL may also be given as --model MODEL" in " ".join(out.split())
