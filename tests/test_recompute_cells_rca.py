"""Each NVIDIA row's recompute cell is its recipe's setting (rca, 2026-12-01; issue 10).

The runs file's header used to write `selective` on rows whose recipes recompute nothing, "because with fused attention
that is what FlashAttention's backward recomputes anyway". Since hopdiag the model charges a FlashAttention-2-algorithm
kernel's own backward recomputation (compute.runs_fa2_algorithm, backward 2.5x the forward) on nvidia-ampere / -hopper /
-blackwell, so the convention counted it twice. `selective` now means Megatron's selective recompute (the core
attention re-run in the backward, Korthikanti et al. 2022 sec. 5) and each cell says what its recipe does.

Sources (each row's note cites its file and stored commit):
- NeMo 24.07 rows: NVIDIA/NeMo-Framework-Launcher launcher_scripts/conf/training/*/*.yaml,
  activations_checkpoint_granularity (null = none; selective on gpt3/20b.yaml and gpt3/175b.yaml, stored 056a90e).
- NeMo 25.02 / 25.04 rows: NVIDIA/NeMo scripts/performance/helpers.py (stored 02a0e6a) set_recompute_configs (recompute
  only for recompute_layers > 0 or recompute_modules) and recommended_model_configs/model_configs_b200.csv (026c682) /
  model_configs_gb200.csv (06c0e70): recompute_layers 0, no recompute_modules.
- dgxc-benchmarking rows: nemo_megatron/gpt3_175b_hydra.yaml (35a9aec) null; nemotron/nemotron4-15b-synth.yaml (8f5cbb3)
  no recompute; nemotron/nemotron4-340b-synth.yaml (8f5cbb3) selective.
- Llama 3 405B: Llama Team 2024 sec. 3.3.2, "pre-train Llama 3 on sequences of 8K tokens without activation
  checkpointing".
Fails on int (9a8f4e3): every row of CHANGED wrote selective / selective+sp there.
"""

from __future__ import annotations

import pytest

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}

_NEMO2 = ["nemo2502-b200-", "nemo2504-gb200-"]
# Rows whose cell changed: id -> the recipe's cell ('+sp': sequence parallel where TP > 1, as the file writes it).
CHANGED: dict[str, str] = {
    **{i: "none" for i in ("nemo-gpt3-5b", "nemo-llama2-7b", "nemo-llama2-13b", "nemo-llama3-8b")},
    **{
        i: "none+sp"
        for i in (
            "nemo-llama2-70b",
            "nemo-llama3-70b",
            "nemo-nemotron-8b",
            "nemo-nemotron-22b",
            "nemo-nemotron-340b",
            "llama3-405b-8k",
            "llama3-405b-16k",
        )
    },
    **{p + m: "none" for p in _NEMO2 for m in ("llama3-8b", "nemotron4-15b")},
    "nemo2504-gb200-llama3-70b": "none",  # TP 1 (FSDP)
    "nemo2502-b200-llama3-70b": "none+sp",
    **{p + m: "none+sp" for p in _NEMO2 for m in ("gpt3-175b", "llama31-405b", "nemotron4-340b")},
    **{f"dgxc-h100-gpt3-175b-bf16-{g}": "none+sp" for g in (128, 256, 512, 1024, 2048)},
    **{f"dgxc-h100-nemotron4-15b-bf16-{g}": "none+sp" for g in (16, 32, 64, 128, 256, 512, 1024, 2048)},
}
# Rows whose recipe sets Megatron's selective recompute: the cell stays, now verified.
VERIFIED_SELECTIVE: dict[str, str] = {
    "nemo-gpt3-20b": "selective+sp",
    "nemo-gpt3-175b-128": "selective+sp",
    "nemo-gpt3-175b-512": "selective+sp",
    **{f"dgxc-h100-nemotron4-340b-bf16-{g}": "selective+sp" for g in (128, 256, 512, 1024, 2048)},
}
# Rows whose recipe file was not found (dgxc llama3.1 yamls are not in the stored index): cell kept, UNVERIFIED.
UNVERIFIED = frozenset(
    [f"dgxc-h100-llama31-8b-bf16-{g}" for g in (8, 16, 32, 64, 128)]
    + [f"dgxc-h100-llama31-70b-bf16-{g}" for g in (64, 128, 256, 512, 1024, 2048)]
)
# Rows added after rca with their recipe's cell read at entry (nemonew, 2026-12-03: model_configs_gb200.csv 06c0e70 /
# model_configs_h100.csv 000e8c1, recompute_layers 0 and no recompute_modules on each line; the runs-file block).
READ_AT_ENTRY: dict[str, str] = {
    "nemo2507-gb200-llama3-8b": "none", "nemo2507-gb200-llama3-70b": "none", "nemo2507-gb200-llama31-405b": "none+sp",
    "nemo2507-gb200-llama4-scout": "none", "nemo2502-h100-gpt3-175b": "none+sp",
    # mixrows (2026-12-03): model_configs_b200.csv 026c682 / model_configs_gb200.csv 06c0e70 mixtral lines,
    # recompute_layers 0 and no recompute_modules (sequence parallel at TP 2: set_primary_perf_configs)
    "nemo2502-b200-mixtral-8x7b": "none", "nemo2502-b200-mixtral-8x22b": "none+sp",
    "nemo2504-gb200-mixtral-8x7b": "none", "nemo2504-gb200-mixtral-8x22b": "none+sp",
    # hopaudit (2026-12-04): dgxc-benchmarking 143b90d README_175b's FP8 table, the BF16 rows' recipe
    # (nemo_megatron/gpt3_175b_hydra.yaml stored 35a9aec: activations_checkpoint_granularity null, sequence_parallel)
    **{f"dgxc-h100-gpt3-175b-fp8-{g}": "none+sp" for g in (128, 256, 512, 1024, 2048)},
}
SCOPE = ("nemo-", "nemo2502-", "nemo2504-", "nemo2507-", "dgxc-h100-", "llama3-405b-")


@pytest.mark.parametrize("run_id", sorted(CHANGED | VERIFIED_SELECTIVE | READ_AT_ENTRY))
def test_recompute_cell_is_the_recipes(run_id: str) -> None:
    assert ROWS[run_id]["recompute"] == (CHANGED | VERIFIED_SELECTIVE | READ_AT_ENTRY)[run_id]


@pytest.mark.parametrize("run_id", sorted(CHANGED))
def test_changed_rows_say_so_in_their_note(run_id: str) -> None:
    note = ROWS[run_id]["note"]
    assert "recompute (rca, 2026-12-01)" in note and "retired FlashAttention convention" in note


def test_every_row_in_scope_is_classified() -> None:
    """A new row of these sources must say which of the three it is (a 'selective' cell copied by convention fails)."""
    in_scope = {i for i in ROWS if i.startswith(SCOPE)}
    assert in_scope == set(CHANGED) | set(VERIFIED_SELECTIVE) | set(READ_AT_ENTRY) | UNVERIFIED


@pytest.mark.parametrize("run_id", ["nemo-llama2-7b", "llama3-405b-8k", "dgxc-h100-gpt3-175b-bf16-128"])
def test_a_none_row_charges_no_recompute(run_id: str) -> None:
    """Through validate's public path (run_query -> predict_layout, the CLI's): no recompute term on a none row; the
    FlashAttention-2 backward's own recomputation is in t_bwd (compute.runs_fa2_algorithm)."""
    res = predict_layout(run_query(ROWS[run_id]))
    assert res.layout.recompute == "none"
    assert res.terms["t_recompute_s"] == 0.0
