"""The cells mbread corrected from the Megatron-Bridge / NeMo recipes (2026-12-01, issue 10), and the by-hand figures
their notes quote, recomputed from the model so a change that moves one fails until the note is rewritten.

Corrections (each row's note names the recipe file, the commit and the setting; the runs file's mbread block sums up):
- mb2509-gb200-llama31-405b: offload_layers 95 (llama31_405b_llm_pretrain.py at 27dfb3d, cpu_offloading_num_layers 95).
  Before, the row's layout did not fit a GB200 (268.1 GiB predicted of 185.0), a published run that cannot have run.
- edge_layers on the Megatron-Bridge Llama 3.1 405B rows with PP > 1: account_for_embedding_in_pipeline_split and
  account_for_loss_in_pipeline_split (True in the 405B recipe) leave the first and last stages one layer short.
- fp8_params 1 on the FP8 current-scaling and NeMo FP8 rows (their precision configs set fp8_param_gather True).
- The same cells on the DGX-GB300 Llama rows (ultra2, 2026-12-01): edge_layers 15 on the three 405B rows (PP 8 x VP 4),
  fp8_params 1 on mb-gb300-llama3-8b; the others' cells checked against their recipes and kept.
- The same cells on the mixture-of-experts rows (moecells, 2026-12-01): edge_layers on every Qwen3-235B row (the
  Qwen3-235B recipe sets both account_for_* flags: 94 + 2 = 96 units), fp8_params 1 on the 26.02 MXFP8 Qwen3 rows and
  the FP8 current-scaling MoE rows; Qwen3-30B, GPT-OSS and DeepSeek-V3 keep an even split (reasons in the moecells
  block of the runs file); Mixtral 8x7B is a comment, not a row (the README figure's layout is not unambiguous).
A quoted figure is checked to its last written digit.
"""
from __future__ import annotations

import re

import pytest
from conftest import before_gb3_for  # tests/ is on sys.path

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
GIB = 2**30
FSDP_405B = "mb2509-gb200-llama31-405b"
# GB300 rows (b300 block), carried over by ultra2 2026-12-01: llama31_405b_pretrain_config_gb300 (0013c9a) builds on the
# same 405B base recipe; the 25.11 FP8-CS 8B takes fp8_params as its GB200 sibling; the 26.02 MXFP8 rows keep theirs.
GB300_EDGE_ROWS = ("mb-gb300-llama31-405b", "mb2602-gb300-llama31-405b-mxfp8", "mb2602-gb300-llama31-405b-fp8")
GB300_MX26_ROWS = ("mb2602-gb300-llama3-70b-mxfp8", "mb2602-gb300-llama31-405b-mxfp8")
# Megatron-Bridge Llama 3.1 405B rows with PP > 1: edge stages per the recipe
EDGE_ROWS = ("mb-h100-llama31-405b", "mb-b200-llama31-405b", "mb-b200-llama31-405b-mx", "mb-gb200-llama31-405b",
             "mb2509-gb200-llama31-405b-mx", "mb2509-b200-llama31-405b", "mb2509-b200-llama31-405b-mx",
             "mb2509-h100-llama31-405b", "mb2602-h100-llama31-405b-fp8", "mb260201-gb200-llama31-405b-fp8",
             "mb2602-gb200-llama31-405b-fp8", *GB300_EDGE_ROWS)
FP8_PARAM_ROWS = ("mb-h100-llama3-8b", "mb-h100-llama3-70b", "mb-h100-llama31-405b", "mb-b200-llama3-8b",
                  "mb-b200-llama31-405b", "mb-gb200-llama3-8b", "mb2509-gb200-llama3-8b", "mb2509-b200-llama3-8b",
                  "mb2509-b200-llama31-405b", "mb2509-h100-llama3-8b", "mb2509-h100-llama3-70b",
                  "mb2509-h100-llama31-405b", "mb2602-h100-llama3-70b-fp8", "mb2602-h100-llama31-405b-fp8",
                  "mb-gb300-llama3-8b", "mb-gb300-llama3-70b", "mb-gb300-llama31-405b", "mb2602-gb300-llama3-70b-fp8",
                  "mb2602-gb300-llama31-405b-fp8",
                  *(r for r in ROWS if r.startswith(("nemo2502-b200-", "nemo2504-gb200-"))))
# FA_ROWS and their by-hand FlashAttention figure: retired by rcb (2026-12-01) with the convention they measured; the
# rows' recompute cells are pinned to their recipes in tests/test_recompute_cells_rcb.py.


def _written(text: str, value: float) -> None:
    """`text` (e.g. '4.97', '-29.9') equals `value` rounded to the digits written."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    assert abs(float(text) - value) <= 0.5 * 10.0 ** -decimals + 1e-9, f"written {text}, computed {value:.5g}"


def _memory_gib(row: dict[str, str]) -> tuple[float, bool]:
    res = predict_layout(run_query(row))
    return float(res.terms["mem_total_bytes"]) / GIB, bool(res.fits_memory)


def test_fsdp_405b_offloads_the_recipes_95_layers_and_fits() -> None:
    """The note: 268.1 -> 104.9 GiB of 185.0 (the layout did not fit before); the step time does not move."""
    row = ROWS[FSDP_405B]
    assert row["offload_layers"] == "95"
    before, fit_before = _memory_gib({**row, "offload_layers": ""})
    after, fit_after = _memory_gib(row)
    assert (fit_before, fit_after) == (False, True)
    _written("268.1", before)
    _written("104.9", after)
    assert "268.1 -> 104.9 GiB of 185.0" in row["note"]
    assert reproduce(row).predicted_step_s == reproduce({**row, "offload_layers": ""}).predicted_step_s


@pytest.mark.parametrize("run_id", EDGE_ROWS)
def test_405b_edge_stages_are_the_recipes_pipeline_split(run_id: str) -> None:
    """126 layers + the embedding + the loss = 128 units over pp x vp chunks: the first and last stages hold one layer
    fewer than the others (Megatron-Core account_for_*_in_pipeline_split). The move the note quotes is recomputed."""
    with before_gb3_for(ROWS[run_id]):
        row = ROWS[run_id]
        pp, vp = int(row["pp"]), int(row["vp"])
        per_chunk = (int(row["layers"]) + 2) // (pp * vp)
        assert (int(row["layers"]) + 2) % (pp * vp) == 0
        assert int(row["edge_layers"]) == per_chunk * vp - 1
        moved = re.search(r"moved this row ([+-][\d.]+)% -> ([+-][\d.]+)% \(([\d.]+) -> ([\d.]+) s[):]", row["note"])
        assert moved, run_id
        even, split = reproduce({**row, "edge_layers": ""}), reproduce(row)
        for text, value in zip(moved.groups(), (100 * even.error, 100 * split.error, even.predicted_step_s,
                                                split.predicted_step_s), strict=True):
            _written(text, value)
        if logits := re.search(r"the ([\d.]+) s of logits leave the busiest stage", row["note"]):
            _written(logits.group(1), float(predict_layout(run_query({**row, "edge_layers": ""})).terms["t_logits_s"]))


@pytest.mark.parametrize("run_id", FP8_PARAM_ROWS)
def test_fp8_param_gather_rows_keep_fp8_weights(run_id: str) -> None:
    row = ROWS[run_id]
    assert row["fp8_params"] == "1" and row["dtype"] == "fp8"
    assert row["fp8_recipe"] in ("current", "delayed")  # not MXFP8: its fp8_param_gather changed between versions
    assert reproduce(row).predicted_step_s == reproduce({**row, "fp8_params": ""}).predicted_step_s  # memory only


@pytest.mark.parametrize("run_id", GB300_MX26_ROWS)
def test_gb300_mxfp8_26_02_rows_keep_fp8_weights(run_id: str) -> None:
    """26.02 ships bf16_with_nvfp4_mixed (its tables have NVFP4 rows), and every stored mixed_precision.py defining it
    sets bf16_with_mxfp8_mixed's fp8_param_gather True: fp8_params 1 stands; memory only."""
    row = ROWS[run_id]
    assert (row["fp8_params"], row["fp8_recipe"]) == ("1", "mxfp8")
    assert "bf16_with_nvfp4_mixed" in row["note"] and "fp8_params 1 matches" in row["note"]
    assert reproduce(row).predicted_step_s == reproduce({**row, "fp8_params": ""}).predicted_step_s


def test_gb300_25_11_mxfp8_8b_stays_as_its_gb200_sibling() -> None:
    """25.11's bf16_with_mxfp8_mixed was not dated (no NVFP4 row in its tables): the GB300 8B MX row keeps the GB200
    sibling's blank fp8_params, and the 70B recipe (no account_for_* split) gives the 70B PP 4 x VP 5 row no edge."""
    assert ROWS["mb-gb300-llama3-8b-mx"]["fp8_params"] == ROWS["mb-gb200-llama3-8b-mx"]["fp8_params"] == ""
    assert "not established" in ROWS["mb-gb300-llama3-8b-mx"]["note"]
    assert ROWS["mb2602-gb300-llama3-70b-mxfp8"]["edge_layers"] == ""


def _offload(run_id: str) -> tuple[float, float, int, float]:
    """(GB per offloaded layer, GB offloaded per micro-batch, micro-batches, seconds of gap published - predicted)."""
    row = ROWS[run_id]
    k = int(row["offload_layers"])
    held = float(predict_layout(run_query(row)).terms["mem_activations_bytes"])
    all_kept = float(predict_layout(run_query({**row, "offload_layers": ""})).terms["mem_activations_bytes"])
    per_layer = (all_kept - held) / k / 1e9
    r = reproduce(row)
    m = int(row["global_batch"]) // (int(row["dp"]) * int(row["mbs"]))
    return per_layer, k * per_layer, m, r.published_step_s - r.predicted_step_s


def test_offload_by_hand_figures() -> None:
    """The 70B and 405B FSDP notes: k x GB per layer, both ways over NVLink-C2C at 450 or 225 GB/s per direction."""
    per70, gb70, m70, gap70 = _offload("mb2509-gb200-llama3-70b")
    note70 = ROWS["mb2509-gb200-llama3-70b"]["note"]
    assert m70 == 1 and "40 x 3.892 GB = 155.7 GB" in note70
    _written("3.892", per70)
    _written("155.7", gb70)
    _written("0.69", 2 * gb70 / 450)
    _written("1.38", 2 * gb70 / 225)
    # 0.215 since rgb300 (2026-12-05: the row's cudnn_before_9_17 cell, GB200's fused core at its rate under a cuDNN
    # release before 9.17); 0.326 since rblackwell (2026-12-05: the fused attention core at B200 / GB200's measured
    # cuDNN rates, the fp8 rule re-run 0.46 -> 0.50); 0.182 after the re-run 0.50 -> 0.46 after rcb (2026-12-01);
    # hopdiag 0.327 (0.365 before)
    _written("0.215", gap70)
    _, gb25, m25, gap25 = _offload("mb-gb200-llama3-70b")  # the same layout at GA 2 in 25.11
    assert m25 == 2 and "1.38-2.77 s" in note70 and "gap -0.19 s" in note70
    _written("1.38", 2 * m25 * gb25 / 450)
    _written("2.77", 2 * m25 * gb25 / 225)
    # rcudnn2 (2026-12-05): 0.04 -> -0.19 (slower), the 25.11 row's cudnn_before_9_17 cell (GB200's fused core at its
    # rate before cuDNN 9.17)
    _written("-0.19", gap25)  # rblackwell; -0.25 (slower) after the fp8 re-run 0.46 (hopdiag 0.04, 0.11 before)
    per405, gb405, m405, gap405 = _offload(FSDP_405B)
    note405 = ROWS[FSDP_405B]["note"]
    assert m405 == 1 and "95 x 1.845 GB = 175.3 GB" in note405 and "0.78-1.56 s" in note405
    assert "against this row's 0.45 s gap" in note405
    _written("1.845", per405)
    _written("175.3", gb405)
    _written("0.78", 2 * gb405 / 450)
    _written("1.56", 2 * gb405 / 225)
    # 0.45 since rgb300 (2026-12-05, the row's cudnn_before_9_17 cell); 0.54 since rblackwell (2026-12-05); 0.26
    # after the Blackwell fp8 rule's re-run 0.50 -> 0.46 after rcb (2026-12-01); 0.61 after hopdiag / rcb, 0.84 after
    # ubuf2 set the row's recipe userbuffers config, 0.95 before
    _written("0.45", gap405)


# --- the mixture-of-experts rows (moecells, 2026-12-01) ------------------------------------------------------------

QWEN3_235B_ROWS = tuple(sorted(r for r in ROWS if r.endswith("-qwen3-235b") and r.startswith(("mb-", "mb2602-"))))
MOE_MX26_ROWS = tuple(sorted(r for r in ROWS if r.startswith("mb2602-") and "-qwen3-" in r
                             and ROWS[r]["fp8_recipe"] == "mxfp8"))
MOE_CS_ROWS = ("mb-h100-qwen3-30b", "mb-h100-qwen3-235b", "mb2602-h100-qwen3-30b", "mb2602-h100-qwen3-235b",
               "mb2509-gb200-dsv3-fp8", "mb2509-b200-dsv3-fp8", "mb2509-h100-dsv3-fp8")
MOE_EVEN_ROWS = tuple(sorted(r for r in ROWS if r.startswith(("mb-", "mb2509-", "mb2602-"))
                             and ("-qwen3-30b" in r or "-gptoss-" in r or "-dsv3-" in r)))


def test_moe_row_sets_are_the_tables() -> None:
    """Every Qwen3-235B row of the 25.11 / 26.02 tables (H100, B200, GB200, GB300, B300); every 26.02 MXFP8 Qwen3."""
    assert len(QWEN3_235B_ROWS) == 9 and len(MOE_MX26_ROWS) == 8
    assert {ROWS[r]["hardware"] for r in QWEN3_235B_ROWS} == {"h100-sxm", "b200", "gb200", "gb300", "b300"}


@pytest.mark.parametrize("run_id", QWEN3_235B_ROWS)
def test_qwen3_235b_edge_stages_are_the_recipes_pipeline_split(run_id: str) -> None:
    """qwen3_235b_a22b_pretrain_config sets account_for_embedding/loss_in_pipeline_split True: 94 layers + 2 = 96 units
    over pp x vp chunks, the first and last stages one layer short. The last stage (its edge layers + the logits) then
    sets the step, one layer fewer than the even split's 12 (or 24) + the logits; the note's move is recomputed."""
    with before_gb3_for(ROWS[run_id]):
        row = ROWS[run_id]
        pp, vp = int(row["pp"]), int(row["vp"])
        assert (int(row["layers"]) + 2) % (pp * vp) == 0
        edge = (int(row["layers"]) + 2) // (pp * vp) * vp - 1
        assert int(row["edge_layers"]) == edge
        assert "account_for_embedding_in_pipeline_split" in row["note"]
        assert "qwen3_235b_a22b_pretrain_config" in row["note"]
        moved = re.search(r"moved this row ([+-][\d.]+)% -> ([+-][\d.]+)% \(([\d.]+) -> ([\d.]+) s: the last stage, "
                          r"(\d+) layers \+ the ([\d.]+) s of logits", row["note"])
        assert moved, run_id
        even, split = reproduce({**row, "edge_layers": ""}), reproduce(row)
        for text, value in zip(moved.groups()[:4], (100 * even.error, 100 * split.error, even.predicted_step_s,
                                                    split.predicted_step_s), strict=True):
            _written(text, value)
        terms = predict_layout(run_query(row)).terms
        assert int(moved.group(5)) == edge == int(terms["layers_per_stage"])  # the last stage is the busiest
        _written(moved.group(6), float(terms["t_logits_s"]))
        assert float(predict_layout(run_query({**row, "edge_layers": ""})).terms["layers_per_stage"]) == edge + 1


@pytest.mark.parametrize("run_id", MOE_EVEN_ROWS)
def test_moe_rows_without_the_split_keep_an_even_split(run_id: str) -> None:
    """Qwen3-30B and GPT-OSS-120B recipes leave the flags False (their layers split evenly where PP > 1); DeepSeek-V3's
    layout maps shorten only the last stage, which one edge_layers count cannot express (the moecells block says so)."""
    row = ROWS[run_id]
    assert row["edge_layers"] == ""
    if "-dsv3-" not in run_id:
        assert int(row["layers"]) % (int(row["pp"]) * int(row["vp"])) == 0


@pytest.mark.parametrize("run_id", MOE_CS_ROWS)
def test_moe_fp8_current_scaling_rows_keep_fp8_weights(run_id: str) -> None:
    """bf16_with_fp8_current_scaling_mixed sets fp8_param_gather True (every stored version): memory only."""
    row = ROWS[run_id]
    assert (row["fp8_params"], row["dtype"], row["fp8_recipe"]) == ("1", "fp8", "current")
    assert "bf16_with_fp8_current_scaling_mixed" in row["note"] and "fp8_params blank -> 1" in row["note"]
    assert reproduce(row).predicted_step_s == reproduce({**row, "fp8_params": ""}).predicted_step_s


@pytest.mark.parametrize("run_id", MOE_MX26_ROWS)
def test_moe_mxfp8_26_02_rows_keep_fp8_weights(run_id: str) -> None:
    """26.02's bf16_with_mxfp8_mixed keeps FP8 weights (ultra2's reading, test_gb300_mxfp8_26_02_rows_keep_fp8_weights):
    fp8_params 1, memory only: the weights' bytes fall, the step does not move."""
    row = ROWS[run_id]
    assert (row["fp8_params"], row["dtype"]) == ("1", "fp8")
    assert "bf16_with_nvfp4_mixed" in row["note"] and "fp8_params blank -> 1" in row["note"]
    assert reproduce(row).predicted_step_s == reproduce({**row, "fp8_params": ""}).predicted_step_s
    assert _memory_gib(row)[0] < _memory_gib({**row, "fp8_params": ""})[0]


def test_moe_25_11_mxfp8_rows_keep_a_blank_fp8_params() -> None:
    """Which bf16_with_mxfp8_mixed 25.11 shipped is not established (as the 25.11 Llama MX rows)."""
    rows = [r for r in ROWS if r.startswith("mb-") and ("-qwen3-" in r or "-dsv3-" in r)
            and ROWS[r]["fp8_recipe"] == "mxfp8"]
    assert len(rows) == 7  # GB200 / B200 30B, B200 235B, GB200 / B200 / GB300 DeepSeek-V3, GB300 30B
    assert all(ROWS[r]["fp8_params"] == "" for r in rows)


def test_mixtral_is_a_comment_with_its_reason_not_a_row() -> None:
    """moecost's candidate (Megatron-LM MoE README, 468 TFLOPS): the layout behind the figure is not unambiguous, so
    the runs file records why, with the disclosure of the plan seen before, and carries no Mixtral row."""
    from importlib.resources import files

    text = (files("accelopt.predict.data") / "published_training_runs.csv").read_text(encoding="utf-8")
    block = " ".join(ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#"))
    # the README figure stays out; mixrows (2026-12-03) added the NeMo 25.02 / 25.04 performance-summary Mixtral rows,
    # whose layouts the tables give (runs-file block 'mixrows'); tiering (2026-12-03) the v5p dropless row of MaxText's
    # tiering page, whose recipe gives its layout (runs-file block 'tiering')
    allowed = ("nemo2502-", "nemo2504-", "maxtext-v5p-mixtral-")
    assert not any("mixtral" in r and not r.startswith(allowed) for r in ROWS)
    for words in ("Mixtral 8x7B / 8x22B, not added", "468 TFLOPS", "438 TFLOPS as of MCore v0.8", "022bcb5",
                  "not unambiguous", "had run `plan` on mixtral-8x7b on 64 H100"):
        assert words in block, words



# --- the userbuffers config each recipe names (ubuf2, 2026-12-01) ---------------------------------------------------

def _recipe_ub_cfg(row: dict[str, str]) -> str:
    """The tp_comm_overlap_cfg the row's recipe names (runs-file notes cite the files): Megatron-Bridge
    llama3_llm_pretrain.py / llama31_llm_pretrain.py (and their 25.09 forms at 27dfb3d) give every FP8 precision the
    userbuffers_fp8_b200_* config on Blackwell and userbuffers_fp8_h100_* on H100 (Megatron-Bridge's own H100 values:
    the mb- entries); NeMo 25.02 / 25.04 scripts/performance/llm/pretrain_*.py: ub_cfg[gpu]['fp8'] (b200 on GB200),
    except the 25.02 Nemotron-4 340B script (bwrate, 2026-12-02: scripts/llm/performance/pretrain_nemotron4_340b.py at
    2221c8a and bf2c0d1 sets userbuffers_bf16_b200_h18432_tp8_mbs1_seqlen4096 on b200 whatever the compute dtype)."""
    hidden, h100 = row["hidden"], row["hardware"] == "h100-sxm"
    if row["source"].startswith("Megatron-Bridge"):
        return {("8192", True): "mb-fp8_h100_h8192_tp4_mbs1_seqlen8192",
                ("16384", True): "mb-fp8_h100_h16384_tp8_cp2_mbs1_seqlen8192",
                ("8192", False): "fp8_b200_h8192_tp2_mbs1_seqlen8192",
                ("16384", False): "fp8_b200_h16384_tp4_cp2_mbs1_seqlen8192"}[(hidden, h100)]
    assert row["source"].startswith(("NeMo25.02", "NeMo25.04", "NeMo25.07"))
    if h100:  # nemonew (2026-12-03): the 25.02 pretrain_gpt3_175b.py (stored 013fdca) ub_cfg['h100']['fp8']
        return {"12288": "fp8_h100_h12288_tp4_mbs1_seqlen2048"}[hidden]
    if row["source"].startswith("NeMo25.02") and hidden == "18432":
        return "bf16_b200_h18432_tp8_mbs1_seqlen4096"
    return {"8192": "fp8_b200_h8192_tp2_mbs1_seqlen8192", "12288": "fp8_b200_h12288_tp4_mbs1_seqlen2048",
            "16384": "fp8_b200_h16384_tp4_cp2_mbs1_seqlen8192", "18432": "fp8_b200_h18432_tp8_mbs1_seqlen4096"}[hidden]


UB_ROWS = tuple(sorted(r for r, row in ROWS.items() if row["source"].startswith(("Megatron-Bridge", "NeMo25.0"))
                       and row["tp_overlap"] == "1" and int(row["tp"]) > 1))


def test_ub_rows_are_every_tp_overlapped_mb_and_nemo25_row() -> None:
    """48 rows: the Llama 3 70B / 3.1 405B rows of Megatron-Bridge 25.09-26.04.01 (16 of them the mbnew block's,
    2026-12-03) and NeMo 25.02 / 25.04's GPT-3 175B, Llama and Nemotron-4 340B rows (the MoE rows run without TP
    overlap: tp_overlap blank); since nemonew (2026-12-03) also NeMo 25.07's GB200 Llama 3.1 405B (FSDP, TP 2) and
    25.02's H100 GPT-3 175B; since mb2606 (2026-12-03) also the 26.06 table's five Llama 3.1 405B rows (53)."""
    assert len(UB_ROWS) == 53
    assert {ROWS[r]["hardware"] for r in UB_ROWS} == {"h100-sxm", "b200", "gb200", "gb300"}


@pytest.mark.parametrize("run_id", UB_ROWS)
def test_tp_overlap_cfg_is_the_recipes(run_id: str) -> None:
    """The cell is the config the recipe names (blank before ubuf2: TE's defaults, not read), and the move the note
    quotes ('it took this row from A% to B%') is recomputed: the row with the cell blank, then as it is."""
    with before_gb3_for(ROWS[run_id]):
        row = ROWS[run_id]
        assert row["tp_overlap_cfg"] == _recipe_ub_cfg(row)
        assert ("(ubuf2, 2026-12-01)" in row["note"] or "(nemonew, 2026-12-03)" in row["note"]
                or "(mbnew, 2026-12-03" in row["note"] or "(mb2606, 2026-12-03" in row["note"]) \
            and "tp_comm_overlap_cfg" in row["note"]
        moved = re.search(r"it took this row from ([+-][\d.]+)% to ([+-][\d.]+)%", row["note"])
        assert moved, run_id
        _written(moved.group(1), 100 * reproduce({**row, "tp_overlap_cfg": ""}).error)
        _written(moved.group(2), 100 * reproduce(row).error)
