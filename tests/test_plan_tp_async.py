"""Tensor-parallel and pipeline communication without sequence parallelism (issue 10, the 2021-22 Megatron rows):
Megatron-LM's asynchronous input-gradient all-reduce (--tp-async/--no-tp-async) and the pipeline scatter/gather."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}

# Korthikanti et al. 2022, Table 4: forward + backward time of one transformer layer of the 22B model (TP 8, one
# DGX A100, micro-batch 4, seq 2048; Table 3), ms: (recompute, sequence parallel) -> combined.
TABLE4_MS = {("none", False): 19.6, ("none", True): 19.0, ("full", False): 27.2, ("selective", False): 20.9,
             ("selective", True): 20.3}
TOL = 0.06  # the held-out median target; stated before comparing with the table


TABLE4_FWD_BWD_MS = {"none": (7.7, 11.9), "full": (7.7, 19.5), "selective": (7.7, 13.2)}  # no sequence parallel


def _layer_terms(recompute: str, sp: bool, tp_async: bool = True) -> dict[str, float]:
    q = dataclasses.replace(run_query(ROWS["kor-t5-22b-full"]), recompute=recompute, sp=sp, tp_async=tp_async)
    t = predict_layout(q).terms
    assert t["in_micro_batches"] == 1 and t["layers_per_stage"] == 48  # Table 3: micro-batch 4 = the global batch
    return t


def _layer_ms(t: dict[str, float]) -> float:
    """Predicted forward + backward (+ recompute) + exposed tensor-parallel time of one 22B layer, ms."""
    return (t["t_fwd_s"] + t["t_bwd_s"] + t["t_recompute_s"] + t["t_tp_comm_s"]) / 48 * 1e3


@pytest.mark.parametrize("recompute,sp", list(TABLE4_MS), ids=[f"{r}{'+sp' if s else ''}" for r, s in TABLE4_MS])
def test_korthikanti_table4_per_layer_times(recompute: str, sp: bool) -> None:
    """Each layer time of Korthikanti 2022 Table 4 within 6%."""
    assert _layer_ms(_layer_terms(recompute, sp)) == pytest.approx(TABLE4_MS[(recompute, sp)], rel=TOL)


@pytest.mark.parametrize("recompute", list(TABLE4_FWD_BWD_MS))
def test_korthikanti_table4_forward_backward_split(recompute: str) -> None:
    """Table 4's forward and backward columns without sequence parallel, each within 6%. The forward carries the
    two all-reduces after the row-parallel GEMMs; the backward (with the recomputed forward) hides the QKV and
    MLP-up input-gradient all-reduces behind their weight-gradient GEMMs (sec. 6.2: why full recompute costs 39%,
    not 33%). Charged exposed, the backward came out 8-14% above the table."""
    t = _layer_terms(recompute, False)
    bsh_bytes = 4 * 2048 * 6144 * 2.0  # micro-batch 4 x seq 2048 x hidden 6144, 16-bit
    fwd_ar_s = 2 * float(comm.allreduce_s(bsh_bytes, 8, t["in_tp_link_byte_per_s"], t["in_scaleup_latency_s"],
                                             p_in=8, lat_in=t["in_scaleup_latency_s"]))
    fwd_ms = (t["t_fwd_s"] / 48 + fwd_ar_s) * 1e3
    want_fwd, want_bwd = TABLE4_FWD_BWD_MS[recompute]
    assert fwd_ms == pytest.approx(want_fwd, rel=TOL)
    assert _layer_ms(t) - fwd_ms == pytest.approx(want_bwd, rel=TOL)


def test_no_tp_async_exposes_the_backward_all_reduces() -> None:
    """--no-tp-async (Megatron-LM before the asynchronous all-reduce, Megatron-DeepSpeed) charges the two backward
    all-reduces per layer in full: on one NVLink node they are hidden otherwise, so the exposed time doubles."""
    exposed = {a: _layer_terms("none", False, a)["t_tp_comm_s"] for a in (True, False)}
    assert exposed[False] == pytest.approx(2 * exposed[True], rel=0.01)


def test_pipeline_scatter_gather_without_sequence_parallel() -> None:
    """Narayanan 2021 sec. 4.1: each of the t tensor-parallel ranks sends b s h / t over its own network card and the
    receiver all-gathers over NVLink, instead of every rank sending the whole replicated tensor."""
    row = ROWS["kor-t5-530b-full"]  # TP 8, PP 35 over 35 DGX nodes, vp 3, no sequence parallel
    res = predict_layout(run_query(row))
    spec, t = get_device(row["hardware"]), res.terms
    links = comm.Links.of(spec, calibration_for(spec))
    bsh_bytes = 2048 * 20480 * 2.0
    pp_bw, pp_lat = links.pick(280)
    tp_bw, tp_lat = links.pick(8)
    one = comm.p2p_s(bsh_bytes / 8, pp_bw, pp_lat) + comm.reduce_scatter_s(bsh_bytes, 8, tp_bw, tp_lat)
    assert t["t_pp_p2p_s"] == pytest.approx(280 * 2 * 3 * float(one))
    assert t["t_pp_p2p_s"] < 0.25 * 280 * 2 * 3 * float(comm.p2p_s(bsh_bytes, pp_bw, pp_lat))


def test_cli_no_tp_async(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "explain", "--model", "gpt3-175b", "--hardware", "a100-sxm-80gb", "--devices", "64", "--tp", "8",
            "--pp", "8", "--seq-len", "2048", "--global-batch", "64seq", "--recompute", "full", "--no-sp", "--json"]
    got = {}
    for extra in ([], ["--no-tp-async"]):
        code, out, _ = run_main([*base, *extra], capsys)
        assert code == 0
        got[tuple(extra)] = json.loads(out)
    assert got[()]["tp_async"] is True and got[("--no-tp-async",)]["tp_async"] is False
    assert explain_terms(got[("--no-tp-async",)])["t_tp_comm_s"] > explain_terms(got[()])["t_tp_comm_s"]
    code, out, _ = run_main([*base[:9], "1", *base[10:], "--no-tp-async"], capsys)  # --tp 1: nothing to expose
    assert code in (0, 2)  # 2: one rank cannot hold a stage (the terms and notes are still in the JSON)
    assert any("--no-tp-async has no effect" in n for n in json.loads(out)["notes"])
