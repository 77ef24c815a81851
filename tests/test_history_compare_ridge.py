"""`history compare` of two probes whose fastest matmul dtype differs: the ridge point of each is its own dtype's."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import run_main_expect as _cli
from test_report_html import _probe_result

from accelopt.measure.probe import Figure
from accelopt.report import history
from accelopt.report.jsonout import to_jsonable


def _with_triad_and(*matmuls: tuple[str, float]) -> object:
    figs = [Figure(metric=m, unit="FLOP/s", median=v, p10=v, p90=v, spread=0.0, n=5, detail="d") for m, v in matmuls]
    triad = Figure(metric="stream.triad", unit="B/s", median=5e9, p10=5e9, p90=5e9, spread=0.0, n=5, detail="d")
    return dataclasses.replace(_probe_result(), figures=[*figs, triad])


def test_a_bf16_ridge_is_not_divided_by_an_fp32_one(capsys: pytest.CaptureFixture[str]) -> None:
    """A probe of fp32 and bf16 (ridge from the faster bf16) and one of --dtypes fp32 on the same machine: compare
    printed 'ridge point 238.5 FLOP/B | 36.53 FLOP/B | 0.15x', as if the machine had lost 85%. Each ridge now names
    the matmul it divides, so the two land on rows of their own and no ratio is made of them."""
    both = history.record("probe", ["probe"], to_jsonable(_with_triad_and(("matmul.fp32", 1.8e11),
                                                                           ("matmul.bf16", 1.3e12))))
    fp32 = history.record("probe", ["probe", "--dtypes", "fp32"], to_jsonable(_with_triad_and(("matmul.fp32", 1.8e11))))
    assert both and fp32
    doc = json.loads(_cli(capsys, "history", "compare", both, fp32, "--json")[0])
    ridges = {f["figure"]: f for f in doc["figures"] if f["figure"].startswith("ridge point")}
    assert set(ridges) == {"ridge point (matmul.bf16 / stream.triad)", "ridge point (matmul.fp32 / stream.triad)"}
    assert all(f["ratio_b_over_a"] is None for f in ridges.values())
    assert ridges["ridge point (matmul.bf16 / stream.triad)"]["a"] == pytest.approx(1.3e12 / 5e9)
