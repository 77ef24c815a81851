"""The expert block of an MoE layer in training (compute.moe_forward), checked against hand-derived shapes and bytes.

- Expert tensor parallel (etp, Megatron-Core's 'MoE Parallel Folding', arXiv 2504.14960): the tp ranks of the
  attention regroup as etp x ep expert ranks, so each expert's GEMMs run ffn/etp wide over T etp/tp x ep x top_k / E
  tokens. Before, --etp changed only the all-to-all and the memory; the GEMMs kept tp's split.
- The expert activation runs over the T x top_k routed tokens of the expert width, not over the dense MLP's width:
  Mixtral 8x7B (top 2 of 8 experts of width 14336, no separate dense width) moves twice the dense MLP's activation
  bytes. Before, every MoE layer was charged the dense MLP's activation.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import compute as C
from accelopt.predict import serving_moe as sm
from accelopt.predict.calibration import calibration_for
from accelopt.predict.training import _device
from accelopt.workload.presets import get_model
from accelopt.workload.transformer import TransformerConfig

H100 = get_device("h100-sxm")
DEV = _device(H100, "bf16", calibration_for(H100))
DEV8 = _device(H100, "fp8", calibration_for(H100))  # FP8 linear layers (Transformer Engine), 16-bit elsewhere
QWEN3_235B = get_model("qwen3-235b-a22b")  # 128 experts of 1536, top 8, hidden 4096
MIXTRAL = get_model("mixtral-8x7b")  # 8 experts of 14336, top 2, hidden 4096


def _layer(model: TransformerConfig, b: float, s: float, tp: float, ep: float, etp: float | None,
           dev: C.Device = DEV) -> C.LayerTimes:
    a = np.asarray
    return C.layer_forward(model, a(b), a(s), a(s), a(tp), a(True), True, a(ep), 2.0, dev, etp=a(etp) if etp else None)


def _non_gemm_s(model: TransformerConfig, T: float, tp: float) -> float:
    """Router GEMM, permute/unpermute and the routed activation of one MoE layer (no shared experts)."""
    h, k = model.hidden, model.top_k
    t_r, _ = C.gemm_s(T, model.experts, h, 2.0, DEV)
    t_perm = C.memory_ops_s(2.0 * T * h * (k + 1) * 2.0, DEV, 2.0)
    t_act = C.memory_ops_s(3.0 * T * k * model.ffn / tp * 2.0, DEV, 1.0)  # SwiGLU: read gate and up, write 1
    return float(t_r + t_perm + t_act)


def test_etp_1_runs_each_expert_full_width_over_tp_times_the_tokens() -> None:
    """Qwen3-235B-A22B with tp 2, ep 32, etp 1 (mb-h100-qwen3-235b's layout): T = 4096 tokens per rank, each of the
    4 local experts gets 4096 x 1/2 x 32 x 8 / 128 = 4096 tokens at the full 1536 width (etp 2: 8192 at 768)."""
    assert (QWEN3_235B.experts, QWEN3_235B.top_k, QWEN3_235B.ffn, QWEN3_235B.hidden) == (128, 8, 1536, 4096)
    T, h = 4096.0, 4096
    for etp, tok_e, width in ((1.0, 4096.0, 1536.0), (2.0, 8192.0, 768.0)):
        up, f_up = C.grouped_gemm_s(tok_e, width, h, 2.0, DEV, 4.0)
        dn, f_dn = C.grouped_gemm_s(tok_e, h, width, 2.0, DEV, 4.0)
        lt = _layer(QWEN3_235B, 1.0, T, 2.0, 32.0, etp)
        assert float(lt.moe_mlp_s) == pytest.approx(float(2 * up + dn) + _non_gemm_s(QWEN3_235B, T, 2.0), rel=1e-12)
        # The experts' FLOPs do not depend on etp: T x top_k x 2 x 3 h ffn / tp.
        assert float(2 * f_up + f_dn) == pytest.approx(T * 8 * 2 * 3 * h * 1536 / 2, rel=1e-12)
    # The efficiency curve sees a group's FLOPs only, equal at both etp; in FP8 the quantize pass over each up/gate
    # GEMM's [tokens, h] input is not: at etp 1 it reads 4096 x 4096 per expert, at etp 2 8192 x 4096, x 4 bytes
    # (FP8_CAST_BYTES_PER_ELEMENT) x 2 GEMMs x 4 experts; the down GEMM's [tokens, ffn/etp] input is the same size.
    bw = H100.memory_bandwidth_byte_per_s * DEV8.cal.memory_eff
    gap = float(_layer(QWEN3_235B, 1.0, T, 2.0, 32.0, 2.0, DEV8).moe_mlp_s
                - _layer(QWEN3_235B, 1.0, T, 2.0, 32.0, 1.0, DEV8).moe_mlp_s)
    assert gap == pytest.approx(2 * 4 * (8192 - 4096) * 4096 * 4.0 / bw, rel=1e-9)


def test_default_etp_is_tp() -> None:
    lt_default, lt_tp = _layer(QWEN3_235B, 1.0, 4096.0, 2.0, 8.0, None), _layer(QWEN3_235B, 1.0, 4096.0, 2.0, 8.0, 2.0)
    assert float(lt_default.moe_mlp_s) == float(lt_tp.moe_mlp_s)


def test_mixtral_activation_runs_over_the_routed_tokens() -> None:
    """Mixtral 8x7B, T = 4096 tokens, tp 1, ep 1: each of the 8 experts gets 4096 x 2 / 8 = 1024 tokens; the
    expert activation moves 3 x 4096 x 2 x 14336 x 2 B = 704.6 MB (read gate and up, write one; bf16), twice the
    dense MLP's 352.3 MB, which an MoE layer no longer pays (dense_act_s)."""
    assert (MIXTRAL.experts, MIXTRAL.top_k, MIXTRAL.ffn, MIXTRAL.dense_ffn) == (8, 2, 14336, None)
    T = 4096.0
    lt = _layer(MIXTRAL, 1.0, T, 1.0, 1.0, None)
    bw = H100.memory_bandwidth_byte_per_s * DEV.cal.memory_eff
    assert float(lt.dense_act_s) == pytest.approx(352.3e6 / bw + DEV.cal.kernel_overhead_s, rel=1e-3)
    up, _ = C.grouped_gemm_s(1024.0, 14336.0, 4096, 2.0, DEV, 8.0)
    dn, _ = C.grouped_gemm_s(1024.0, 4096.0, 14336.0, 2.0, DEV, 8.0)
    t_router, _ = C.gemm_s(T, 8, 4096, 2.0, DEV)
    t_perm = C.memory_ops_s(2.0 * T * 4096 * 3 * 2.0, DEV, 2.0)
    t_act = 704.6e6 / bw + DEV.cal.kernel_overhead_s
    assert float(lt.moe_mlp_s) == pytest.approx(float(2 * up + dn + t_router + t_perm) + t_act, rel=1e-4)


def test_training_grouped_gemm_is_slower_than_deepgemm_so_its_curve_would_not_close_the_moe_rows() -> None:
    """Can training time its expert GEMMs with the DeepGEMM grouped GEMMs (predict/data/published_grouped_gemm.csv,
    the curve `plan serve` fits)? On every shape of that table (H800 = h100-sxm's compute and HBM3, FP8) training's FP8
    grouped GEMM (the megatron stack's fp8_matmul_eff_max curve, fitted on Transformer Engine runs) is slower than the
    published DeepGEMM kernel, so adopting DeepGEMM's rates would make the Megatron-Bridge Qwen3 rows, already
    predicted too fast, faster still; and the table has no shape as narrow as their experts (n or k of 768 / 1536)
    nor any Blackwell row. Training keeps its own curve (decision of 2026-12-01, moetr)."""
    rows, _ = sm.read_grouped_gemm_table()
    assert len(rows) == 10 and {r.device for r in rows} == {"h100-sxm"}
    assert min(min(r.n, r.k) for r in rows) == 2048  # the narrowest dimension in the table
    for r in rows:
        t, f = C.grouped_gemm_s(float(r.m_per_group), float(r.n), float(r.k), 2.0, DEV8, float(r.groups))
        assert float(f) / float(t) < r.published_flop_per_s, r.id


def test_router_gemm_is_16_bit_in_fp8_runs() -> None:
    """Megatron-Core's router (Router.gating: torch.nn.functional.linear(input, self.weight)) is not a Transformer
    Engine FP8 Linear: in an FP8 run its [T, h] x [h, E] GEMM runs at the 16-bit rate with no quantize pass. Before,
    it was timed at the FP8 peak with a cast of its input."""
    T = 4096.0
    lt8 = _layer(QWEN3_235B, 1.0, T, 1.0, 8.0, None, DEV8)
    up, _ = C.grouped_gemm_s(T * 8 * 8 / 128, 1536.0, 4096, 2.0, DEV8, 16.0)
    dn, _ = C.grouped_gemm_s(T * 8 * 8 / 128, 4096.0, 1536.0, 2.0, DEV8, 16.0)
    t_router16, _ = C.gemm16_s(T, 128, 4096, 2.0, DEV8)
    t_router8, _ = C.gemm_s(T, 128, 4096, 2.0, DEV8)
    rest = _non_gemm_s(QWEN3_235B, T, 1.0) - float(C.gemm_s(T, 128, 4096, 2.0, DEV)[0])  # perm + act (16-bit)
    assert float(lt8.moe_mlp_s) == pytest.approx(float(2 * up + dn + t_router16) + rest, rel=1e-12)
    assert float(t_router16) != pytest.approx(float(t_router8), rel=1e-3)


def test_etp_reaches_the_forward_time_at_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --etp 1` and `--etp 2` on Mixtral 8x7B, 16 H100, tp 2, ep 8, FP8: the forward time differs (etp 1:
    each rank quantizes only its own tokens' expert inputs, not the tp-gathered ones); before, only the all-to-all and
    the memory did, the forward being timed with tp's split whatever --etp said."""
    fwd = {}
    for etp in ("1", "2"):
        code, out, err = run_main(["plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices",
                                   "16", "--tp", "2", "--ep", "8", "--etp", etp, "--dtype", "fp8", "--seq-len", "4096",
                                   "--global-batch", "64seq", "--zero", "3", "--recompute", "full", "--json"], capsys)
        assert code in (0, 2), err
        fwd[etp] = explain_terms(json.loads(out))["t_fwd_s"]
    assert fwd["1"] < fwd["2"]
