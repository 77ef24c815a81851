"""The routed experts' GEMM path (issue 10, qwen3moe, 2026-12-04): plan / plan explain --moe-grouped-mlp te|cutedsl,
runs-file column moe_grouped_mlp, compute.fused_grouped_gemm_s.

te (the default) is Transformer Engine's GroupedLinear: one cuBLASLt call per local expert, each at least the family's
expert_gemm_floor_s (compute.grouped_gemm_s). cutedsl is Megatron-Bridge's cutedsl_fused_grouped_mlp: Transformer
Engine's operation-fuser grouped MLP, a CuTe DSL kernel computing an MXFP8 grouped GEMM (NVIDIA/TransformerEngine PR
#2622; PR #2769, 'GEMM + Swiglu fused Grouped MLP for MXFP8'; Megatron-Bridge PR #3983 sets
NVTE_CUTEDSL_FUSED_GROUPED_MLP=1 with it), selected on SM100+ with MXFP8 only (NVIDIA-NeMo/RL PR #4194): one launch
per grouped GEMM, no per-expert host call. All of these fail before the change: the function, the flag, the Setup
field and the column are new.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import explain_doc, explain_terms, run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import Device, fused_grouped_gemm_s, grouped_gemm_s, linear_precision
from accelopt.predict.validation import read_runs, reproduce, run_query


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

ROWS = {r["id"]: r for r in read_runs()}
GB200_30B = "mb260401-gb200-qwen3-30b"  # 8 GB200, TP 1, EP 8, MBS 4, GBS 512, 48 MoE layers, MXFP8, blank cell


def _mxfp8_device(name: str) -> Device:
    spec = get_device(name)
    cal = calibration_for(spec)
    return Device(peak_flop_per_s=spec.peak("bf16"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal,
                  linear=linear_precision(spec, "fp8", cal, "mxfp8"))


def test_fused_grouped_gemm_by_hand() -> None:
    """Qwen3-30B-A3B's up projection on a GB200 at MBS 4 x 4096 tokens, EP 8: 16 local experts of 16384 x 8 x 8 / 128
    = 8192 tokens each, [8192, 2048] x [2048, 768]. One kernel: 2 x 16 x 8192 x 768 x 2048 = 412.3 GFLOP at the MXFP8
    rate and the efficiency of the whole kernel's FLOPs, the 16 weights and inputs read in 1 B, outputs written in
    2 B, one launch; the [16 x 8192, 2048] input quantized once."""
    dev = _mxfp8_device("gb200")
    lin, cal = dev.linear, dev.cal
    assert lin is not None
    m, n, k, g = 8192.0, 768.0, 2048.0, 16.0
    flops = 2 * m * n * k * g
    assert flops == pytest.approx(412.3e9, rel=1e-3)
    bw = dev.bw_byte_per_s * cal.memory_eff
    n_bytes = g * ((m * k + k * n) * lin.operand_bytes + m * n * 2.0)
    t_gemm = max(flops / (lin.peak_flop_per_s * float(dev.linear_eff(flops))), n_bytes / bw) + cal.kernel_overhead_s
    t_cast = g * m * k * lin.cast_bytes_per_input / bw + lin.cast_kernels * cal.kernel_overhead_s
    t, f = fused_grouped_gemm_s(m, n, k, 2.0, dev, g)
    assert float(f) == pytest.approx(flops)
    assert float(t) == pytest.approx(t_gemm + t_cast, rel=1e-9)


def test_fused_has_no_per_expert_floor() -> None:
    """The te loop lasts at least groups x expert_gemm_floor_s (33.4 us on Blackwell); the fused kernel does not
    depend on the floor and, at Qwen3-30B-A3B's 768-wide experts, runs under the loop."""
    dev = _mxfp8_device("gb200")
    assert dev.cal.expert_gemm_floor_s > 0
    m, n, k, g = 8192.0, 768.0, 2048.0, 16.0
    t_loop = float(grouped_gemm_s(m, n, k, 2.0, dev, g)[0])
    t_fused = float(fused_grouped_gemm_s(m, n, k, 2.0, dev, g)[0])
    assert t_loop >= g * dev.cal.expert_gemm_floor_s
    assert t_fused < t_loop
    no_floor = Device(peak_flop_per_s=dev.peak_flop_per_s, bw_byte_per_s=dev.bw_byte_per_s, linear=dev.linear,
                      cal=dev.cal.__class__(**{**dev.cal.__dict__, "expert_gemm_floor_s": 0.0}))
    assert float(fused_grouped_gemm_s(m, n, k, 2.0, no_floor, g)[0]) == pytest.approx(t_fused)


def test_row_cell_moves_only_the_expert_gemms() -> None:
    """On the MXFP8 GB200 Qwen3-30B-A3B row the cell shortens the forward and backward (the expert GEMMs) and leaves
    the logits and the expert all-to-all as they were; a dense row is unchanged by it."""
    row = ROWS[GB200_30B]
    assert not (row.get("moe_grouped_mlp") or "").strip()
    q_te, q_cd = run_query(row), run_query({**row, "moe_grouped_mlp": "cutedsl"})
    assert (q_te.moe_grouped_mlp, q_cd.moe_grouped_mlp) == ("te", "cutedsl")
    a, b = reproduce(row), reproduce({**row, "moe_grouped_mlp": "cutedsl"})
    assert b.predicted_step_s < a.predicted_step_s
    from accelopt.predict.query import predict_layout

    ta, tb = predict_layout(q_te).terms, predict_layout(q_cd).terms
    assert float(tb["t_fwd_s"]) < float(ta["t_fwd_s"]) and float(tb["t_bwd_s"]) < float(ta["t_bwd_s"])
    assert float(tb["t_logits_s"]) == float(ta["t_logits_s"])
    assert float(tb["t_ep_comm_raw_s"]) == float(ta["t_ep_comm_raw_s"])


def test_bad_value_and_non_mxfp8_refused() -> None:
    with pytest.raises(InputError, match="--moe-grouped-mlp 'cublas'"):
        reproduce({**ROWS[GB200_30B], "moe_grouped_mlp": "cublas"})
    h100 = "mb260401-h100-qwen3-30b"  # FP8 current scaling on H100
    assert ROWS[h100]["fp8_recipe"].strip() != "mxfp8"
    with pytest.raises(InputError, match="MXFP8 GEMMs only"):
        reproduce({**ROWS[h100], "moe_grouped_mlp": "cutedsl"})


def _explain_args(cfg: Path) -> list[str]:
    return ["plan", "explain", "--model", str(cfg), "--hardware", "gb200", "--devices", "8", "--ep", "8",
            "--mbs", "4", "--seq-len", "4096", "--global-batch", "512seq", "--dtype", "fp8", "--fp8-recipe", "mxfp8",
            "--zero", "1", "--recompute", "none", "--flash", "--json"]


def _explain_doc(capsys: pytest.CaptureFixture[str], cfg: Path, *extra: str) -> dict[str, Any]:
    return explain_doc(capsys, [*_explain_args(cfg), *extra])


def test_flag_at_the_cli(qwen3_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --moe-grouped-mlp cutedsl` records the choice, says no floor applies instead of the floor's note,
    and shortens the forward; the default is te; a bad value exits 2 naming the flag and the choices."""
    fused, loop = _explain_doc(capsys, qwen3_cfg, "--moe-grouped-mlp", "cutedsl"), _explain_doc(capsys, qwen3_cfg)
    assert (fused["moe_grouped_mlp"], loop["moe_grouped_mlp"]) == ("cutedsl", "te")
    assert any("no per-expert floor" in n for n in fused["notes"]), fused["notes"]
    assert any("expert_gemm_floor_s" in n for n in loop["notes"]), loop["notes"]
    assert explain_terms(fused)["t_fwd_s"] < explain_terms(loop)["t_fwd_s"]
    code, out, err = run_main([*_explain_args(qwen3_cfg), "--moe-grouped-mlp", "cublas"], capsys)
    assert code == 2 and "--moe-grouped-mlp 'cublas'" in out + err and "te or cutedsl" in out + err


def test_flag_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in (["plan", "--help"], ["plan", "explain", "--help"]):
        code, out, _ = run_main(cmd, capsys)
        assert code == 0 and "--moe-grouped-mlp" in out, cmd


SET_ROWS = {  # run id -> the Megatron-Bridge PR its note cites for cutedsl_fused_grouped_mlp and moe_a2a_overlap
    "mb2606-gb200-qwen3-30b": "PR #4249", "mb2606-gb300-qwen3-30b": "PR #4249",
    "mb2606-gb200-qwen3-235b": "PR #4249", "mb2606-gb300-qwen3-235b": "PR #4249",
    "mb2606-gb300-dsv3": "PR #3983", "mb2606-gb300-dsv3-gbs15360": "PR #3983",
}


def test_rows_carrying_the_cell() -> None:
    """qwen3moe (2026-12-04) set moe_grouped_mlp cutedsl, with ep_a2a_overlap 1, where a source shows the 26.06
    recipe set cutedsl_fused_grouped_mlp and moe_a2a_overlap: the GB200 / GB300 Qwen3 MXFP8 presets (Megatron-Bridge
    PR #4249; PR #4606 names that path) and the GB300 DeepSeek-V3 MXFP8 preset (PR #3983). Every such row is MXFP8;
    the 26.04.01 siblings and the GB200 DeepSeek-V3 row (PR #3983: 'non-GB300 hardware ... untouched') stay blank.
    Each note quotes its prediction with the cells."""
    # 2026-12-04 (moerows): the MaxText MoE rows carry megablox (tests/test_moe_megablox.py); cutedsl rows here
    carrying = sorted(rid for rid, r in ROWS.items() if (r.get("moe_grouped_mlp") or "").strip() == "cutedsl")
    assert carrying == sorted(SET_ROWS)
    for rid, pr in SET_ROWS.items():
        row = ROWS[rid]
        assert (row["moe_grouped_mlp"], row["ep_a2a_overlap"], row["fp8_recipe"]) == ("cutedsl", "1", "mxfp8"), rid
        assert pr in row["note"] and "after the first prediction, for a cited reason" in row["note"], rid
        r = reproduce(row)
        quoted = f"{100 * r.error:+.1f}% ({r.predicted_step_s:.2f} s against {r.published_step_s:.2f} s)"
        # 2026-12-04 (sortchunks): the qwen3moe sentence keeps its figure (history) and the current one follows it,
        # after the local-expert sort cost (e.g. mb2606-gb200-qwen3-30b -13.5% -> -5.3%)
        assert "Predicted with these cells (qwen3moe, 2026-12-04, once after they were set): " in row["note"], rid
        assert (f"Predicted with these cells after the local-expert sort cost (sortchunks, 2026-12-04): {quoted}"
                in row["note"]), rid
    assert not (ROWS["mb2606-gb200-dsv3"].get("moe_grouped_mlp") or "").strip()
