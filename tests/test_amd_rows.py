"""AMD Instinct rows of the runs file and the amd-instinct-cdna3 calibration family (issue 10).

Sources are cited in published_training_runs.csv (AMD block) and calibration.toml (amd-instinct-cdna3)."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.validation import read_runs, reproduce, validate_report

AMD_ROW = "amd-mi300x-llama2-7b-fp8"
# AMD ROCm blog 'Understanding RCCL Bandwidth and xGMI Performance on AMD Instinct MI300X' (2025-03-02), section
# 'xGMI Overview': each GPU wired to its 7 peers (fully connected mesh, no switch), 64 GB/s per point-to-point link
# (per direction).
XGMI_LINK_BYTE_PER_S = 64e9


def _row() -> dict[str, str]:
    return next(r for r in read_runs() if r["id"] == AMD_ROW)


def test_row_devices_follow_from_the_published_log() -> None:
    # The log prints time per iteration (ms) and tokens/GPU/s = BS x SEQ x 1000 / (time x WORLD_SIZE)
    # (train_llama2.sh); the row's 8 devices must be what those two printed figures imply.
    row = _row()
    world = int(row["global_batch"]) * int(row["seq"]) * 1000 / (10250.497872340427 * 12786.891099)
    assert abs(world - int(row["devices"])) < 0.01
    assert abs(float(row["step_s"]) - 10.2505) < 1e-4


def test_amd_row_is_held_out_on_the_cdna3_family() -> None:
    result = reproduce(_row())
    assert not result.fitted and result.family == "amd-instinct-cdna3" and result.dtype == "fp8"
    assert result.note.startswith("NO CHECKED REASON YET")  # beyond 25%: the row says so, with what was checked


def test_cdna3_fp8_value_is_the_declared_derivation_not_a_fit() -> None:
    # fp8_matmul_eff_max = Hopper megatron FP8 value x (MI300X / H100 measured FP8 GEMM fraction at 8192^3),
    # figures from samuel-bohman/AI-benchmarking-guide Azure_Results (ND_MI300X_v5 1159.23, ND_H100_v5 1290.1 TFLOP/s).
    cals = load_calibrations()
    hopper = cals["nvidia-hopper"].fp8_matmul_eff_max
    mi300x, h100 = get_device("mi300x"), get_device("h100-sxm")
    ratio = (1159.23e12 / mi300x.peak_flop_per_s["fp8"]) / (1290.1e12 / h100.peak_flop_per_s["fp8"])
    cdna3 = calibration_for(mi300x, cals)
    assert round(hopper * ratio, 2) == cdna3.fp8_matmul_eff_max
    assert not cdna3.calibrated("fp8") and not cdna3.calibrated("bf16")  # still 'uncalibrated' in plan
    assert calibration_for(get_device("mi325x"), cals).family == "amd-instinct-cdna3"
    assert calibration_for(get_device("mi250x"), cals).family == "default"  # CDNA2: no row, no derivation


@pytest.mark.xfail(reason="the one AMD row (ROCm Megatron-LM, Llama 2 7B FP8 on 8 MI300X) is predicted -26% fast with "
                          "the derived (not fitted) fp8 efficiency 0.34; unfused attention and GEMM_TUNING=0 are ruled "
                          "out by sources (row note); the CK fused-attention rate, the FP8 GEMM rate at these "
                          "shapes and TE amax-history cost have no source: one row cannot separate them, the family is "
                          "not fitted",
                   strict=True)
def test_cdna3_held_out_within_family_bound() -> None:
    report = validate_report()
    fam = next(g for g in report.by_family if g.group == "amd-instinct-cdna3")
    assert fam.held_out_runs == 1 and fam.median_abs_error <= 0.12


@pytest.mark.parametrize("device", ["mi300x", "mi325x"])
def test_a_tp2_group_on_the_xgmi_mesh_gets_one_link_not_the_aggregate(device: str) -> None:
    """No switch: a pair of GPUs talks over its one xGMI link (64 GB/s), a group of g over g - 1 links; only all 8
    reach the 7 x 64 = 448 GB/s aggregate. Training (Links, x scaleup_bw_eff) and serving (pick_link, raw) agree."""
    spec = get_device(device)
    cal = calibration_for(spec, load_calibrations())
    links = comm.Links.of(spec, cal)
    g = np.array([2.0, 4.0, 8.0])
    assert links.up_bw_of(g) == pytest.approx(cal.scaleup_bw_eff * XGMI_LINK_BYTE_PER_S * (g - 1), rel=1e-12)
    assert links.up_bw_of(np.array([8.0]))[0] == pytest.approx(cal.scaleup_bw_eff * 448e9, rel=1e-12)
    assert comm.pick_link(spec, 2)[0] == pytest.approx(XGMI_LINK_BYTE_PER_S, rel=1e-12)


def test_plan_explain_charges_tp2_on_mi300x_one_xgmi_link(capsys: pytest.CaptureFixture[str]) -> None:
    eff = calibration_for(get_device("mi300x"), load_calibrations()).scaleup_bw_eff
    for tp, links in ((2, 1), (8, 7)):
        code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "mi300x", "--devices", "8",
                                   "--tp", str(tp), "--json"], capsys)
        assert code in (0, 2), err
        assert explain_terms(json.loads(out))["in_tp_link_byte_per_s"] == pytest.approx(
            eff * XGMI_LINK_BYTE_PER_S * links, rel=1e-12)


def test_unfused_attention_cannot_be_the_published_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The row keeps flash = 1 (sources in its note); the memory model agrees: the same layout with unfused attention
    (the s x s score matrices kept for the backward) overflows the 192 GiB the run trained in."""
    row = _row()
    cfg = tmp_path / "llama2-7b.json"
    cfg.write_text(json.dumps({"num_hidden_layers": int(row["layers"]), "hidden_size": int(row["hidden"]),
                               "num_attention_heads": int(row["heads"]),
                               "num_key_value_heads": int(row["kv_heads"] or row["heads"]),
                               "intermediate_size": int(row["ffn"]), "vocab_size": int(row["vocab"]),
                               "max_position_embeddings": int(row["seq"]), "hidden_act": "silu",
                               "tie_word_embeddings": False}), encoding="utf-8")
    base = ["plan", "explain", "--model", str(cfg), "--hardware", "mi300x", "--devices", row["devices"], "--mbs",
            row["mbs"], "--zero", row["zero"], "--recompute", row["recompute"], "--seq-len", row["seq"],
            "--global-batch", f"{row['global_batch']}seq", "--dtype", "fp8", "--no-sp", "--json"]
    capacity = get_device("mi300x").memory_bytes
    for flag, fits in (("--flash", True), ("--no-flash", False)):
        code, out, err = run_main([*base, flag], capsys)
        terms = explain_terms(json.loads(out))
        assert terms["mem_capacity_bytes"] == capacity
        assert (code == 0) is fits and (terms["mem_total_bytes"] <= capacity) is fits, (flag, terms, err)
