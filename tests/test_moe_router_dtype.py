"""The MoE router's precision (issue 10, routerfp32, 2026-12-04): plan / plan explain --moe-router-dtype, runs-file
column moe_router_dtype, compute.router_fp32_extra_s.

Megatron-Core's moe_router_dtype 'fp32' sends the router through moe_utils.router_gating_linear with
router_dtype torch.float32 (NVIDIA/Megatron-LM megatron/core/transformer/moe/router.py at
005742ff1f002035922b88a648fa615aec22eeff, Router.gating): a Transformer Engine general_gemm of the 16-bit weight and
input that writes fp32 logits, and a backward that casts the weight and the input to fp32 and runs the data- and
weight-gradient GEMMs in fp32, which Transformer Engine runs as CUBLAS_COMPUTE_32F_FAST_TF32 ('Use TF32 only for pure
FP32 GEMM', transformer_engine/common/gemm/cublaslt_gemm.cu). Its default None keeps the input's dtype (bf16), what the
model timed before. No bundled row's recipe sets fp32 (the runs file's moe_router_dtype block lists what was read).
All of these fail before the change: the function, the flag, the Setup field and the column are new.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
from conftest import explain_doc, explain_terms, run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import Device, gemm16_s, router_fp32_extra_s
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
B200_30B = "mb-b200-qwen3-30b"  # 8 B200, TP 1, EP 8, MBS 1, GBS 512, 48 MoE layers, FP8


def _megatron_moe_rows() -> list[str]:
    return [rid for rid, r in ROWS.items() if (r.get("experts") or "").strip() and not (r.get("stack") or "").strip()]


def test_router_fp32_terms_by_hand() -> None:
    """Qwen3-30B-A3B on a B200, T = 4096 tokens a micro-batch: the two fp32 gradient GEMMs do 2 x 2 T E h = 4.295
    GFLOP, at least 4.295e9 / (1.1e15 TF32 x eff_max); the casts move 12 T h + 18 E h B = 105.4 MB
    (input to fp32 and the data gradient back: 6 + 6 B a [T, h] element; the weight to fp32 twice and its gradient
    back: 3 x 6 B an [E, h] one) over 5 kernels. The forward writes the [T, E] logits in 4 B instead of 2."""
    spec = get_device("b200")
    cal = calibration_for(spec)
    dev = Device(peak_flop_per_s=spec.peak("bf16"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    dev32 = Device(peak_flop_per_s=spec.peak("tf32"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    assert spec.peak("tf32") == 1.1e15
    mdl = run_query(ROWS[B200_30B]).model
    T, E, h = 4096.0, 128, 2048
    assert (mdl.experts, mdl.hidden) == (E, h)
    r_fwd, r_bwd = router_fp32_extra_s(mdl, T, 2.0, dev, dev32)
    cast_bytes = 12 * T * h + 18 * E * h
    assert cast_bytes == pytest.approx(105.4e6, rel=1e-3)
    assert 2 * 2 * T * E * h == pytest.approx(4.295e9, rel=1e-3)
    t_cast = cast_bytes / (dev.bw_byte_per_s * cal.memory_eff) + 5 * cal.kernel_overhead_s
    fwd16 = gemm16_s(T, E, h, 2.0, dev)[0]
    gemms = r_bwd + 2 * fwd16 - t_cast  # what the two TF32 GEMMs take
    assert gemms >= 2 * 2 * T * E * h / (1.1e15 * cal.matmul_eff_max)
    assert gemms == pytest.approx(gemm16_s(T, h, E, 4.0, dev32)[0] + gemm16_s(E, h, T, 4.0, dev32)[0])
    # forward: the same 16-bit GEMM, 2 B more for each of the T x E logits (never faster)
    assert 0 <= r_fwd <= T * E * 2.0 / (dev.bw_byte_per_s * cal.memory_eff) * (1 + 1e-9)


def test_row_terms_carry_the_router() -> None:
    """On mb-b200-qwen3-30b (48 MoE layers on one stage, 512 / (1 x 8) = 64 micro-batches of 4096 tokens) fp32 adds
    64 x 48 x r_fwd to the forward and 64 x 48 x (2 r_fwd + r_bwd) to the backward, and no other compute term moves."""
    row = ROWS[B200_30B]
    q16, q32 = run_query(row), run_query({**row, "moe_router_dtype": "fp32"})
    assert (q16.moe_router_dtype, q32.moe_router_dtype) == ("bf16", "fp32")
    a, b = predict_layout(q16).terms, predict_layout(q32).terms
    spec = get_device("b200")
    cal = calibration_for(spec)
    dev = Device(peak_flop_per_s=spec.peak("bf16"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    dev32 = Device(peak_flop_per_s=spec.peak("tf32"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    r_fwd, r_bwd = router_fp32_extra_s(q16.model, 4096.0, 2.0, dev, dev32)
    assert float(b["t_fwd_s"] - a["t_fwd_s"]) == pytest.approx(64 * 48 * r_fwd, rel=1e-6)
    assert float(b["t_bwd_s"] - a["t_bwd_s"]) == pytest.approx(64 * 48 * (2 * r_fwd + r_bwd), rel=1e-6)
    assert float(b["t_recompute_s"]) == float(a["t_recompute_s"])


def test_no_bundled_row_sets_fp32_and_its_size() -> None:
    """Every MoE row's cell is blank: their recipes leave Megatron-Core's default (None, the input's dtype; the runs
    file's moe_router_dtype block). Set to fp32, the 109 Megatron MoE rows' predicted steps grow by +0.32 to +1.24%,
    median +0.83% (the figures the runs file and the README quote): a tenth of the Qwen3-30B Blackwell rows' 6-12%.
    2026-12-04 (sortchunks): +0.31 to +1.36%, median +0.80%, with the all-to-all dispatcher's local-expert sorts."""
    assert not [rid for rid, r in ROWS.items() if (r.get("moe_router_dtype") or "").strip()]
    grow = []
    for rid in _megatron_moe_rows():
        before = reproduce(ROWS[rid]).predicted_step_s
        grow.append(100 * (reproduce({**ROWS[rid], "moe_router_dtype": "fp32"}).predicted_step_s / before - 1))
    assert len(grow) == 109
    # 2026-12-04, qwen3moe: max +1.24 -> +1.49% (the six 26.06 rows whose expert GEMMs run as one fused grouped kernel,
    # moe_grouped_mlp cutedsl: a shorter step, so the router's fp32 share is larger); min and median unchanged
    # 2026-12-04 (sortchunks): +0.32 / +1.49 / +0.83 -> +0.31 / +1.36 / +0.80, the local-expert sort cost (a longer
    # step on the all-to-all rows, so the router's fp32 share is smaller)
    # 2026-12-05 (fc2bias): +0.31 / +1.36 / +0.80 -> +0.39 / +10.42 / +0.86: the GPT-OSS rows' unfused fc2 bias pass
    # (compute.moe_fc2_bias_s) reads the routing probabilities in the router's dtype, 28 / 40 B per routed element in
    # fp32 against 12 / 16 B in 16 bit
    # 2026-12-05 (moeopt): max +10.42 -> +10.38, the experts' optimizer step over their expert-data-parallel group (a
    # longer step, so the router's fp32 share is smaller); min and median unchanged
    # 2026-12-05 (rblackwell): +0.39 / +10.38 / +0.86 -> +0.40 / +10.61 / +0.85, the Blackwell rows' fused attention
    # core at each device's measured cuDNN rate and the fp8 re-run (their steps move, so the router's share does)
    # 2026-12-05 (ryarn2): max +10.61 -> +10.17, unfused YaRN RoPE adopted on the Megatron-Bridge GPT-OSS rows
    # (rope_fusion unfused: a longer step, so the router's fp32 share is smaller); min and median unchanged
    assert (f"{min(grow):+.2f}", f"{max(grow):+.2f}", f"{statistics.median(grow):+.2f}") == ("+0.40", "+10.17", "+0.85")
    dense = next(r for r in ROWS.values() if not (r.get("experts") or "").strip())
    assert reproduce({**dense, "moe_router_dtype": "fp32"}).predicted_step_s == reproduce(dense).predicted_step_s


def test_bad_value_and_device_without_peak() -> None:
    with pytest.raises(InputError, match="--moe-router-dtype 'fp64'"):
        reproduce({**ROWS[B200_30B], "moe_router_dtype": "fp64"})
    tpu = next(rid for rid in ROWS if rid.startswith("maxtext-v5p-") and (ROWS[rid].get("experts") or "").strip())
    with pytest.raises(InputError, match="lists neither"):
        reproduce({**ROWS[tpu], "moe_router_dtype": "fp32"})


def _explain_args(cfg: Path) -> list[str]:
    return ["plan", "explain", "--model", str(cfg), "--hardware", "b200", "--devices", "8", "--ep", "8",
            "--mbs", "4", "--seq-len", "4096", "--global-batch", "512seq", "--dtype", "fp8", "--zero", "1",
            "--recompute", "none", "--flash", "--json"]


def _explain_doc(capsys: pytest.CaptureFixture[str], cfg: Path, *extra: str) -> dict[str, Any]:
    return explain_doc(capsys, [*_explain_args(cfg), *extra], codes=(0, 2))


def test_flag_at_the_cli(qwen3_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --moe-router-dtype fp32` records the choice in its JSON, prints the TF32 assumption as a note and
    lengthens the backward; the default is bf16; a bad value exits 2 naming the flag and the choices."""
    doc32, doc16 = _explain_doc(capsys, qwen3_cfg, "--moe-router-dtype", "fp32"), _explain_doc(capsys, qwen3_cfg)
    assert (doc32["moe_router_dtype"], doc16["moe_router_dtype"]) == ("fp32", "bf16")
    assert any("TF32 peak" in n and "16-bit GEMM efficiency curve" in n for n in doc32["notes"]), doc32["notes"]
    assert not any("TF32" in n for n in doc16["notes"])
    assert explain_terms(doc32)["t_bwd_s"] > explain_terms(doc16)["t_bwd_s"]
    code, out, err = run_main([*_explain_args(qwen3_cfg), "--moe-router-dtype", "fp64"], capsys)
    assert code == 2 and "--moe-router-dtype 'fp64'" in out + err and "bf16 or fp32" in out + err


def test_flag_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in (["plan", "--help"], ["plan", "explain", "--help"]):
        code, out, _ = run_main(cmd, capsys)
        assert code == 0 and "--moe-router-dtype" in out, cmd
