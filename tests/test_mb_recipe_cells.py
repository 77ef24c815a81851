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
A quoted figure is checked to its last written digit.
"""
from __future__ import annotations

import re

import pytest

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
FA_ROWS = ("mb-h100-llama3-8b", "mb-h100-llama3-70b", "mb-h100-llama31-405b", "mb2509-h100-llama3-8b",
           "mb2509-h100-llama3-70b", "mb2509-h100-llama31-405b", "mb2602-h100-llama3-70b-fp8",
           "mb2602-h100-llama31-405b-fp8")


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


@pytest.mark.parametrize("run_id", FA_ROWS)
def test_flash_attention_recompute_by_hand_figure(run_id: str) -> None:
    """'selective' charges the attention core's forward again; FlashAttention-2's backward redoes QK^T only (half of
    the core's matmuls): the note's 'half of it off' error is the step less half of t_recompute."""
    row = ROWS[run_id]
    m = re.search(r"t_recompute ([\d.]+) s here\).*?half of it off gives ([+-][\d.]+)% instead of ([+-][\d.]+)%",
                  row["note"])
    assert m, run_id
    t_rec = float(predict_layout(run_query(row)).terms["t_recompute_s"])
    r = reproduce(row)
    _written(m.group(1), t_rec)
    _written(m.group(2), 100 * ((r.predicted_step_s - t_rec / 2) / r.published_step_s - 1))
    _written(m.group(3), 100 * r.error)


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
    _written("0.365", gap70)
    _, gb25, m25, gap25 = _offload("mb-gb200-llama3-70b")  # the same layout at GA 2 in 25.11
    assert m25 == 2 and "1.38-2.77 s" in note70 and "gap 0.11 s" in note70
    _written("1.38", 2 * m25 * gb25 / 450)
    _written("2.77", 2 * m25 * gb25 / 225)
    _written("0.11", gap25)
    per405, gb405, m405, gap405 = _offload(FSDP_405B)
    note405 = ROWS[FSDP_405B]["note"]
    assert m405 == 1 and "95 x 1.845 GB = 175.3 GB" in note405 and "0.78-1.56 s" in note405
    _written("1.845", per405)
    _written("175.3", gb405)
    _written("0.78", 2 * gb405 / 450)
    _written("1.56", 2 * gb405 / 225)
    _written("0.95", gap405)
