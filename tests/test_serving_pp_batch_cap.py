"""With `plan serve --pp N` the engine's cap on requests in flight (--max-batch-size, which caps `--concurrency max`
and `--rate` runs) follows --engine: TensorRT-LLM admits max_batch_size per micro-batch, max_batch_size x pp in all
(PyTorchModelEngine.get_max_num_sequences); vLLM's max_num_seqs caps every running request of its pp-deep batch queue
together (v1 Scheduler: max_num_running_reqs = max_num_seqs). Before, the cap was max_batch_size whatever the engine
and pp, though the docstring of max_load_concurrency cited TensorRT-LLM's x pp. Without an --engine that cites a rule,
TensorRT-LLM's applies (the default max_batch_size 2048 is its), printed as 'default used:'."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import calibration_for_spec, max_batch, max_load_concurrency
from accelopt.workload.presets import get_model

CAP = 16  # --max-batch-size, far below the llama3-8b batch whose KV cache fits on an H100 (hundreds)
KW = {"prompt_len": 1024, "output_len": 128}


@pytest.mark.parametrize(("per_microbatch", "pp", "expected"), [
    (True, 2, CAP * 2), (None, 2, CAP * 2), (False, 2, CAP), (True, 1, CAP), (None, 4, CAP * 4)])
def test_the_cap_is_per_micro_batch_unless_the_engine_caps_all(per_microbatch: bool | None, pp: int,
                                                               expected: int) -> None:
    model, h100 = get_model("llama3-8b"), get_device("h100-sxm")
    cal = replace(calibration_for_spec(h100), max_batch_size=CAP, max_batch_size_per_microbatch=per_microbatch)
    assert max_batch(model, h100, pp=pp, calibration=cal, **KW) > CAP * 4  # the cap, not the KV cache, binds
    assert max_load_concurrency(model, h100, pp=pp, calibration=cal, **KW) == expected


def _serve(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    return run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--pp", "2", "--prompt",
                     "1024", "--output", "128", "--max-batch-size", str(CAP), *flags], capsys)


@pytest.mark.parametrize(("engine", "expected"), [("trtllm", CAP * 2), ("vllm", CAP), (None, CAP * 2)])
def test_concurrency_max_follows_the_engine(capsys: pytest.CaptureFixture[str], engine: str | None,
                                            expected: int) -> None:
    flags = ["--engine", engine] if engine else []
    code, out, err = _serve(capsys, "--concurrency", "max", "--json", *flags)
    assert code == 0, err
    doc = json.loads(out)
    assert [p["batch"] for s in doc["results"] for p in s["points"]] == [expected]
    defaults = [n for n in doc["notes"] if "per micro-batch x 2 micro-batches" in n]
    assert len(defaults) == (engine is None) and all(n.startswith("default used:") for n in defaults)
    code, text, _ = _serve(capsys, "--concurrency", "max", *flags)
    assert code == 0 and ("per micro-batch x 2 micro-batches" in " ".join(text.split())) == (engine is None)


def test_a_concurrency_above_the_cap_is_refused_by_the_engines_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _serve(capsys, "--concurrency", str(CAP + 8), "--engine", "trtllm")
    assert code == 0, err  # 24 <= 16 per micro-batch x 2
    code, _, err = _serve(capsys, "--concurrency", str(CAP + 8), "--engine", "vllm")
    assert code == 2 and f"above --max-batch-size {CAP}" in err
