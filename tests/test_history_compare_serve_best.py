"""`history compare` of two `plan serve` runs whose best throughput sits at different batches: a default sweep ends
at the largest batch that fits, which --kv-dtype fp8 doubles, so 'h100-sxm: best tok/s/device (batch 198)' and
'(batch 395)' were two rows of n/a and the headline figure was never compared (utmisc 2026-12-04)."""
from __future__ import annotations

import json

import pytest
from conftest import run_main


def _ids(capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run_main(["history", "list", "--json"], capsys)
    assert code == 0, err
    return [r["id"] for r in json.loads(out)["runs"]][::-1]  # oldest first


def test_best_throughput_pairs_across_batches(capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--kv-dtype", "fp8"]):
        code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--prompt", "1000", "--output", "100",
                                 "--batch", "1,4" if not extra else "1,8", *extra], capsys)
        assert code == 0, err
    a, b = _ids(capsys)[-2:]
    code, out, err = run_main(["history", "compare", a, b, "--json"], capsys)
    assert code == 0, err
    rows = {f["figure"]: f for f in json.loads(out)["figures"]}
    best = rows["h100-sxm: best tok/s/device (A: batch 4, B: batch 8)"]
    assert best["a"] is not None and best["b"] is not None and best["ratio_b_over_a"] == pytest.approx(
        best["b"] / best["a"])
    assert not any("(batch 4)" in k or "(batch 8)" in k for k in rows)  # no unpaired n/a rows left
    assert rows["h100-sxm: TPOT at batch 1"]["ratio_b_over_a"] is not None  # labels alike still pair as before
