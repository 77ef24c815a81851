"""The distributed optimizer's bucket size as a runs-file cell (dp_bucket_params) and a flag (--dp-bucket-params),
set from each run's recipe (bucket, 2026-12-02, issue 10).

training.dist_opt_latency_s charges 2 ring latencies per bucket (a gradient reduce-scatter and a parameter
all-gather). Megatron-Core's default bucket is max(40M, 1M x dp) parameters; NeMo 1 runs with Apex's
distributed_fused_adam set their own: bucket_cap_mb MiB of grad_sync_dtype elements (NVIDIA/apex
apex/contrib/optimizers/distributed_fused_adam.py at d571f3e: `bucket_size = 1024 * 1024 * bucket_cap_mb / dtype_size`,
grad_sync_dtype 'default: same as dtype', dtype 'default: torch.float32'; NeMo's megatron_base_model.py at 7ed5455
setup_optimization leaves grad_sync_dtype unset). The runs file stores the bucket in parameters.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}
MIB = 2**20
FP32_B, BF16_B = 4, 2
LAUNCHER = "NVIDIA/NeMo-Framework-Launcher launcher_scripts/conf/training/"

# row id -> (recipe file as the row's note cites it, bucket_cap_mb, grad_sync_dtype bytes), read from the recipes
RECIPES: dict[str, tuple[str, int, int]] = {
    "nemo-gpt3-5b": (f"{LAUNCHER}gpt3/5b.yaml (stored 00af8f2)", 400, FP32_B),
    "nemo-gpt3-20b": (f"{LAUNCHER}gpt3/20b.yaml (stored 056a90e)", 200, FP32_B),
    "nemo-gpt3-175b-128": (f"{LAUNCHER}gpt3/175b.yaml (stored 056a90e)", 100, FP32_B),
    "nemo-gpt3-175b-512": (f"{LAUNCHER}gpt3/175b.yaml (stored 056a90e)", 100, FP32_B),
    "nemo-nemotron-8b": (f"{LAUNCHER}nemotron/nemotron_8b.yaml (stored 089b90e)", 100, FP32_B),
    "nemo-nemotron-22b": (f"{LAUNCHER}nemotron/nemotron_22b.yaml (stored 089b90e)", 100, FP32_B),
    "nemo-llama2-7b": (f"{LAUNCHER}llama/llama2_7b.yaml (stored 064e676)", 125, FP32_B),
    "nemo-llama2-13b": (f"{LAUNCHER}llama/llama2_13b.yaml (stored 0446d2c)", 125, FP32_B),
    "nemo-llama2-70b": (f"{LAUNCHER}llama/llama2_70b.yaml (stored 0446d2c)", 125, FP32_B),
    "nemo-llama3-8b": (f"{LAUNCHER}llama/llama3_8b.yaml (stored 14860f7)", 125, FP32_B),
    **{f"dgxc-h100-gpt3-175b-bf16-{n}": ("NVIDIA/dgxc-benchmarking nemo_megatron/gpt3_175b_hydra.yaml (stored 35a9aec)",
                                         220, BF16_B) for n in (128, 256, 512, 1024, 2048)},
    **{f"dgxc-h100-nemotron4-340b-bf16-{n}": ("NVIDIA/dgxc-benchmarking nemotron/nemotron4-340b-synth.yaml (stored "
                                              "8f5cbb3)", 50, BF16_B) for n in (128, 256, 512, 1024, 2048)},
}


@pytest.mark.parametrize("rid", sorted(RECIPES))
def test_cell_is_the_recipes_bucket_in_parameters(rid: str) -> None:
    src, mb, sync_b = RECIPES[rid]
    row = ROWS[rid]
    assert int(row["dp_bucket_params"]) == mb * MIB // sync_b
    assert src in row["note"] and f"bucket_cap_mb {mb}" in row["note"]


def test_only_rows_whose_recipe_was_read_carry_a_cell() -> None:
    """A blank cell is Megatron-Core's default; every set cell is in RECIPES above (checked against its recipe)."""
    assert {rid for rid, r in ROWS.items() if (r.get("dp_bucket_params") or "").strip()} == set(RECIPES)


def test_cell_parsing() -> None:
    row = ROWS["nemo-gpt3-20b"]
    assert run_query(row).dp_bucket_params == 200 * MIB // FP32_B
    assert run_query({**row, "dp_bucket_params": ""}).dp_bucket_params is None
    for bad in ("26.2M", "-5", "abc"):
        with pytest.raises(InputError, match="dp_bucket_params"):
            run_query({**row, "dp_bucket_params": bad})


def test_gpt3_20b_bucket_count_and_latency_by_hand() -> None:
    """nemo-gpt3-20b: 44 layers, h 6144, V 50432, s 2048, TP 2, DP 32 on 8-GPU H100 nodes; recipe bucket 200 MiB of
    fp32 = 52,428,800 parameters. Parameters per rank ~ (44 (12 h^2 + 13 h) + V h) / 2 + s h = 10.13e9 (whether the
    biases and norms shard over TP or not: 10.129e9..10.137e9) -> ceil(/ 52,428,800) = 194 buckets (the default's
    40M: 254). One ring over 32 ranks, 4 per node (8 / TP 2), 8 nodes: (32 - 8) x 2.4 us + 7 x 8 us = 113.6 us
    (comm.ring_latency_s, comm.py's default latencies); 2 collectives per bucket: 2 x 194 x 113.6 us = 44.08 ms."""
    h, layers, vocab, seq, tp = 6144, 44, 50432, 2048, 2
    per_rank = (layers * (12 * h * h + 13 * h) + vocab * h) / tp + seq * h
    assert 193 < per_rank / 52_428_800 < 194 and 253 < per_rank / 40e6 < 254
    q = run_query(ROWS["nemo-gpt3-20b"])
    terms = predict_layout(q).terms
    assert float(terms["in_dp_buckets"]) == 194
    assert float(terms["t_dp_latency_s"]) == pytest.approx(2 * 194 * ((32 - 8) * 2.4e-6 + 7 * 8e-6), rel=1e-9)
    default = predict_layout(replace(q, dp_bucket_params=None)).terms
    assert float(default["in_dp_buckets"]) == 254


def test_flag_reaches_plan_explain_and_its_json(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64", "--zero", "1",
            "--json"]
    code, out, err = run_main(base, capsys)
    assert code in (0, 2), err
    plain = json.loads(out)
    code, out, err = run_main([*base, "--dp-bucket-params", "10M"], capsys)
    assert code in (0, 2), err
    small = json.loads(out)
    assert plain["dp_bucket_params"] is None and small["dp_bucket_params"] == 10_000_000
    assert small["prediction"]["step_time_s"] > plain["prediction"]["step_time_s"]


@pytest.mark.parametrize(("bad", "says"), [("1.5", "not a whole number"), ("0", "outside 1.."),
                                           ("abc", "cannot read --dp-bucket-params")])
def test_bad_flag_exits_2_naming_the_problem(bad: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                                "--dp-bucket-params", bad], capsys)
    assert code == 2
    assert says in " ".join(err.split()), err
