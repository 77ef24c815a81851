"""The recompute cells of the Megatron-Bridge rows on NVIDIA devices, pinned to their recipes (rcb, 2026-12-01).

Issue 10.

Until 2026-12-01 the runs file wrote `recompute = selective` on rows whose recipes recompute nothing, 'because with
fused attention that is what FlashAttention's backward recomputes anyway'. Since hopdiag the model charges that
recomputation inside the kernel: a FlashAttention-2-algorithm kernel (compute.runs_fa2_algorithm: `fused` on
nvidia-ampere / -hopper / -blackwell) has a backward of 2.5x its forward (Dao 2023, 'FlashAttention-2', Algorithm 2;
Dao-AILab/flash-attention benchmarks/benchmark_flash_attention.py flops()). 'selective' now means Megatron's selective
recompute only (recompute_granularity 'selective' with core_attn), and each cell is what the recipe runs:

- Llama 3 / 3.1 (NVIDIA-NeMo/Megatron-Bridge scripts/performance/configs/llama/llama3_workload_base_configs.py stored
  00919dc, llama31_workload_base_configs.py stored 0013c9a; the 25.09 files at 27dfb3d, read by mbread): no FP8-CS /
  FP8-MX preset of these layouts sets recompute_num_layers or recompute_modules, so scripts/performance/utils/helpers.py
  set_recompute_overrides leaves the base recipe's recompute_granularity None (src/megatron/bridge/recipes/llama/
  llama3.py stored 0d5f555): none, none+sp where tp > 1 (the file writes sequence parallel so).
- DeepSeek-V3 (scripts/performance/configs/deepseek/deepseek_workload_base_configs.py stored f0e2c37; the 25.09
  deepseek_llm_pretrain.py at 0132842): recompute_modules ['mla_up_proj'] (H100 ['mla_up_proj', 'mlp'], GB300 BF16
  ['moe_act']), never core_attn: none (+sp on the TP 2 H100 row).
The table fails on the runs file before rcb (every one of these cells was 'selective' / 'selective+sp').
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from accelopt.predict.compute import attention_bwd_ratio, attention_kernel_of
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query, validate_report

ROWS = {r["id"]: r for r in read_runs()}
FAMILY = {r.id: r.family for r in validate_report().runs}  # the calibration family validate gives each row
MB_IDS = re.compile(r"^(mb-|mb2509-|mb2602-|mb260201-)")

_LLAMA = "llama3/llama31_workload_base_configs.py: no recompute preset; base recipe recompute_granularity None"
_DSV3 = "deepseek_workload_base_configs.py: recompute_modules without core_attn"
# id -> (cell before rcb, cell from the recipe, the recipe's setting)
RECIPE_RECOMPUTE: dict[str, tuple[str, str, str]] = {
    **{
        rid: ("selective", "none", _LLAMA)
        for rid in (
            "mb-h100-llama3-8b",
            "mb-b200-llama3-8b",
            "mb-gb200-llama3-8b",
            "mb-gb200-llama3-70b",
            "mb260201-gb200-llama3-70b-fp8",
            "mb2602-gb200-llama3-70b-fp8",
            "mb-b200-llama3-8b-mx",
            "mb-gb200-llama3-8b-mx",
            "mb-gb300-llama3-8b",
            "mb-gb300-llama3-8b-mx",
            "mb-gb300-llama3-70b",
            "mb2602-gb300-llama3-70b-mxfp8",
            "mb2602-gb300-llama3-70b-fp8",
            "mb2509-gb200-llama3-8b",
            "mb2509-gb200-llama3-8b-mx",
            "mb2509-gb200-llama3-70b",
            "mb2509-b200-llama3-8b",
            "mb2509-b200-llama3-8b-mx",
            "mb2509-h100-llama3-8b",
        )
    },
    **{
        rid: ("selective+sp", "none+sp", _LLAMA)
        for rid in (
            "mb-h100-llama3-70b",
            "mb-h100-llama31-405b",
            "mb-b200-llama31-405b",
            "mb-gb200-llama31-405b",
            "mb260201-gb200-llama3-70b-mxfp8",
            "mb260201-gb200-llama31-405b-mxfp8",
            "mb260201-gb200-llama31-405b-fp8",
            "mb2602-gb200-llama3-70b-mxfp8",
            "mb2602-gb200-llama31-405b-mxfp8",
            "mb2602-gb200-llama31-405b-fp8",
            "mb-b200-llama31-405b-mx",
            "mb-gb300-llama31-405b",
            "mb2602-gb300-llama31-405b-mxfp8",
            "mb2602-gb300-llama31-405b-fp8",
            "mb2602-h100-llama3-70b-fp8",
            "mb2602-h100-llama31-405b-fp8",
            "mb2509-gb200-llama3-70b-mx",
            "mb2509-gb200-llama31-405b",
            "mb2509-gb200-llama31-405b-mx",
            "mb2509-b200-llama31-405b",
            "mb2509-b200-llama31-405b-mx",
            "mb2509-h100-llama3-70b",
            "mb2509-h100-llama31-405b",
        )
    },
    **{
        rid: ("selective", "none", _DSV3)
        for rid in (
            "mb-gb200-dsv3-bf16",
            "mb-gb200-dsv3-fp8",
            "mb-b200-dsv3-fp8",
            "mb2509-gb200-dsv3-fp8",
            "mb2509-b200-dsv3-fp8",
            "mb-gb300-dsv3-bf16",
            "mb-gb300-dsv3-fp8",
        )
    },
    "mb2509-h100-dsv3-fp8": ("selective+sp", "none+sp", _DSV3),
}


def test_the_table_is_every_changed_row() -> None:
    """42 Llama rows and 8 DeepSeek-V3 rows; every Megatron-Bridge row on an NVIDIA device is in the table or was
    already 'none' (the Qwen3 and GPT-OSS rows, set from their recipes by umoe / dsv3 / moetr)."""
    assert len(RECIPE_RECOMPUTE) == 50
    assert sum("dsv3" in rid for rid in RECIPE_RECOMPUTE) == 8
    for rid, row in ROWS.items():
        if MB_IDS.match(rid) and FAMILY[rid].startswith("nvidia-"):
            assert rid in RECIPE_RECOMPUTE or row["recompute"].split("+")[0] == "none", rid


@pytest.mark.parametrize("run_id", sorted(RECIPE_RECOMPUTE))
def test_recompute_cell_is_the_recipes(run_id: str) -> None:
    before, cell, _ = RECIPE_RECOMPUTE[run_id]
    row = ROWS[run_id]
    assert row["recompute"] == cell, (run_id, row["recompute"])
    assert cell.endswith("+sp") == (int(row["tp"]) > 1)  # sequence parallel written where tp > 1, as the file does
    assert f"Recompute {before} -> {cell} (rcb, 2026-12-01)" in row["note"]  # the note says what changed and why


@pytest.mark.parametrize("run_id", sorted(RECIPE_RECOMPUTE))
def test_the_model_charges_no_recompute_and_the_kernels_own(run_id: str) -> None:
    """With the recipe's cell no layer forward is charged again; FlashAttention-2's own recomputation of S = QK^T is
    in the kernel's 2.5x backward (the rows run the fused kernel on an NVIDIA family)."""
    row = ROWS[run_id]
    # the recompute cell's mode charges nothing; the recipe's Megatron-Core recompute modules (recompute_modules cell,
    # recmod 2026-12-02: the MLA up-projections of the DeepSeek-V3 rows) are charged on their own
    # (tests/test_recompute_modules_rows.py)
    res = predict_layout(replace(run_query(row), recompute_modules=()))
    assert float(res.terms["t_recompute_s"]) == 0.0
    kernel = attention_kernel_of(row["flash"] == "1", row.get("attention_kernel") or None)
    assert FAMILY[run_id] in ("nvidia-hopper", "nvidia-blackwell")
    assert attention_bwd_ratio(kernel, FAMILY[run_id]) == 2.5
