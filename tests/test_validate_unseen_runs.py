"""Published training runs the project had not seen, typed in as a new user would (issue 10), all held out.

Rows (published_training_runs.csv, block 'Held-out rows added 2026-12-01 (utrain ...)', committed before any was
predicted): MaxText's v5p README 128B/256B/512B tables (TPU v5p, 1-2 slices) and v4 README 22B/52B tables (TPU v4, 1-8
slices), torchtitan's FSDP2 table on 64 A100 80GB (Llama 2 13B / 70B, Llama 3 70B), NeMo 25.02 DGX-B200 and 25.04 DGX-
GB200 FP8 pre-training tables.

Tolerances, stated from the issue before these rows were measured: every held-out row within 25% (beyond it a row
needs a checked note) and a family's held-out median within 12%. Measured 2026-12-01: every new row within 25% (worst
nemo2502-b200-llama3-70b -20.1%); TPU v5p median 2.7% -> 3.0% (3 -> 11 runs), TPU v4 3.1% -> 2.4% (1 -> 7), Ampere
4.3% -> 4.4% (23 -> 26), Blackwell 4.2% -> 12.8% (4 -> 12 runs): above 12%, a strict xfail until the family's FP8
fit was broadened by a declared rule (2026-12-01, bwell: 8.4% over 22, a passing test below).
"""

from __future__ import annotations

import statistics

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query, validate_report

REPORT = validate_report()
RESULTS = {r.id: r for r in REPORT.runs}
ROWS = {r["id"]: r for r in read_runs()}

# MaxText MaxText/configs/v5p/README.md (commit 0ed7bd5): (TFLOP/sec/chip, MFU %) per row, as published.
MAXTEXT_V5P = {
    "maxtext-v5p-128b-256x1": (315, 68.68), "maxtext-v5p-128b-256x2": (305, 66.34),
    "maxtext-v5p-128b-512x1": (316, 68.83), "maxtext-v5p-128b-512x2": (274, 59.66),
    "maxtext-v5p-256b-x1": (308, 67.09), "maxtext-v5p-256b-x2": (289, 62.99),
    "maxtext-v5p-512b-x1": (294, 63.99), "maxtext-v5p-512b-x2": (282, 61.45),
}
# MaxText MaxText/configs/v4/README.md (commits e298580, 30cd40a): (TFLOP/sec/chip, MFU %) against 275 TFLOP/s.
MAXTEXT_V4 = {
    "maxtext-v4-22b-x1": (156, 56.7), "maxtext-v4-22b-x2": (152, 55.2), "maxtext-v4-22b-x4": (149, 54.3),
    "maxtext-v4-22b-x8": (146, 53.2), "maxtext-v4-52b-x1": (154, 56.0), "maxtext-v4-52b-x2": (162, 58.9),
}
# torchtitan docs/performance.md (commit 0413364), 64 A100 80GB: (WPS tokens/s per GPU, MFU %, local batch).
TORCHTITAN_A100 = {
    "tt-a100-llama2-13b-noac": (2162, 61.1, 2), "tt-a100-llama2-70b-full": (353, 50.5, 2),
    "tt-a100-llama3-70b-full": (331, 51.7, 1),
}
A100_BF16_PEAK_FLOP_PER_S = 312e12  # torchtitan's MFU denominator (A100 datasheet, dense bf16)
# NeMo performance summaries: Tokens / sec / GPU per row (25.02 DGX-B200, 25.04 DGX-GB200).
NEMO_BLACKWELL = {
    "nemo2502-b200-gpt3-175b": 1600, "nemo2502-b200-llama3-8b": 26006, "nemo2502-b200-llama3-70b": 3062,
    "nemo2502-b200-llama31-405b": 625, "nemo2504-gb200-gpt3-175b": 1804, "nemo2504-gb200-llama3-8b": 33099,
    "nemo2504-gb200-llama3-70b": 4035, "nemo2504-gb200-llama31-405b": 665,
}
# nemonew (2026-12-03): the NeMo releases' tables the file lacked, every row the stored pages show whole (runs-file
# block 'nemonew', committed before any was predicted): NeMo 25.07 DGX-GB200 and the 25.02 DGX-H100 table's GPT3-175B
# row.
# Tokens / sec / GPU as published (the figure outside the parentheses).
NEMO_NEW = {
    "nemo2507-gb200-llama3-8b": 31737, "nemo2507-gb200-llama3-70b": 4066, "nemo2507-gb200-llama31-405b": 706,
    "nemo2507-gb200-llama4-scout": 13783, "nemo2502-h100-gpt3-175b": 866,
}
# mixrows (2026-12-03): every Mixtral row of the stored NeMo 25.02 DGX-B200 and 25.04 DGX-GB200 tables (runs-file block
# 'mixrows', committed before any was predicted). Tokens / sec / GPU as published.
NEMO_MIXTRAL = {
    "nemo2502-b200-mixtral-8x7b": 15457, "nemo2502-b200-mixtral-8x22b": 2232,
    "nemo2504-gb200-mixtral-8x7b": 19275, "nemo2504-gb200-mixtral-8x22b": 2731,
}
# the 8x22B rows are beyond the row bound: UNEXPLAINED in tests/test_row_notes_checked.py, figures checked below
MIXTRAL_WITHIN = tuple(i for i in NEMO_MIXTRAL if "8x7b" in i)
MIXTRAL_BEYOND = tuple(i for i in NEMO_MIXTRAL if "8x22b" in i)
NEW = (*MAXTEXT_V5P, *MAXTEXT_V4, *TORCHTITAN_A100, *NEMO_BLACKWELL, *NEMO_NEW, *MIXTRAL_WITHIN)
ROW_BOUND = 0.25  # issue 10: a held-out row beyond 25% needs a checked note
FAMILY_BOUND = 0.12  # issue 10: no family's held-out median above 12%


@pytest.mark.parametrize("run_id", NEW)
def test_new_row_is_held_out_and_within_the_row_bound(run_id: str) -> None:
    r = RESULTS[run_id]
    # tt-a100-llama2-13b-noac: the fit row of nvidia-ampere/torchtitan since 2026-12-04 (ttstack, calibration.toml)
    assert not r.fitted or run_id == "tt-a100-llama2-13b-noac"
    assert abs(r.error) <= ROW_BOUND, f"{run_id}: {r.error:+.1%} (needs a checked note or UNEXPLAINED)"


@pytest.mark.parametrize("run_id", [*MAXTEXT_V5P, *MAXTEXT_V4])
def test_maxtext_tables_are_self_consistent(run_id: str) -> None:
    # each README's TFLOP/sec/chip over the chip's peak (v5p 459, v4 275 TFLOP/s) is its MFU (within its rounding to
    # whole TFLOP/s)
    tflops, mfu = {**MAXTEXT_V5P, **MAXTEXT_V4}[run_id]
    peak = 459 if run_id in MAXTEXT_V5P else 275
    assert tflops / peak == pytest.approx(mfu / 100, abs=0.002)
    assert float(ROWS[run_id]["mfu_pct"]) == mfu


@pytest.mark.parametrize("run_id", TORCHTITAN_A100)
def test_torchtitan_step_and_mfu_recomputed_from_the_rows_cells(run_id: str) -> None:
    wps, mfu, local_batch = TORCHTITAN_A100[run_id]
    row = ROWS[run_id]
    seq, layers, h = int(row["seq"]), int(row["layers"]), int(row["hidden"])
    heads, kv, ffn, vocab = int(row["heads"]), int(row["kv_heads"]), int(row["ffn"]), int(row["vocab"])
    assert float(row["step_s"]) == pytest.approx(local_batch * seq / wps, abs=1e-4)
    assert int(row["global_batch"]) == local_batch * int(row["devices"])
    # torchtitan's get_num_flop_per_token: 6 x (parameters less the input embedding) + 12 x layers x h x seq; the
    # published MFU follows from the row's cells within 1.5 points, i.e. the cells are the model torchtitan ran
    head_dim = h // heads
    per_layer = 2 * h * heads * head_dim + 2 * h * kv * head_dim + 3 * h * ffn + 2 * h
    params_less_embedding = layers * per_layer + vocab * h + h  # the output projection and final norm count
    flop_per_token = 6 * params_less_embedding + 12 * layers * h * seq
    assert flop_per_token * wps / A100_BF16_PEAK_FLOP_PER_S == pytest.approx(mfu / 100, abs=0.015)


@pytest.mark.parametrize("run_id", NEMO_BLACKWELL)
def test_nemo_blackwell_step_is_the_tables_columns(run_id: str) -> None:
    row = ROWS[run_id]
    tokens = int(row["global_batch"]) * int(row["seq"])
    assert float(row["step_s"]) == pytest.approx(tokens / (NEMO_BLACKWELL[run_id] * int(row["devices"])), abs=1e-4)


def _nemo_step_layout_and_note(row: dict[str, str], tokens_per_s_per_gpu: int) -> None:
    """step = GBS x seq / (tokens/s/GPU x GPUs), the devices the layout's product, and the note quoting the published
    figure and naming the recipe CSV its layout and recompute cells were read from."""
    tokens = int(row["global_batch"]) * int(row["seq"])
    assert float(row["step_s"]) == pytest.approx(tokens / (tokens_per_s_per_gpu * int(row["devices"])), abs=1e-4)
    assert int(row["devices"]) == int(row["tp"]) * int(row["pp"]) * int(row["dp"]) * int(row["cp"])
    assert f"Published {tokens_per_s_per_gpu} Tokens/sec/GPU" in row["note"]
    assert "model_configs_" in row["note"]


@pytest.mark.parametrize("run_id", NEMO_NEW)
def test_nemo_new_rows_step_layout_and_sources(run_id: str) -> None:
    row = ROWS[run_id]
    _nemo_step_layout_and_note(row, NEMO_NEW[run_id])
    release = "NeMo25.07 perf summary DGX-GB200" if run_id.startswith("nemo2507") else "NeMo25.02 perf summary DGX-H100"
    assert row["source"] == release


def test_nemo_new_rows_errors_as_quoted() -> None:
    # README (the *Held-out* paragraph) and calibration.toml's record quote these: the four 25.07 GB200 rows
    # -7.6%..-1.0% (median 2.0%), the 25.02 H100 GPT3-175B row +15.9%, all within the row bound without a note
    # 2026-12-04 (vpfix): nemo2502-h100-gpt3-175b +15.9 -> +16.1%, vpchunk's pipeline edge costs
    # 2026-12-05 (moeopt): nemo2507-gb200-llama4-scout -2.1 -> -2.0%, the experts' optimizer step over their
    # expert-data-parallel group (the range and the median unchanged)
    # 2026-12-05 (rblackwell): the 25.07 GB200 rows -1.0 / -2.0 / -7.6 / -2.0% -> the figures below (median 2.0% ->
    # 4.5%), GB200's fused attention core at its measured cuDNN rate and the Blackwell fp8 rule re-run 0.46 -> 0.50
    # 2026-12-05 (rgb300): -1.9 / -5.6 / -12.4 / -3.4% -> the figures below (median 4.5% -> 2.6%), the 25.07
    # container's cuDNN before 9.17: GB200's fused core at its catalog rate under such a release (cudnn_before_9_17)
    errors = {i: round(100 * RESULTS[i].error, 1) for i in NEMO_NEW}
    assert errors == {"nemo2507-gb200-llama3-8b": 2.5, "nemo2507-gb200-llama3-70b": -2.8,
                      "nemo2507-gb200-llama31-405b": -10.9, "nemo2507-gb200-llama4-scout": 0.2,
                      "nemo2502-h100-gpt3-175b": 16.4}  # 16.1 before rhopperadopt (2026-12-05)
    gb200 = [abs(RESULTS[i].error) for i in NEMO_NEW if i.startswith("nemo2507")]
    assert round(100 * statistics.median(gb200), 1) == 2.6


def test_nemo_new_release_twins_share_their_layouts() -> None:
    # Three new rows repeat an older release's layout (the page's figures for one configuration across releases); the
    # model sees the same cells but the recipe, so it predicts them alike while the published figures differ:
    # 25.07 vs 25.04 GB200 Llama 3 8B and 70B, 25.02 (NeMo 2.0) vs 24.07 (launcher) H100 GPT3-175B on 512 GPUs
    # (the recompute cells are each recipe's own: the 24.07 launcher row's selective, the 25.02 CSV's none)
    layout = ("hardware", "devices", "tp", "pp", "cp", "vp", "dp", "mbs", "global_batch", "seq", "zero")
    for new, old in (("nemo2507-gb200-llama3-8b", "nemo2504-gb200-llama3-8b"),
                     ("nemo2507-gb200-llama3-70b", "nemo2504-gb200-llama3-70b"),
                     ("nemo2502-h100-gpt3-175b", "nemo-gpt3-175b-512")):
        assert [ROWS[new][k] for k in layout] == [ROWS[old][k] for k in layout], (new, old)
        assert ROWS[new]["step_s"] != ROWS[old]["step_s"]


@pytest.mark.parametrize("run_id", NEMO_MIXTRAL)
def test_nemo_mixtral_rows_step_layout_and_sources(run_id: str) -> None:
    row = ROWS[run_id]
    _nemo_step_layout_and_note(row, NEMO_MIXTRAL[run_id])
    # Mixtral: 8 routed experts, top-2, every layer; the tables' EP 8
    assert (row["experts"], row["top_k"], row["ep"]) == ("8", "2", "8")
    release = "NeMo25.02 perf summary DGX-B200" if run_id.startswith("nemo2502") else "NeMo25.04 perf summary DGX-GB200"
    assert row["source"] == release
    assert not RESULTS[run_id].fitted


@pytest.mark.parametrize("run_id", MIXTRAL_BEYOND)
def test_nemo_mixtral_8x22b_gbs_and_mbs_as_the_ga_column_reads_them(run_id: str) -> None:
    # The page's cells read '1 | 64' under GBS | MBS; the rows take GBS 64, MBS 1, because the page's GA 16 is
    # GBS / (MBS x DP) only that way round (DP = 256 / (TP 2 x PP 4 x CP 8) = 4)
    row = ROWS[run_id]
    assert (row["global_batch"], row["mbs"], row["dp"]) == ("64", "1", "4")
    assert int(row["global_batch"]) // (int(row["mbs"]) * int(row["dp"])) == 16
    assert "'1 | 64'" in row["note"]


def test_nemo_mixtral_errors_as_quoted() -> None:
    # README (the *Held-out* paragraph), calibration.toml's record and the UNEXPLAINED entry quote these
    # 2026-12-04 (vpfix): 8x22B -29.3 -> -29.2% (B200), -33.7 -> -33.6% (GB200), vpchunk's pipeline edge costs (VP 14)
    # 2026-12-05 (moeopt): 8x7B -1.2 -> -0.9% (B200), -2.8 -> -2.5% (GB200), 8x22B -29.2 -> -29.1% (B200), the
    # experts' optimizer step over their expert-data-parallel group
    # 2026-12-05 (rblackwell): -0.9 / -29.1 / -2.5 / -33.6% -> the figures below, each Blackwell device's fused
    # attention core at its measured cuDNN rate and the Blackwell fp8 rule re-run 0.46 -> 0.50
    # 2026-12-05 (rgb300): the GB200 rows -6.6 / -28.7% -> -5.3 / -20.7%, the 25.04 container's cuDNN before 9.17
    # (cudnn_before_9_17: GB200's fused core at its catalog rate under such a release; tests/test_cudnn_before_917.py)
    errors = {i: round(100 * RESULTS[i].error, 1) for i in NEMO_MIXTRAL}
    assert errors == {"nemo2502-b200-mixtral-8x7b": -2.2, "nemo2502-b200-mixtral-8x22b": -22.0,
                      "nemo2504-gb200-mixtral-8x7b": -5.3, "nemo2504-gb200-mixtral-8x22b": -20.7}


def test_nemo_mixtral_8x22b_terms_as_quoted() -> None:
    # The figures tests/test_row_notes_checked.py's UNEXPLAINED entry relies on, from the same path as plan explain
    b200 = predict_layout(run_query(ROWS["nemo2502-b200-mixtral-8x22b"])).terms
    gb200 = predict_layout(run_query(ROWS["nemo2504-gb200-mixtral-8x22b"])).terms
    # 2026-12-04 (vpfix): B200 step 5.19 -> 5.20 s, vpchunk's pipeline edge costs
    # 2026-12-05 (moeopt): GB200 step 3.98 -> 3.99 s, the experts' optimizer step over their expert-data-parallel group
    # 2026-12-05 (rblackwell): B200 step 5.20 -> 5.73 s, forward + backward 3.77 -> 4.65 s, exposed CP ring 1.08 ->
    # 0.71 s; GB200 step 3.99 -> 4.28 s: the fused attention core at each device's measured cuDNN rate
    # 2026-12-05 (rgb300): GB200 step 4.28 -> 4.76 s, its core at its rate under a cuDNN release before 9.17
    assert round(b200["step_time_s"], 2) == 5.73 and round(gb200["step_time_s"], 2) == 4.76
    assert round(b200["t_fwd_s"] + b200["t_bwd_s"], 2) == 4.65
    assert (round(b200["t_cp_comm_s"], 2), round(b200["t_cp_comm_raw_s"], 2)) == (0.71, 2.01)
    assert round(gb200["t_cp_comm_raw_s"], 2) == 0.12
    # the model's FLOPs per token (the page's 824 TFLOP/s at 2232 tokens/s per GPU is 369 GFLOP per token)
    tokens = int(ROWS["nemo2502-b200-mixtral-8x22b"]["global_batch"]) * int(ROWS["nemo2502-b200-mixtral-8x22b"]["seq"])
    assert round(b200["model_flops_per_step"] / tokens / 1e9) == 504


# NVIDIA/cudnn-frontend benchmark/sdpa_benchmark_training/artifacts/sdpa_bf16_benchmark_results_NVIDIA_B200.csv at
# cb560b92882357764b874dc3be2c469a488a94a7 (its sample_b200_bf16_run.txt: cudnn 91002, torch 2.8.0a0 nv25.06): the
# pyt_cudnn row of batch 1, 8192 x 8192, 128 query / 8 KV heads, head dim 128, is_causal True: fwd / bwd TFLOP/s.
CUDNN_9102_B200_CAUSAL_8K_FLOP_PER_S = (1197.391e12, 939.954e12)


def test_nemo_mixtral_8x22b_measured_attention_rates_adopted() -> None:
    """moenemo's lead (2026-12-05: B200's cuDNN 9.10.2 rate on every Blackwell row, fp8 rule 0.46 -> 0.52, held-out
    median 5.73% -> 5.79%, not adopted) became, per device, the model (rblackwell, 2026-12-05;
    tests/test_blackwell_fused_attention.py): B200 runs its fused core at these very rates (the catalog's), GB200 at
    its own. The 25.02 B200 8x22B row comes within 25% (-29.1% -> -22.0%); the 25.04 GB200 row stayed beyond
    (-33.6% -> -28.7%), as its UNEXPLAINED entry quoted, until rgb300 (2026-12-05) ran it at GB200's rate under a cuDNN
    release before 9.17, its container's (-28.7% -> -20.7%; tests/test_cudnn_before_917.py)."""
    spec = get_device("b200")
    assert (spec.measured_fused_attention_flop_per_s["forward"],
            spec.measured_fused_attention_flop_per_s["backward"]) == CUDNN_9102_B200_CAUSAL_8K_FLOP_PER_S
    # -0.287 before rgb300's cudnn_before_9_17 cell (2026-12-05)
    assert (round(RESULTS["nemo2502-b200-mixtral-8x22b"].error, 3),
            round(RESULTS["nemo2504-gb200-mixtral-8x22b"].error, 3)) == (-0.22, -0.207)
    from test_row_notes_checked import _MIXTRAL_8X22B, UNEXPLAINED  # tests/ is on sys.path (pytest's rootdir import)

    assert "nemo2502-b200-mixtral-8x22b" not in UNEXPLAINED and "nemo2504-gb200-mixtral-8x22b" not in UNEXPLAINED
    entry = " ".join(_MIXTRAL_8X22B.split())  # the entry's history, kept
    assert "25.04 GB200 -33.6% -> -28.7% (4.28 s against 6.00 s)" in entry
    assert "25.02 B200 twin went -29.1% -> -22.0%" in entry


def test_v5p_v4_and_ampere_families_stay_within_the_family_bound() -> None:
    fam = {g.group: g for g in REPORT.by_family}
    # 11 + newrows' two tpu-recipes v5p rows (Llama 3.1 405B, DeepSeek-V3; 2026-12-03): 3.0% over 11 -> 5.1% over 13;
    # + tpu_new's Llama 4 Maverick and Scout rows (2026-12-03): 6.4% over 15; + tiering's Llama 2 70B and Mixtral 8x7B
    # rows of MaxText's tiering page (2026-12-03): 6.4% over 17 (tests/test_tiering_rows.py)
    assert fam["google-tpu-v5p"].held_out_runs == 17 and fam["google-tpu-v5p"].median_abs_error <= FAMILY_BOUND
    # 26 + torchtitan's 5 selective AC rows (tests/test_torchtitan_ac.py): 4.4% -> 4.9% (2026-12-01, utitan); + the 55
    # other rows of llm-foundry's A100-80GB table - its 2 fit rows (2026-12-02, ampfsdp): 5.0% over 31 -> 10.2% over 84
    # - the torchtitan stack's fit row tt-a100-llama2-13b-noac (2026-12-04, ttstack): 3.39% over 84 -> 3.15% over 83
    assert fam["nvidia-ampere"].held_out_runs == 83 and fam["nvidia-ampere"].median_abs_error <= FAMILY_BOUND
    assert fam["google-tpu-v4"].held_out_runs == 7 and fam["google-tpu-v4"].median_abs_error <= FAMILY_BOUND


def test_blackwell_release_twins_publish_different_times_for_one_layout() -> None:
    # The checked part of the Blackwell gap: the same B200 layout (Llama 3 8B, 8 GPUs, GBS 128, MBS 2, FP8, DP 8)
    # publishes 5.040 s in NeMo 25.02 and 4.280 s in Megatron-Bridge 25.11 (the family's FP8 fit row), 1.178x. The
    # releases' FP8 recipes differ (25.02 delayed, 25.11 current scaling: runs-file fp8_recipe), and the model charges
    # current scaling its extra amax pass, so it gives the OLDER release the shorter step: the recipe is not the gap.
    old, new = RESULTS["nemo2502-b200-llama3-8b"], RESULTS["mb-b200-llama3-8b"]
    assert old.published_step_s / new.published_step_s == pytest.approx(1.178, abs=0.002)
    assert (ROWS[old.id]["fp8_recipe"], ROWS[new.id]["fp8_recipe"]) == ("delayed", "current")
    # rca / rcb (2026-12-01): each twin's recompute cell is its recipe's (25.02 none, 25.11 none), so the recipe
    # comparison is made at one recompute: the 25.02 row with the 25.11 row's cell
    old_same_recompute = reproduce({**ROWS[old.id], "recompute": ROWS[new.id]["recompute"]})
    assert 0.95 < old_same_recompute.predicted_step_s / new.predicted_step_s < 1.0
    assert new.fitted and old.error == pytest.approx(old.predicted_step_s / old.published_step_s - 1, abs=1e-9)


def test_blackwell_family_within_the_family_bound() -> None:
    # A strict xfail until 2026-12-01 (utrain: 12.8% over 12, then 14.1% over 16 with the Qwen3 MoE rows): the family's
    # FP8 efficiency was fitted on one Megatron-Bridge 25.11 row. Rule 2 (bwell, calibration.toml, written before it was
    # applied) refits it on three declared rows of three releases and two devices (tests/test_blackwell_fit.py):
    # 0.62 -> 0.56, held-out median 8.4% over 22 (9.8% over the earlier 16); re-applied after the FP8 recipe mechanism
    # (plan --fp8-recipe): 0.58, 9.3% over 25 (the three more are the 25.11 tables' FP8-MX figures); 10.2% over 29 with
    # the NeMo 25.02 / 25.04 tables' four Nemotron-4 rows; 9.26% over 25 since the runs file's fp8_recipe cells, the
    # four Blackwell Qwen3 rows of Megatron-Bridge 25.11 counted with the MoE rows (the test below). 8.88% over 43 with
    # b300's eight dense DGX-GB300 Llama rows (-1.7%..+18.3%) and nemon's ten Megatron-Bridge 25.09 GB200/B200 Llama
    # rows (-26.2%..+2.9%), held out, committed before they were predicted, no calibration value changed for them.
    # 9.26% over 43 with the recipes' edge_layers / offload_layers cells (mbread, ultra2): the GB300 rows -1.7%..+17.5%,
    # the 25.09 rows -29.9%..+2.9% (2026-12-01). 5.57% over 43 after fa2, ubuf, ubuf2, hopdiag, rcb and the Blackwell
    # fp8 rule's re-runs (0.58 -> 0.50 -> 0.46; 2026-12-01): the GB300 rows +3.2%..+30.7%, the 25.09 rows -18.2%..+5.3%.
    # 5.53% over 43 after 2026-12-02's merges: the GB300 rows +3.2%..+30.8%, the 25.09 rows -18.0%..+1.7%.
    # 5.34% over 46 with nemonew's three dense NeMo 25.07 GB200 rows (2026-12-03, held out; its Scout row is MoE);
    # 8.25% over 63 with mbnew's 20 dense GB300 / GB200 Llama rows of the 26.02.01 / 26.04 / 26.04.01 tables alone
    # (held out, committed before they were predicted, nothing re-fitted; tests/test_mb_later_tables.py), 2026-12-03.
    # 70 with mb2606's four dense GB300 / GB200 Llama 3.1 405B rows of the 26.06 table (+6.2%..+38.7%; the H100 one is
    # Hopper; held out, committed before they were predicted; tests/test_mb2606_rows.py), 2026-12-03.
    dense = [abs(r.error) for r in REPORT.runs
             if r.family == "nvidia-blackwell" and not r.fitted and not (ROWS[r.id].get("experts") or "").strip()]
    assert len(dense) == 70
    assert statistics.median(dense) <= FAMILY_BOUND


def test_blackwell_family_with_the_moe_rows_within_the_family_bound() -> None:
    # A strict xfail until 2026-12-01 (12.13% over 40 with its 15 Megatron-Bridge Qwen3, DeepSeek-V3 and GPT-OSS-120B
    # MoE rows on GB200/B200, up to 74% too fast). 10.39% over 67 since b300's 17 DGX-GB300/B300 rows (nine MoE) and
    # nemon's ten 25.09 GB200/B200 Llama rows were merged (held out, no calibration changed): the added rows fall nearer
    # the median than the MoE ones, so the family is within its bound without any row predicted closer. 11.15% over 67
    # after fa2, ubuf, ubuf2, hopdiag, rcb and the Blackwell fp8 rule's re-runs (2026-12-01); 9.97% over 67 after
    # 2026-12-02's merges (moe's per-expert launches above all); 9.98% over 67 after gptoss2's expert-gradient
    # reduction (2026-12-02; worst -59.4%, GB200 GPT-OSS-120B). 10.67% over 133 with mbnew's 66 Blackwell rows of the
    # 26.02.01 / 26.04 / 26.04.01 tables (2026-12-03; worst +157.3%, B200 DeepSeek-V3 at EP 32 over four nodes).
    # Worst -60.1% (GB200 GPT-OSS-120B of 26.02.01) since dispatch (2026-12-03) gave that DeepSeek-V3 row its preset's
    # DeepEP dispatcher (+48.3%); the median unchanged.
    fam = next(g for g in REPORT.by_family if g.group == "nvidia-blackwell")
    assert fam.median_abs_error <= FAMILY_BOUND
