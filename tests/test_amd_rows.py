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
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query, validate_report

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
    assert result.note.startswith("NO CHECKED REASON YET")  # still too fast: the row says so, with what was checked


def test_held_out_issue_rows_say_so() -> None:
    # the proxy row beyond 25% since the fp8 value is derived (0.40, 2026-12-02); its reason checked since ramd
    # (2026-12-05: the 2024-10 build's FP8 GEMMs at about the BF16 rate, tests/test_amd_te_2024_fp8.py)
    for run_id, lead, beyond_25pct in (("amd-mi300x-llama3-70b-proxy-fp8-fsdp", "CHECKED REASON", True),
                                       ("amd-mi300x-gpt2xl-fp8-1gpu", "CHECKED REASON", True)):  # see the next test
        result = reproduce(next(r for r in read_runs() if r["id"] == run_id))
        assert not result.fitted and result.error < 0 and result.note.startswith(lead), run_id
        assert (result.error < -0.25) is beyond_25pct, (run_id, result.error)


# ROCm/TransformerEngine #76, AMD reply 2024-10-17: the DDP script at micro-batch 28 / 32 / 42 (TFLOP/s, script formula)
DDP_TFLOPS_BY_MBS = {28: 315e12, 32: 318e12, 42: 324e12}


def test_gpt2xl_gap_is_the_per_token_rate_shared_by_both_gpt2xl_rows() -> None:
    """The GPT-2 XL rows' checked reason (row notes): AMD's three DDP figures put the per-iteration time on one line
    t = a + b x micro-batch; the one-GPU row (batch 8, its own script) lies on it, so the two rows share one slow
    per-token rate; the model's own slope over the same batches is far smaller (too fast per token), while its
    intercept is small too. Tolerances stated before computing: line residuals < 2 ms, the one-GPU row within 10%
    of the line, the measured slope > 1.5x the modelled one."""
    seq_flops = (6 * 1_557_686_400 + 12 * 48 * 1600 * 1024) * 1024  # the scripts' FLOPs of one 1024-token sequence
    mbs = np.array(sorted(DDP_TFLOPS_BY_MBS), dtype=float)
    t_iter_s = mbs * seq_flops / np.array([DDP_TFLOPS_BY_MBS[int(m)] for m in mbs])
    slope_s, intercept_s = np.polyfit(mbs, t_iter_s, 1)
    assert np.abs(t_iter_s - (intercept_s + slope_s * mbs)).max() < 2e-3
    one_gpu = next(r for r in read_runs() if r["id"] == "amd-mi300x-gpt2xl-fp8-1gpu")
    t_one_gpu_iter_s = float(one_gpu["step_s"]) / 8  # 8 iterations of batch 8 per step
    assert t_one_gpu_iter_s == pytest.approx(intercept_s + 8 * slope_s, rel=0.10)
    ddp = next(r for r in read_runs() if r["id"] == "amd-mi300x-gpt2xl-fp8-ddp")
    modelled = {m: reproduce({**ddp, "mbs": str(m), "global_batch": str(m * 64)}).predicted_step_s / 8
                for m in (28, 42)}  # per iteration: 8 iterations per step
    model_slope_s = (modelled[42] - modelled[28]) / 14
    assert slope_s > 1.5 * model_slope_s


# calibration.toml (amd-instinct-cdna3, 2026-11-30): bf16 matmul_eff_max DERIVED from one published BF16 matmul suite,
# stas00/ml-engineering compute/accelerator/README.md (commit b9e29720), 'Maximum Achievable Matmul FLOPS comparison
# table', BF16 (v2): MI300X 668.4 TFLOP/s, H100 SXM 794.5 TFLOP/s; each over its catalog bf16 peak.
MAMF_BF16_FLOP_PER_S = {"mi300x": 668.4e12, "h100-sxm": 794.5e12}


def test_cdna3_bf16_value_is_the_declared_rule_on_the_smallest_model() -> None:
    """calibration.toml (cdna3, 'bf16 RULE READING', committed before the Infinity Hub rows were predicted): the bf16
    rows' smallest params_b, ties to MI300X, then the source table's first such row. The fit replaced the value derived
    from the MAMF pair (0.47, still recomputed here as the record of what was replaced); test_calibration_fits.py
    re-runs the fit itself."""
    cals = load_calibrations()
    cdna3 = calibration_for(get_device("mi300x"), cals)
    bf16 = [r for r in read_runs() if r["dtype"] == "bf16" and r["hardware"].startswith("mi")
            and reproduce(r).family == "amd-instinct-cdna3"]
    smallest = min(float(r["params_b"]) for r in bf16)
    tied = [r["id"] for r in bf16 if float(r["params_b"]) == smallest and r["hardware"] == "mi300x"]
    assert tied[0] == "amd-ih-mi300x-llama31-8b-bf16-s8192"  # file order = the source table's order
    assert cdna3.fitted_on == ("amd-ih-mi300x-llama31-8b-bf16-s8192",) and cdna3.calibrated("bf16")
    # Hopper's megatron bf16 value of that day: 0.74 (the Ampere fit carried over; fitted to 0.68 since hopbf16)
    fraction = {d: f / get_device(d).peak_flop_per_s["bf16"] for d, f in MAMF_BF16_FLOP_PER_S.items()}
    assert round(0.74 * fraction["mi300x"] / fraction["h100-sxm"], 2) == 0.47  # the replaced value
    # below what a lone MI300X BF16 matmul reaches (the plateau carries framework gaps too, as on Hopper)
    assert cdna3.matmul_eff_max * get_device("mi300x").peak_flop_per_s["bf16"] < MAMF_BF16_FLOP_PER_S["mi300x"]


def test_mi300x_bf16_plan_is_not_faster_than_fp8(capsys: pytest.CaptureFixture[str]) -> None:
    """The user's case: with the default curve (0.74) bf16 came out at 65% MFU and faster than FP8 on the same
    layout; the FP8 linears run at 0.40 of a 2x peak (0.80 of the bf16 peak; 0.30 until 2026-12-02), so bf16 must
    not win."""
    step_s = {}
    for dtype in ("bf16", "fp8"):
        code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "mi300x", "--devices", "8",
                                   "--tp", "1", "--mbs", "2", "--global-batch", "256seq", "--seq-len", "4096",
                                   "--dtype", dtype, "--json"], capsys)
        assert code == 0, err
        step_s[dtype] = explain_terms(json.loads(out))["step_time_s"]
    assert step_s["fp8"] < step_s["bf16"], step_s


# ROCm/TransformerEngine issues #76 / #78: the scripts print TFLOP/s = flops_per_token x bsz x seq / t (one micro-batch
# iteration t), flops_per_token = 6 N + 12 L H (E/H) T with N every parameter; the AMD reply's figures (315 / 696).
ISSUE_ROWS = {  # id -> (N, layers, heads, hidden, seq, micro-batch, published TFLOP/s, iterations per step)
    "amd-mi300x-gpt2xl-fp8-ddp": (1_557_686_400, 48, 25, 1600, 1024, 28, 315e12, 8),
    "amd-mi300x-llama3-70b-proxy-fp8-fsdp": (5_523_972_096, 4, 64, 8192, 4096, 10, 696e12, 1),
    "amd-mi300x-gpt2xl-fp8-1gpu": (1_557_686_400, 48, 25, 1600, 1024, 8, 250e12, 8),  # issue #72, one GPU
}


RECOMPUTED_IDS = frozenset(ISSUE_ROWS)  # rows whose figures the test below recomputes (tests/test_row_notes_checked.py)


@pytest.mark.parametrize("run_id", sorted(ISSUE_ROWS))
def test_issue_rows_step_time_is_the_published_tflops_converted(run_id: str) -> None:
    n, layers, heads, hidden, seq, mbs, tflops, iters = ISSUE_ROWS[run_id]
    row = next(r for r in read_runs() if r["id"] == run_id)
    flops_per_token = 6 * n + 12 * layers * heads * (hidden // heads) * seq
    assert float(row["step_s"]) == pytest.approx(iters * mbs * seq * flops_per_token / tflops, abs=1e-4)
    assert int(row["global_batch"]) == mbs * int(row["dp"]) * iters and int(row["mbs"]) == mbs
    assert (int(row["layers"]), int(row["heads"]), int(row["hidden"]), int(row["seq"])) == (layers, heads, hidden, seq)


def test_cdna3_fp8_value_is_derived_and_its_old_fit_row_keeps_its_role() -> None:
    """calibration.toml (cdna3, 2026-12-02): the fp8 value is derived from AMD's measured MI300X FP8 / BF16 GEMM rates
    (tests/test_calibration_fits.py recomputes it), replacing the grid-floor fit 0.30 on the smallest model's
    single-node row; that row stays a fit row (retired_fit_rows), never a held-out test, and no held-out row became
    one (the GPT-2 XL one-GPU row, the same smallest model, was added after the fit and stays held out)."""
    cals = load_calibrations()
    cdna3 = calibration_for(get_device("mi300x"), cals)
    amd = [r for r in read_runs() if reproduce(r).family == "amd-instinct-cdna3"]
    smallest = min(float(r["params_b"]) for r in amd if r["dtype"] == "fp8")
    assert {r["id"] for r in amd if float(r["params_b"]) == smallest} == {"amd-mi300x-gpt2xl-fp8-ddp",
                                                                          "amd-mi300x-gpt2xl-fp8-1gpu"}
    assert cdna3.fp8_fitted_on == () and cdna3.fp8_derived_from and not cdna3.calibrated("fp8")
    assert cdna3.retired_fit_rows == ("amd-mi300x-gpt2xl-fp8-ddp",) and cdna3.calibrated("bf16")
    fitted = {r.id for r in validate_report().runs if r.family == "amd-instinct-cdna3" and r.fitted}
    assert fitted == {"amd-mi300x-gpt2xl-fp8-ddp", "amd-ih-mi300x-llama31-8b-bf16-s8192"}
    # below the measured 8192^3 hipBLASLt FP8 GEMM (1159.23 TFLOP/s, samuel-bohman/AI-benchmarking-guide
    # ND_MI300X_v5_results.md) and AMD's FP8 MAF (1273 TFLOP/s): a step's GEMMs reach less than a lone one
    assert cdna3.fp8_matmul_eff_max * get_device("mi300x").peak_flop_per_s["fp8"] < 1159.23e12
    assert calibration_for(get_device("mi325x"), cals).family == "amd-instinct-cdna3"
    assert calibration_for(get_device("mi250x"), cals).family == "default"  # CDNA2: no public row with its layout


def test_cdna3_held_out_within_family_bound() -> None:
    """Issue 10's bound: no family's held-out median above 12%. cdna3 is fitted by its declared rules (bf16 0.44 on the
    Infinity Hub Llama 3.1 8B MI300X row; fp8 0.30 on GPT-2 XL DDP until 2026-12-02, derived since: 0.40) and scaled
    to MI325X by the measured matmul ratio (reference_device, calibration.toml: adopted after the MI325X rows' errors
    were seen, which the file says). It was a strict xfail at 13.2% before that scaling."""
    report = validate_report()
    fam = next(g for g in report.by_family if g.group == "amd-instinct-cdna3")
    # 18 since tiering's two held-out ROCm TE issue #79 rows (2026-12-03; 8.58%, 8.18% over the 16 before)
    assert fam.held_out_runs == 18 and fam.median_abs_error <= 0.12


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


# the one-GPU issue row is left out: its attention kernel is stated by the source (CK fused, PR #81)
@pytest.mark.parametrize("run_id", [AMD_ROW, "amd-mi300x-gpt2xl-fp8-ddp", "amd-mi300x-llama3-70b-proxy-fp8-fsdp"])
def test_unfused_attention_cannot_be_the_published_run(run_id: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The rows keep flash = 1 (sources in their notes); the memory model agrees: the same layout with unfused
    attention (the s x s score matrices kept for the backward) overflows the 192 GiB the run trained in. For the
    issue rows this settles part of what ROCm TE PR #81 leaves open: a memory-efficient kernel ran, not the unfused
    one."""
    row = next(r for r in read_runs() if r["id"] == run_id)
    cfg = tmp_path / f"{run_id}.json"
    cfg.write_text(json.dumps({"num_hidden_layers": int(row["layers"]), "hidden_size": int(row["hidden"]),
                               "num_attention_heads": int(row["heads"]),
                               "num_key_value_heads": int(row["kv_heads"] or row["heads"]),
                               "intermediate_size": int(row["ffn"]), "vocab_size": int(row["vocab"]),
                               "max_position_embeddings": int(row["seq"]),
                               "hidden_act": "silu" if row["mlp"] == "swiglu" else "gelu",
                               "tie_word_embeddings": row["tied"] == "1"}), encoding="utf-8")
    base = ["plan", "explain", "--model", str(cfg), "--hardware", "mi300x", "--devices", row["devices"], "--mbs",
            row["mbs"], "--zero", row["zero"], "--recompute", row["recompute"], "--seq-len", row["seq"],
            "--global-batch", f"{row['global_batch']}seq", "--dtype", "fp8", "--no-sp", "--json"]
    capacity = get_device("mi300x").memory_bytes
    for flag, fits in (("--flash", True), ("--no-flash", False)):
        code, out, err = run_main([*base, flag], capsys)
        terms = explain_terms(json.loads(out))
        assert terms["mem_capacity_bytes"] == capacity
        assert (code == 0) is fits and (terms["mem_total_bytes"] <= capacity) is fits, (flag, terms, err)


# AMD 'ROCm PyTorch Training Container (v25.2)' README (AMD Infinity Hub), tables 'MI300X / MI325X platform performance
# results': (device, model, precision, batch, sequence) -> TFLOPS/s/GPU as published.
INFINITY_HUB_TFLOPS = {
    ("mi300x", "70b", "bf16", 4, 8192): 426.79, ("mi300x", "8b", "bf16", 3, 8192): 542.94,
    ("mi300x", "8b", "fp8", 3, 8192): 737.40, ("mi300x", "8b", "bf16", 6, 4096): 523.79,
    ("mi300x", "8b", "fp8", 6, 4096): 735.44, ("mi325x", "70b", "bf16", 7, 8192): 526.13,
    ("mi325x", "8b", "bf16", 3, 8192): 643.01, ("mi325x", "8b", "fp8", 5, 8192): 893.68,
    ("mi325x", "8b", "bf16", 8, 4096): 625.96, ("mi325x", "8b", "fp8", 10, 4096): 894.98,
    ("mi300x", "mistral", "bf16", 3, 8192): 483.17, ("mi300x", "mistral", "fp8", 4, 8192): 723.30,
    ("mi325x", "mistral", "bf16", 5, 8192): 590.23, ("mi325x", "mistral", "fp8", 6, 8192): 860.39,
}


def _script_flops_per_token_8b(seq: int) -> int:
    """AMD-AIG-AIMA/pytorch-training-benchmark llama.py estimate_flops_per_token, per token, for the suite's Llama 3.1
    8B config (L 32, E 4096, H 32, J 8 (the config's, whatever the FP8 model ran), K 14336, V 128256)."""
    layers, e, h, j, k, v = 32, 4096, 32, 8, 14336, 128256
    hd = e // h
    per_layer = 6 * e * k + 2 * e * (h + 2 * j) * hd + 2 * e * h * hd
    return 3 * (layers * per_layer + 2 * e * v) + 12 * layers * seq * h * hd


def _script_flops_per_token_mistral(window: int = 1024) -> int:
    """The same suite's mistral.py MistralConfig.estimate_flops_per_token: the Llama terms (its config has the same
    widths and vocab) with attention over min(window, seq) keys, seq 8192."""
    layers, e = 32, 4096
    return _script_flops_per_token_8b(8192) - 12 * layers * 8192 * e + 12 * layers * window * e


def _torchtitan_flops_per_token_70b() -> int:
    """pytorch/torchtitan get_num_flop_per_token: 6 N + 12 l h q t, N without the token embedding (Llama 3.1 70B)."""
    layers, e, h, kv, k, v, seq = 80, 8192, 64, 8, 28672, 128256, 8192
    n = layers * (2 * e * e + 2 * e * kv * 128 + 3 * e * k + 2 * e) + e + v * e
    return 6 * n + 12 * layers * h * (e // h) * seq


@pytest.mark.parametrize("key", sorted(INFINITY_HUB_TFLOPS))
def test_infinity_hub_rows_are_the_published_tflops_converted(key: tuple[str, str, str, int, int]) -> None:
    device, model, dtype, batch, seq = key
    name = "mistral-7b" if model == "mistral" else f"llama31-{model}"
    row = next(r for r in read_runs() if r["id"] == f"amd-ih-{device}-{name}-{dtype}-s{seq}")
    per_token = {"70b": _torchtitan_flops_per_token_70b(), "mistral": _script_flops_per_token_mistral(),
                 "8b": _script_flops_per_token_8b(seq)}[model]
    assert float(row["step_s"]) == pytest.approx(per_token * batch * seq / (INFINITY_HUB_TFLOPS[key] * 1e12), abs=1e-4)
    assert (row["hardware"], row["dtype"], int(row["seq"]), int(row["mbs"])) == (device, dtype, seq, batch)
    assert int(row["global_batch"]) == 8 * batch and int(row["dp"]) == 8 and row["zero"] == "3"
    # TE TransformerLayer(num_gqa_groups = 32 // 8) ran 4 KV heads in the FP8 model; the bf16 model 8
    assert int(row["kv_heads"]) == (4 if dtype == "fp8" else 8)
    # Mistral rows: every layer's window. A blank cell reads as no window: since the hopdiag merge (9a8f4e3) every row
    # is written out to the header's width, so a blank cell reads as '', not None (3f50c0e had restored the short rows)
    assert (row["sliding_window"] or None) == ("1024" if model == "mistral" else None)


@pytest.mark.parametrize("device", ["mi300x", "mi325x"])
def test_llama70b_rows_need_full_recompute(device: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 70B rows take torchtitan's 'full' activation checkpointing (its llama3_70b.toml default; AMD's README does
    not say). The memory model agrees that only full recompute comes near what ran: without it (none, or selective,
    which with flash attention saves the same) the published batch needs over 3x the device; with full recompute
    within 10% of it (the model puts it about 5% above: its activation and logits terms are pessimistic here, the run
    did fit)."""
    row = next(r for r in read_runs() if r["id"] == f"amd-ih-{device}-llama31-70b-bf16-s8192")
    cfg = tmp_path / "llama31-70b.json"
    cfg.write_text(json.dumps({"num_hidden_layers": 80, "hidden_size": 8192, "num_attention_heads": 64,
                               "num_key_value_heads": 8, "intermediate_size": 28672, "vocab_size": 128256,
                               "max_position_embeddings": 8192, "hidden_act": "silu"}), encoding="utf-8")
    base = ["plan", "explain", "--model", str(cfg), "--hardware", device, "--devices", "8", "--mbs", row["mbs"],
            "--zero", "3", "--seq-len", "8192", "--global-batch", f"{row['global_batch']}seq", "--stack",
            "pytorch-fsdp", "--flash", "--no-sp", "--json"]
    capacity = get_device(device).memory_bytes
    need = {}
    for recompute in ("none", "selective", "full"):
        _, out, _ = run_main([*base, "--recompute", recompute], capsys)
        need[recompute] = explain_terms(json.loads(out))["mem_total_bytes"] / capacity
    assert need["none"] > 3 and need["selective"] > 3 and need["full"] < 1.10, need
    assert row["recompute"] == "full"


def test_mi325x_rate_is_the_measured_matmul_ratio_and_its_error_its_twins() -> None:
    """MI325X and MI300X have the same datasheet peaks; the family's values are scaled to MI325X by the measured matmul
    ratio 784.9 / 668.4 = 1.174 (reference_device). Tolerances stated first: the modelled per-sequence rate ratio of
    each MI325X row over its MI300X twin is that ratio within 3% (MI325X's extra bandwidth and the non-GEMM work make
    up the rest), and each MI325X row's error is its twin's times published / modelled ratio within 2 points (the
    rows' notes); before the scaling the modelled ratio was within 2% of 1 and the MI325X rows +8%..+34%."""
    runs = {r["id"]: r for r in read_runs()}
    mamf = 784.9 / 668.4  # bf16; the fp8 rows' GEMMs scale by AMD's FP8 MAF pair since 2026-12-02, 1519 / 1273 = 1.193
    for tail in ("llama31-8b-bf16-s8192", "llama31-8b-bf16-s4096", "llama31-8b-fp8-s8192", "llama31-8b-fp8-s4096",
                 "llama31-70b-bf16-s8192", "mistral-7b-bf16-s8192", "mistral-7b-fp8-s8192"):
        a, b = runs[f"amd-ih-mi300x-{tail}"], runs[f"amd-ih-mi325x-{tail}"]
        ra, rb = reproduce(a), reproduce(b)
        published = (float(a["step_s"]) / int(a["mbs"])) / (float(b["step_s"]) / int(b["mbs"]))
        modelled = (ra.predicted_step_s / int(a["mbs"])) / (rb.predicted_step_s / int(b["mbs"]))
        measured = 1519 / 1273 if "fp8" in tail else mamf
        assert 1.15 < published < 1.25 and modelled == pytest.approx(measured, rel=0.03), tail
        assert (1 + ra.error) * published / modelled - 1 == pytest.approx(rb.error, abs=0.02), tail
        assert not rb.fitted and abs(rb.error) < 0.25, tail


# --- The two FP8 rows beyond 25% (tests/test_row_notes_checked.py UNEXPLAINED), examined 2026-12-02 (row_amdfp8). ---
# ROCm/TransformerEngine #78, AMD reply 2024-10-17 (wenchenvincent, 'numbers that I got with this PR', PR #66): the
# FSDP 70B-proxy script at batch 2 and at its default batch 10 (the row), TFLOP/s per GPU by the script's formula.
PROXY_ROW = "amd-mi300x-llama3-70b-proxy-fp8-fsdp"
PROXY_TFLOPS_BY_BSZ = {2: 572e12, 10: 696e12}
# The Infinity Hub v25.2 FP8 rows: the same script lineage (FSDP v1 over TE TransformerLayer blocks, DelayedScaling
# amax history 16, a TE LayerNormLinear head inside te.fp8_autocast, eager cross-entropy) on the 2025 stack.
IH_FP8_ROWS = ("amd-ih-mi300x-llama31-8b-fp8-s8192", "amd-ih-mi300x-llama31-8b-fp8-s4096",
               "amd-ih-mi300x-mistral-7b-fp8-s8192")


def _runs() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in read_runs()}


def _proxy_iterations_s() -> tuple[dict[int, float], dict[int, float]]:
    """Published and modelled iteration times of the proxy script at AMD's two batches (one iteration = one step of
    the row: FSDP reduce-scatters every micro-batch)."""
    n, layers, heads, hidden, seq, _, _, _ = ISSUE_ROWS[PROXY_ROW]
    per_token = 6 * n + 12 * layers * heads * (hidden // heads) * seq
    published = {b: b * seq * per_token / tflops for b, tflops in PROXY_TFLOPS_BY_BSZ.items()}
    row = _runs()[PROXY_ROW]
    modelled = {b: reproduce({**row, "mbs": str(b), "global_batch": str(8 * b)}).predicted_step_s for b in published}
    return published, modelled


def _line(t_by_batch: dict[int, float]) -> tuple[float, float]:
    """(seconds per sequence, seconds per iteration) of t = a + b x batch through the two batches."""
    slope = (t_by_batch[10] - t_by_batch[2]) / 8
    return slope, t_by_batch[2] - 2 * slope


def test_proxy_gap_is_mostly_the_per_sequence_rate_at_amds_two_batches() -> None:
    """AMD's two figures put the proxy script's iteration on t = a + b x batch; the model's line at the same batches
    is far shallower, so most of the batch-10 gap is the per-sequence rate, not a fixed per-iteration cost (the
    GPT-2 XL rows' analysis above, applied to #78). Tolerances stated before computing: published slope >= 1.25x the
    modelled, the per-sequence part >= 75% of the batch-10 gap, the published intercept >= 80 ms above the model's.
    The row note quotes the figures as this test prints them, so a model change that moves one fails here."""
    published, modelled = _proxy_iterations_s()
    (b_pub, a_pub), (b_mod, a_mod) = _line(published), _line(modelled)
    gap_s = published[10] - modelled[10]
    per_sequence_share = 10 * (b_pub - b_mod) / gap_s
    assert b_pub >= 1.25 * b_mod and per_sequence_share >= 0.75 and a_pub - a_mod >= 0.08
    note = _runs()[PROXY_ROW]["note"]
    for figure in (f"{b_pub * 1e3:.1f} ms per sequence + {a_pub * 1e3:.1f} ms per iteration",
                   f"{b_mod * 1e3:.1f} ms + {a_mod * 1e3:.1f} ms", f"{per_sequence_share:.0%} of the batch-10 gap",
                   f"batch 2 {modelled[2] / published[2] - 1:+.1%}"):
        assert figure in note, figure


def test_te_rows_ran_nearer_the_models_bf16_time_than_its_fp8_time() -> None:
    """What the two rows' gaps look like against the model: each FP8 run took nearer what the model gives the same
    layout in BF16 than what it gives it in FP8, where the model's FP8 linears run 1.80x its BF16 rate (0.36 of the
    FP8 peak against 0.40 of the BF16 one); on the same device the v25.2 FP8 rows of the same script lineage did get
    the FP8 speed (the BF16 model is > 25% too slow for them). Recorded in both notes, the figures as printed here.
    Until amd_fix (2026-12-03: CK's tile skip, the bf16 rule re-run 0.44 -> 0.40) the BF16 model was within
    -20%..+10% of both runs (-13.6% / +4.1%, +7.4%; tolerances stated before computing); the re-run's slower BF16
    GEMMs put the proxy at batch 10 and the Llama 2 7B log 1.5 / 1.1 points above that band's top (+11.5%, +11.1%),
    so the test now compares the two models' errors, without a band."""
    runs = _runs()
    cdna3 = calibration_for(get_device("mi300x"), load_calibrations())
    speedup = cdna3.fp8_matmul_eff_max * get_device("mi300x").peak_flop_per_s["fp8"] / (
        cdna3.matmul_eff_max * get_device("mi300x").peak_flop_per_s["bf16"])
    assert f"{speedup:.2f}x" == "1.80x"
    published, modelled = _proxy_iterations_s()
    proxy = runs[PROXY_ROW]
    # the BF16 model of a row: dtype bf16, and its head (fp8_output_head) 16 bit with the rest
    bf16_vs_published = {b: reproduce({**proxy, "mbs": str(b), "global_batch": str(8 * b), "dtype": "bf16",
                                       "fp8_output_head": ""})
                         .predicted_step_s / published[b] - 1 for b in published}
    fp8_vs_published = {b: modelled[b] / published[b] - 1 for b in published}
    assert all(abs(bf16_vs_published[b]) < abs(fp8_vs_published[b]) for b in published), bf16_vs_published
    llama2 = runs[AMD_ROW]
    llama2_bf16 = reproduce({**llama2, "dtype": "bf16"}).predicted_step_s / float(llama2["step_s"]) - 1
    llama2_fp8 = reproduce(llama2).error
    assert 0.0 < llama2_bf16 < abs(llama2_fp8)
    ih_bf16 = [reproduce({**runs[r], "dtype": "bf16", "fp8_output_head": ""}).predicted_step_s
               / float(runs[r]["step_s"]) - 1
               for r in IH_FP8_ROWS]
    assert min(ih_bf16) > 0.25
    quoted = (f"{bf16_vs_published[2]:+.1%} / {bf16_vs_published[10]:+.1%}",
              f"{min(ih_bf16):+.0%}..{max(ih_bf16):+.0%}")
    for figure in (*quoted, f"FP8 model's {fp8_vs_published[2]:+.1%} / {fp8_vs_published[10]:+.1%}"):
        assert figure in proxy["note"], figure
    for figure in (f"BF16 model {llama2_bf16:+.1%}, against the FP8 model's {llama2_fp8:+.1%}", quoted[1]):
        assert figure in llama2["note"], figure


@pytest.mark.xfail(strict=True, reason="the band -20%..+10% was stated before computing (row_amdfp8, 2026-12-02) and "
                   "held until amd_fix (2026-12-03): CK's tile skip and the declared cdna3 bf16 rule re-run 0.44 -> "
                   "0.40 slow the BF16 model's GEMMs, which puts the proxy at batch 10 at +11.5% and the Llama 2 7B "
                   "log at +11.1%; the band is not widened")
def test_te_rows_ran_at_about_the_models_bf16_speed() -> None:
    """The stated band of the test above, kept as it was stated: each FP8 run within -20%..+10% of the model's BF16
    time for its layout."""
    runs = _runs()
    published, _ = _proxy_iterations_s()
    proxy = runs[PROXY_ROW]
    bf16 = [reproduce({**proxy, "mbs": str(b), "global_batch": str(8 * b), "dtype": "bf16", "fp8_output_head": ""})
            .predicted_step_s / published[b] - 1 for b in published]
    llama2 = runs[AMD_ROW]
    bf16.append(reproduce({**llama2, "dtype": "bf16"}).predicted_step_s / float(llama2["step_s"]) - 1)
    assert all(-0.20 <= e <= 0.10 for e in bf16), bf16


def test_proxy_fp8_head_moves_the_row_further_too_fast() -> None:
    """The proxy's head is a TE LayerNormLinear inside te.fp8_autocast (the #78 script, code index 26629902806), so its
    three logits GEMMs ran in FP8: the row's fp8_output_head cell (fp8head, 2026-12-03) times them as the FP8 linear
    layers (compute.logits_gemm_s). The cell takes exactly the bf16 GEMMs' time less the FP8 ones' off the step
    (nothing else moves: the logits are on the one stage, pp 1), moving the row further from the mark. The note quotes
    the figures as printed here."""
    from accelopt.predict.compute import gemm16_s, gemm_s
    from accelopt.predict.training import _device

    row = _runs()[PROXY_ROW]
    assert row["fp8_output_head"] == "1"
    res = predict_layout(run_query(row))
    t_tokens = np.asarray([10 * 4096.0])  # micro-batch 10 x seq 4096 per GPU
    vocab, hidden = np.asarray([128256.0]), np.asarray([8192.0])
    t16 = 3 * float(gemm16_s(t_tokens, vocab, hidden, 2.0, _device(res.spec, "bf16", res.cal))[0][0])
    t8 = 3 * float(gemm_s(t_tokens, vocab, hidden, 2.0, _device(res.spec, "fp8", res.cal))[0][0])
    assert 0.4 < t16 < 0.5 and t8 < 0.6 * t16
    with_head, without = reproduce(row).predicted_step_s, reproduce({**row, "fp8_output_head": ""}).predicted_step_s
    assert without - with_head == pytest.approx(t16 - t8, rel=1e-9)
    published = float(row["step_s"])
    for figure in (f"{t16 * 1e3:.0f} ms", f"{t8 * 1e3:.0f} ms", f"{without / published - 1:+.1%} -> "
                   f"{with_head / published - 1:+.1%}", f"{with_head:.2f} s vs {published:.2f} s"):
        assert figure in row["note"], figure


def test_llama2_log_is_steady_state_and_its_unfused_grad_accumulation_is_small() -> None:
    """hisohara/ai-scripts training/02_megatron/README.md (3ae89cf): the log's iteration 50 reads 10235.8 ms, the
    summary 10250.5 ms (train_llama2.sh's mean_log_value.py averages the lines after the first two): the figure is
    the steady state, within 0.2%. train_llama2.sh passes --no-gradient-accumulation-fusion: each micro-batch's bf16
    weight gradients are added into the fp32 main_grad buffers (at most 2 + 4 read + 4 written bytes per parameter),
    which the model does not charge; at the device's achievable bandwidth that bounds it well below the gap."""
    row = _runs()[AMD_ROW]
    assert abs(10235.8 / 10250.497872340427 - 1) < 0.002
    res = reproduce(row)
    spec = get_device("mi300x")
    cal = calibration_for(spec, load_calibrations())
    micro_batches = int(row["global_batch"]) // (int(row["mbs"]) * int(row["dp"]))
    params = run_query(row).model.params_total()
    bound_s = micro_batches * params * 10.0 / (spec.memory_bandwidth_byte_per_s * cal.memory_eff)
    gap_s = float(row["step_s"]) - res.predicted_step_s
    assert bound_s < 0.05 * gap_s
    for figure in (f"{bound_s * 1e3:.0f} ms", f"{bound_s / gap_s:.1%} of the {gap_s:.2f} s gap"):
        assert figure in row["note"], figure


# ROCm/aiter op_tests/cpp/mha/README.md (stored 0403bcdf, the table of aiter PR #1270, 2025-10-28): the asm (v3)
# attention backward on MI300X, bf16, BSHD, head dim 128, seqlen 4096, causal (the masked runs' FLOPs halved), dq
# accumulated in fp32 ('BWD-a32', ROCm TE's NVTE_CK_IS_V3_ATOMIC_FP32 default 1), 32 query / 8 KV heads, batch 4 and 8
V3_BWD_A32_CAUSAL_4096_TFLOPS = (416.54, 409.05)


def _llama2_backward_at(bwd_flop_per_s: float) -> float:
    """The Llama 2 7B FP8 row's predicted step with its attention core's backward at `bwd_flop_per_s` and the forward
    at the model's own rate for it (a what-if: the row's fused CK core timed as a kernel of published per-pass rates,
    the forward's rate the GEMM-curve efficiency the model gives the core's per-layer forward work)."""
    import dataclasses

    from accelopt.predict.training import _device

    spec = get_device("mi300x")
    cals = load_calibrations()
    cal = calibration_for(spec, cals)
    dev = _device(spec, "bf16", cal)
    # one layer's causal core forward per micro-batch: b 4 x 32 heads x 4096 queries x (4096 + 1) / 2 keys x 2 x 256
    fwd_eff = float(dev.matmul_eff(np.asarray([2.0 * 4 * 32 * 4096 * 4097 / 2 * 256]))[0])
    what_if = dataclasses.replace(cal, flash2_attention_eff=fwd_eff,
                                  flash2_bwd_attention_eff=bwd_flop_per_s / dev.peak_flop_per_s)
    row = {**_row(), "attention_kernel": "flash2"}
    return reproduce(row, dict(cals, **{cal.family: what_if})).predicted_step_s


def test_llama2_log_ran_cks_v2_backward_and_the_rate_the_row_needs_from_it() -> None:
    """rmisc (2026-12-05). Which fused-attention backward the log ran: CK's v2 tile kernels. ROCm TE's bwd v3 is opt-in
    (PR #98, 2024-12: 'NVTE_CK_USES_BWD_V3 - by default 0'); the dev tree PR #272 edited (review 2025-08-19, after the
    log's 2025-08-13 run on the older 8c4a512) still reads getenv<int>("NVTE_CK_USES_BWD_V3", 0) and, since PR #151
    (2025-03-18, 'Disable calling CK v3 bwd on SBHD formats'), off on sbhd, the layout Megatron's TEDotProductAttention
    passes (qkv_format 'sbhd'); neither run_llama2.sh nor train_llama2.sh (02b8aa7, bb3bcb65) sets it. The model runs
    the core's backward at its forward's GEMM-curve rate, 522 TFLOP/s; no source gives CK v2's rate at this shape. What
    the row needs from it, recomputed here: the published step takes a backward of 100 TFLOP/s; within 25% needs 368
    TFLOP/s or less; aiter's v3 backward measured at the nearest shape (416.54 / 409.05 TFLOP/s) leaves the row beyond
    25%."""
    row = _row()
    published = float(row["step_s"])
    base = reproduce(row).predicted_step_s
    spec = get_device("mi300x")
    peak = float(spec.peak("bf16"))
    from accelopt.predict.training import _device

    dev = _device(spec, "bf16", calibration_for(spec, load_calibrations()))
    model_rate = float(dev.matmul_eff(np.asarray([2.0 * 4 * 32 * 4096 * 4097 / 2 * 256]))[0]) * peak
    assert _llama2_backward_at(model_rate) == pytest.approx(base, rel=1e-9)  # the what-if is the model at its rate

    def rate_for(target_step_s: float) -> float:  # the predicted step falls as the backward's rate rises
        lo, hi = 0.01 * peak, model_rate
        for _ in range(50):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _llama2_backward_at(mid) > target_step_s else (lo, mid)
        return (lo + hi) / 2

    to_match, within = rate_for(published), rate_for(0.75 * published)
    assert 0.15 * model_rate < to_match < 0.25 * model_rate and within < 0.75 * model_rate
    at_v3 = [_llama2_backward_at(r * 1e12) / published - 1 for r in V3_BWD_A32_CAUSAL_4096_TFLOPS]
    assert all(err < -0.25 for err in at_v3)
    for figure in (f"{model_rate / 1e12:.0f} TFLOP/s", f"{to_match / 1e12:.0f} TFLOP/s",
                   f"{within / 1e12:.0f} TFLOP/s or less", f"{at_v3[0]:+.1%} / {at_v3[1]:+.1%}"):
        assert figure in row["note"], figure
