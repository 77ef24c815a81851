"""`plan serve --pp 2 --concurrency max` (no --engine) printed 'default used: ... the requests in flight are capped at
max_batch_size ... x 2 micro-batches' though the KV cache, not that cap, set the concurrency (llama3-8b at 2048 +
256 tokens holds far fewer than 2048 x 2 requests on an H100): a default that decided nothing, printed as if it
had. The line is printed now only where the cap, not memory, set a 'max' or --rate run's concurrency on a device."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import calibration_for_spec, max_batch
from accelopt.workload.presets import get_model

_RUN = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--pp", "2", "--prompt", "2048",
        "--output", "256", "--json"]


def _cap_notes(doc: dict[str, Any]) -> list[str]:
    return [n for n in doc["notes"] if "the requests in flight are capped at" in n]


def _fits() -> int:
    h100 = get_device("h100-sxm")
    return max_batch(get_model("llama3-8b"), h100, pp=2, prompt_len=2048, output_len=256,
                     calibration=calibration_for_spec(h100))


@pytest.mark.parametrize("load", [["--concurrency", "max"], ["--batch", "max"], ["--rate", "1"]])
def test_memory_set_the_concurrency_so_no_cap_line(load: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _fits() < 2048 * 2  # the KV cache, not 2048 per micro-batch x 2, bounds the requests in flight
    code, out, err = run_main([*_RUN, *load], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert not _cap_notes(doc), doc["notes"]
    if load[-1] == "max":
        assert [p["batch"] for s in doc["results"] for p in s["points"]] == [_fits()]


def test_the_cap_set_it_so_the_line_stays(capsys: pytest.CaptureFixture[str]) -> None:
    cap = 16
    assert _fits() > cap * 2
    code, out, err = run_main([*_RUN, "--concurrency", "max", "--max-batch-size", str(cap)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    (note,) = _cap_notes(doc)
    assert note.startswith("default used:") and f"--max-batch-size {cap} per micro-batch x 2" in note
    assert [p["batch"] for s in doc["results"] for p in s["points"]] == [cap * 2]


def test_a_rate_that_runs_into_the_cap_keeps_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_RUN, "--rate", "0.1,200", "--max-batch-size", "2"], capsys)
    doc = json.loads(out)
    assert code in (0, 2), err
    assert len(_cap_notes(doc)) == 1, doc["notes"]
