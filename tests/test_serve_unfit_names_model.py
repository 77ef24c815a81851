"""`plan serve --json` where no device can hold the weights printed a document naming the model nowhere (the model
was only in results[].model, empty there), so `history compare` of two such runs of different models gave their
ratios with no warning. The document (plan-serve v14) names the model at the top, fitting or not."""

from __future__ import annotations

import json

import pytest
from conftest import run_main, run_main_expect

from accelopt.report import history


def _serve(capsys: pytest.CaptureFixture[str], model: str, hardware: str, code: int) -> dict:
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", model, "--hardware", hardware, "--tp", "1",
                             "--batch", "1", "--json", code=code)
    return json.loads(out)


def test_the_model_is_named_whether_or_not_a_device_fits(capsys: pytest.CaptureFixture[str]) -> None:
    fits = _serve(capsys, "llama3-70b", "b200", 0)
    none_fits = _serve(capsys, "llama3-70b", "h100-sxm", 2)  # 70B bf16 weights: 141 GB > 77 GB usable
    assert none_fits["results"] == [] and fits["results"]
    assert fits["model"] == fits["results"][0]["model"] == none_fits["model"] == "llama3-70b"


def test_compare_of_two_unfit_models_warns(capsys: pytest.CaptureFixture[str]) -> None:
    _serve(capsys, "llama3-70b", "h100-sxm", 2)
    _serve(capsys, "llama3-405b", "h100-sxm", 2)
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    code, out, err = run_main(["history", "compare", id_a, id_b, "--json"], capsys)
    assert code == 0, err
    warning = json.loads(out)["subject_warning"]
    assert isinstance(warning, str) and "model llama3-70b" in warning and "model llama3.1-405b" in warning
