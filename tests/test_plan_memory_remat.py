"""MaxText's remat_policy 'minimal' (`--recompute minimal`): the saved-tensor set of the policy, checked against the
tensors MaxText names (AI-Hypercomputer/maxtext MaxText/layers/decoders.py minimal_policy: save_only_these_names
'query_proj', 'key_proj', 'value_proj', 'out_proj', 'mlpwi_0', 'mlpwi_1', ...), and the published v5p layouts that
ran with it (MaxText/configs/v5p/README.md, 64B: per_device_batch_size 3, ici_tensor_parallelism 4)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import run_main_expect

from accelopt.predict.memory import activation_bytes_per_layer
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_model, run_query

ROWS = {r["id"]: r for r in read_runs()}


def _per_layer(row_id: str, recompute: int) -> float:
    q = run_query(ROWS[row_id])
    model = run_model(ROWS[row_id])
    a = np.asarray
    return float(activation_bytes_per_layer(model, a([q.mbs]), a([float(q.seq_len)]), a([q.tp]), a([q.sp]),
                                            a([recompute]), q.flash, False)[0])


def test_minimal_keeps_the_named_projection_outputs_and_the_layer_input() -> None:
    """Per layer and micro-batch: Q, K, V, the out-projection output, both SwiGLU up-projections (bf16, split over the
    4 tensor-parallel chips) and the scanned layer's input. Tolerance: exact to float rounding (rel 1e-12)."""
    row = ROWS["maxtext-v5p-64b-x1"]
    b, s, tp = int(row["mbs"]), int(row["seq"]), int(row["tp"])
    h, f = int(row["hidden"]), int(row["ffn"])
    named = {"query_proj": h, "key_proj": h, "value_proj": h, "out_proj": h, "mlpwi_0": f, "mlpwi_1": f,
             "layer input (scan carry)": h}  # widths per token; the 64B model is multi-head (kv heads = heads)
    want = sum(2.0 * b * s * w / tp for w in named.values())
    assert _per_layer("maxtext-v5p-64b-x1", 3) == pytest.approx(want, rel=1e-12)
    # selective keeps Korthikanti's set (norm inputs, GEMM inputs, dropout masks too): more than minimal
    assert _per_layer("maxtext-v5p-64b-x1", 1) > 1.5 * want


def test_v5p_64b_fits_only_with_the_minimal_policy() -> None:
    """The published 64B layout ran on 95 GiB v5p chips; with selective recompute's saved set it would not fit."""
    q = run_query(ROWS["maxtext-v5p-64b-x1"])
    assert q.recompute == "minimal"
    assert predict_layout(q).fits_memory
    assert not predict_layout(replace(q, recompute="selective")).fits_memory


def test_minimal_is_timed_like_selective() -> None:
    """Both recompute the attention core in the backward (MaxText's 'minimal' does not save 'context'), so the step
    time is the same: the v5p fit row (calibration.toml) does not move. Tolerance: rel 1e-12."""
    q = run_query(ROWS["maxtext-v5p-64b-x1"])
    t_min = predict_layout(q).terms["step_time_s"]
    t_sel = predict_layout(replace(q, recompute="selective")).terms["step_time_s"]
    assert t_min == pytest.approx(t_sel, rel=1e-12)


def test_cli_recompute_minimal_json_carries_the_memory_terms(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --recompute minimal --json` is the library's answer, memory terms included."""
    args = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--tp", "2",
            "--json"]
    out_min, _ = run_main_expect(capsys, *args, "--recompute", "minimal")
    out_sel, _ = run_main_expect(capsys, *args, "--recompute", "selective")
    t_min = {x["name"]: x["value"] for x in json.loads(out_min)["terms"]}
    t_sel = {x["name"]: x["value"] for x in json.loads(out_sel)["terms"]}
    assert t_min["mem_activations_bytes"] < t_sel["mem_activations_bytes"]
    assert t_min["mem_total_bytes"] <= t_min["mem_capacity_bytes"]
    run_main_expect(capsys, *args, "--recompute", "dots", code=2)
