"""Memory of published layouts: what Megatron's interleaved schedule keeps in flight on each rank, activations
offloaded to host memory (Megatron-Core cpu_offloading_num_layers, MaxText 'offload' remat names) and FP8
parameters (Megatron --fp8-param-gather)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.predict.memory import activation_bytes_per_layer, layers_in_flight, stage_params
from accelopt.predict.query import predict_layout
from accelopt.predict.training import RECOMPUTE
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}


def _megatron_held(p: int, v: int, m: int, rank: int, sizes: list[int]) -> int:
    """Layer-micro-batches rank `rank` holds at its peak, by walking Megatron-Core's interleaved order forward by
    forward (schedules.py: warm-up 2 (p - r - 1) + (v - 1) p forwards, capped at m v, then one more forward before
    the first backward; forward k runs chunk (k mod p v) // p); `sizes`: layers of each of the rank's chunks."""
    warm = min(2 * (p - rank - 1) + (v - 1) * p, m * v)
    n = min(warm + 1, m * v)
    return sum(sizes[(k % (p * v)) // p] for k in range(n))


@pytest.mark.parametrize(("p", "v", "m"), [(4, 2, 8), (4, 3, 4), (8, 4, 16), (16, 8, 32), (16, 8, 16), (3, 2, 6)])
def test_layers_in_flight_walks_megatrons_interleaved_order(p: int, v: int, m: int) -> None:
    """Closed form (memory.layers_in_flight) = the schedule walked forward by forward, on every rank, for even chunks
    of 2 layers and for edge stages one layer short (the short chunk first on the first stage, last on the last)."""
    a = np.asarray
    for rank in range(p):
        got = layers_in_flight(a([p]), a([v]), a([m]), a([rank]), a([2.0]), a([2.0 * v]), "first")[0]
        assert got == _megatron_held(p, v, m, rank, [2] * v)
    short_first = [1] + [2] * (v - 1)
    short_last = [2] * (v - 1) + [1]
    assert layers_in_flight(a([p]), a([v]), a([m]), a([0]), a([2.0]), a([2.0 * v - 1]), "first")[0] == \
        _megatron_held(p, v, m, 0, short_first)
    assert layers_in_flight(a([p]), a([v]), a([m]), a([p - 1]), a([2.0]), a([2.0 * v - 1]), "last")[0] == \
        _megatron_held(p, v, m, p - 1, short_last)


def test_even_first_rank_is_korthikantis_interleaving_factor() -> None:
    """With m >= p the first rank of an even split holds (v + 1) p - 1 chunks = p stages x (1 + (p - 1) / (p v))
    (Korthikanti et al. 2022 sec. 4.2.3), so the even-split rows keep their memory."""
    for p, v in ((4, 2), (8, 4), (16, 8)):
        chunk = 3.0
        got = layers_in_flight(np.asarray([p]), np.asarray([v]), np.asarray([4 * p]), np.asarray([0]),
                               np.asarray([chunk]), np.asarray([chunk * v]), "first")[0]
        assert got == pytest.approx(chunk * v * p * (1 + (p - 1) / (p * v)))


@pytest.mark.parametrize(("row_id", "held"), [("llama3-405b-8k", 141), ("llama3-405b-16k", 128)])
def test_llama3_middle_rank_holds_megatrons_count(row_id: str, held: int) -> None:
    """Llama 3 405B (vp 8, 7 + 14 x 8 + 7 layers): rank 1 holds 141 one-layer chunks with 32 micro-batches per rank
    and all 128 of its forwards with 16 (= p); the earlier interleaving factor gave 8 x 15 x (1 + 15/128) = 134."""
    q = run_query(ROWS[row_id])
    res = predict_layout(q)
    mdl = q.model
    per_layer = activation_bytes_per_layer(mdl, np.asarray(1.0), np.asarray(float(q.seq_len)), np.asarray(8.0),
                                           np.asarray(True), np.asarray(RECOMPUTE["selective"]), True, False)
    assert res.terms["mem_activations_bytes"] == pytest.approx(held * float(per_layer), rel=1e-12)


def test_offloaded_layers_leave_the_device() -> None:
    """GB200 Llama 3 70B (pp 1, its recipe offloads 40 of 80 layers): the saved activations on the device halve;
    the fp32 logits stay. Offloading all layers leaves only the logits and full recompute's one-layer working set."""
    q = run_query(ROWS["mb-gb200-llama3-70b"])
    assert q.offload_layers == 40
    logits = 4.0 * q.seq_len * q.mbs * q.model.vocab  # tp 1
    kept = predict_layout(q).terms["mem_activations_bytes"] - logits
    full = predict_layout(replace(q, offload_layers=0)).terms["mem_activations_bytes"] - logits
    assert kept == pytest.approx(full * 40 / 80, rel=1e-12)
    v6e = run_query(ROWS["maxtext-v6e-llama31-8b-256"])
    assert v6e.recompute == "full"
    none = predict_layout(replace(v6e, offload_layers=0)).terms
    all_off = predict_layout(replace(v6e, offload_layers=v6e.model.layers)).terms
    saved_inputs = v6e.model.layers * 2.0 * v6e.seq_len * v6e.mbs * v6e.model.hidden  # full recompute: layer inputs
    assert none["mem_activations_bytes"] - all_off["mem_activations_bytes"] == pytest.approx(saved_inputs, rel=1e-12)


def test_v6e_8b_fits_only_with_its_offload() -> None:
    """tpu-recipes Llama3.1-8B on v6e-8 (remat_policy 'custom', every saved tensor 'offload') ran: with its
    offload (all 32 layers) the model fits it, without it not. (The v6e-256 row fits either way since the v6e
    capacity is the runtime's bytes_limit and TPU families carry no GPU framework overhead, 2026-11-30 s-tpu.)"""
    q = run_query(ROWS["maxtext-v6e-llama31-8b-8"])
    assert predict_layout(replace(q, offload_layers=32)).fits_memory
    assert not predict_layout(replace(q, offload_layers=0)).fits_memory


def test_fp8_params_store_gemm_weights_in_one_byte() -> None:
    """GB200 Llama 3.1 405B (FP8 current scaling, fp8_param_gather): weights drop by 1 byte per GEMM weight of the
    stage (embeddings and norms stay 16-bit); on Hopper Transformer Engine also keeps an FP8 transpose: no change.
    Step time is unchanged (memory only)."""
    q = run_query(ROWS["mb-gb200-llama31-405b"])
    assert q.fp8_params
    on, off = predict_layout(q).terms, predict_layout(replace(q, fp8_params=False)).terms
    mdl = q.model
    a = np.asarray
    prm = stage_params(mdl, a([q.pp]), a([q.vp]), a([q.tp]), a([q.ep]))
    gemm = float((prm.dense - prm.keep16)[0] + prm.expert[0])
    assert off["mem_weights_bytes"] - on["mem_weights_bytes"] == pytest.approx(gemm, rel=1e-12)
    assert on["step_time_s"] == off["step_time_s"]
    h100 = replace(q, hardware="h100-sxm")
    assert predict_layout(h100).terms["mem_weights_bytes"] == \
        predict_layout(replace(h100, fp8_params=False)).terms["mem_weights_bytes"]


def test_cli_flags_give_the_library_memory(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --fp8-params --offload-layers N` prints the library's memory terms in its JSON, and each flag
    lowers its term."""
    from accelopt.predict.query import LayoutQuery
    from accelopt.workload.presets import get_model

    q = LayoutQuery(model=get_model("llama3-70b"), hardware="gb200", devices=64, mbs=2, zero=3, sp=False,
                    dtype="fp8", seq_len=8192, global_batch_seqs=256, fp8_params=True, offload_layers=20)
    argv = ["plan", "explain", "--model", "llama3-70b", "--hardware", "gb200", "--devices", "64", "--mbs", "2",
            "--zero", "3", "--no-sp", "--dtype", "fp8", "--seq-len", "8192", "--global-batch", "256seq", "--json"]
    code, out, err = run_main([*argv, "--fp8-params", "--offload-layers", "20"], capsys)
    assert code in (0, 2), err
    got = explain_terms(json.loads(out))
    want = predict_layout(q).terms
    for term in ("mem_weights_bytes", "mem_activations_bytes", "mem_total_bytes"):
        assert got[term] == want[term]
    plain = explain_terms(json.loads(run_main(argv, capsys)[1]))
    assert got["mem_activations_bytes"] < plain["mem_activations_bytes"]
    assert got["mem_weights_bytes"] < plain["mem_weights_bytes"]


@pytest.mark.parametrize("argv", [["--fp8-params"], ["--dtype", "fp8", "--offload-layers", "81"]])
def test_bad_offload_or_fp8_params_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "llama3-70b", "--hardware", "gb200", "--devices", "64",
                             *argv], capsys)
    assert code == 2 and "error:" in err and "fix:" in err and "Traceback" not in err


def test_middle_stage_holds_no_embedding() -> None:
    """Llama 3 405B (edge stages of 7 layers, 8 on each middle stage, tp 8): the binding rank is a middle stage,
    which in Megatron-Core holds no embedding or output layer (GPTModel builds them only on the pre_process /
    post_process stages), so its 16-bit weights are its 8 layers' projections and norms, nothing of the 128256 x 16384
    vocabulary matrices; the first stage (7 layers) still carries its embedding."""
    q = run_query(ROWS["llama3-405b-8k"])
    mdl = q.model
    h, kv = mdl.hidden, mdl.k_width
    assert (h, kv, mdl.ffn, q.tp, q.edge_stage_layers) == (16384, 1024, 53248, 8, 7)
    layer = h * (h + 2 * kv) + h * h + 3 * h * mdl.ffn + 2 * h  # Q, K, V, out-projection, SwiGLU, 2 RMSNorms
    terms = predict_layout(q).terms
    assert terms["mem_weights_bytes"] == pytest.approx(2.0 * 8 * layer / 8, rel=1e-12)
    a = np.asarray
    first = stage_params(mdl, a([16]), a([1]), a([8]), a([1]), ls=a([7.0]))
    middle = stage_params(mdl, a([16]), a([1]), a([8]), a([1]), ls=a([7.0]), embedding=False)
    assert float((first.dense - middle.dense)[0]) == pytest.approx((mdl.vocab * h + h) / 8, rel=1e-12)
