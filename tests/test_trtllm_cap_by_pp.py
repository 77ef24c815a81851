"""`plan serve --engine trtllm --pp 2 --pp-microbatches 8 --concurrency max --max-batch-size 16` ran 128 requests in
flight (16 x 8): the engine's cap was multiplied by --pp-microbatches, though TensorRT-LLM has no such setting and
admits max_batch_size per micro-batch, one micro-batch per stage (PyTorchModelEngine.get_max_num_sequences:
max_batch_size x pp). The cap is 16 x 2 = 32 now, for --engine trtllm and for the default rule (TensorRT-LLM's), and
a note says --pp-microbatches does not change it; vLLM's cap (max_num_seqs, in all) is unchanged."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import calibration_for_spec, max_load_concurrency
from accelopt.workload.presets import get_model

CAP = 16  # far below the llama3-8b batch whose KV cache fits on an H100 at these lengths (hundreds)
KW = {"prompt_len": 1024, "output_len": 128}


@pytest.mark.parametrize(("per_microbatch", "expected"), [(True, CAP * 2), (None, CAP * 2), (False, CAP)])
def test_the_cap_is_max_batch_size_x_pp_whatever_the_micro_batches(per_microbatch: bool | None,
                                                                   expected: int) -> None:
    model, h100 = get_model("llama3-8b"), get_device("h100-sxm")
    cal = replace(calibration_for_spec(h100), max_batch_size=CAP, max_batch_size_per_microbatch=per_microbatch,
                  pp_microbatches=8)
    assert max_load_concurrency(model, h100, pp=2, calibration=cal, **KW) == expected


def _serve(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    return run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--pp", "2",
                     "--pp-microbatches", "8", "--prompt", "1024", "--output", "128", "--max-batch-size", str(CAP),
                     *flags], capsys)


@pytest.mark.parametrize("engine", ["trtllm", None])
def test_concurrency_max_is_capped_by_pp_and_says_so(engine: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--engine", engine] if engine else []
    code, out, err = _serve(capsys, "--concurrency", "max", "--json", *flags)
    assert code == 0, err
    doc = json.loads(out)
    assert [p["batch"] for s in doc["results"] for p in s["points"]] == [CAP * 2]
    (note,) = [n for n in doc["notes"] if "not x --pp-microbatches 8" in n]
    assert "max_batch_size x --pp 2" in note and "get_max_num_sequences" in note
    code, text, _ = _serve(capsys, "--concurrency", "max", *flags)
    assert code == 0 and "not x --pp-microbatches 8" in " ".join(text.split())


def test_a_concurrency_above_max_batch_size_x_pp_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _serve(capsys, "--concurrency", str(CAP * 2 + 1), "--engine", "trtllm")
    text = " ".join(err.split())
    assert code == 2 and f"above --max-batch-size {CAP} x 2 pipeline stages (one micro-batch each) = {CAP * 2}" in text


def test_vllm_and_pp_micro_batches_equal_to_pp_print_no_such_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _serve(capsys, "--concurrency", "max", "--json", "--engine", "vllm")
    assert code == 0, err
    doc = json.loads(out)
    assert [p["batch"] for s in doc["results"] for p in s["points"]] == [CAP]
    assert not [n for n in doc["notes"] if "--pp-microbatches" in n and "not x" in n]
