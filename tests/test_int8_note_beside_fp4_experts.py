"""plan serve --weight-dtype int8 --expert-weight-dtype mxfp4 on a device without an fp4 peak (H100): the weight-only
note spoke of the 4-bit experts only, and the int8 weights' line (served W8A16 at the 16-bit peak, and the int8
read ratio or its 'default used:') was dropped, so the default the prediction rested on went unsaid. Both lines are
printed now (console and JSON carry the same note)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

ARGV = ["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "5",
        "--output", "20", "--weight-dtype", "int8", "--expert-weight-dtype", "mxfp4"]


def test_both_weight_only_lines_are_said(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGV, "--json"], capsys)
    assert code == 0, err
    notes = " ".join(json.loads(out)["notes"])
    assert "h100-sxm has no fp4 peak: the routed experts' mxfp4 weights are served as weight-only 4-bit" in notes
    assert "on h100-sxm the int8 weights are served weight-only (W8A16" in notes
    assert ("default used: their weights are read at the 16-bit path's bandwidth efficiency "
            "(int8_weight_only_bandwidth_ratio 1.0 of the 'nvidia-hopper' table") in notes
    code, out, err = run_main(ARGV, capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "on h100-sxm the int8 weights are served weight-only (W8A16" in text
    assert "int8_weight_only_bandwidth_ratio 1.0 of the 'nvidia-hopper' table" in text


def test_int8_experts_beside_fp4_weights_are_said(capsys: pytest.CaptureFixture[str]) -> None:
    """The other way round: mxfp4 weights, int8 experts (read at the 16-bit path's efficiency, 'not modelled')."""
    argv = [*ARGV[:-4], "--weight-dtype", "mxfp4", "--expert-weight-dtype", "int8", "--json"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    notes = " ".join(json.loads(out)["notes"])
    assert "h100-sxm has no fp4 peak: the mxfp4 weights are served as weight-only 4-bit" in notes
    assert "on h100-sxm the routed experts' int8 weights are served weight-only" in notes
