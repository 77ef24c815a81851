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
    # hopaudit (2026-12-04): the FP8 table beside them runs the same hydra yaml
    **{f"dgxc-h100-gpt3-175b-fp8-{n}": ("NVIDIA/dgxc-benchmarking nemo_megatron/gpt3_175b_hydra.yaml (stored 35a9aec)",
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


# bucket2 (2026-12-02): NeMo 2 and Megatron-Bridge runs. Neither stack's performance recipe sets a bucket; its
# communication-overlap layer does, whenever the distributed optimizer runs with DP > 1: bucket_size = 128 x 1024 x 1024
# parameters, written onto the DDP config (NeMo 2: NVIDIA/NeMo nemo/lightning/pytorch/callbacks/megatron_comm_overlap.py
# stored e69d0b5, MegatronCommOverlapCallback._get_optimizer_overlap_cfgs, added by
# pretrain_recipe(performance_mode=True);
# Megatron-Bridge: NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/training/comm_overlap.py stored 0685ff5,
# CommOverlapConfig._get_optimizer_overlap_cfgs / setup). Megatron-Core's bucket_size is a parameter count.
OVERLAP_BUCKET = 128 * 1024 * 1024
NEMO2_SRC = "nemo/lightning/pytorch/callbacks/megatron_comm_overlap.py (stored e69d0b5)"
MB_SRC = "src/megatron/bridge/training/comm_overlap.py (stored 0685ff5)"
# NeMo 2 / Megatron-Bridge rows on the distributed optimizer (zero 1, DP > 1) left at Megatron-Core's default, each with
# its recipe's reason (bucket2 notes): the GPT-OSS perf configs and recipe build no CommOverlapConfig
# (scripts/performance/configs/gpt_oss/gpt_oss_llm_pretrain.py stored f0e2c37; recipes/gpt_oss/gpt_oss.py stored
# db2bfdd: 'Communication overlap (default None ...)'), and the DeepSeek-V3 H100 config turns overlap_grad_reduce off
# (scripts/performance/configs/deepseek/deepseek_llm_pretrain.py stored 0132842), so Megatron-Core keeps one bucket.
OVERLAP_DEFAULT_KEPT = {"mb-gb200-gptoss-120b", "mb-b200-gptoss-120b", "mb-h100-gptoss-120b", "mb-gb300-gptoss-120b",
                        "mb2509-h100-dsv3-fp8",
                        # mbnew (2026-12-03): the GPT-OSS rows of the 26.02.01 / 26.04 / 26.04.01 tables keep their
                        # siblings' blank (the later GPT-OSS recipes were not read)
                        *(f"{rel}-{sys}-gptoss-120b" for rel in ("mb260201", "mb2604", "mb260401")
                          for sys in ("gb300", "gb200", "b300", "b200", "h100")),
                        # newrows (2026-12-03): the 26.02 GPT-OSS rows, likewise (their 26.02.01 siblings' blank)
                        *(f"mb2602-{sys}-gptoss-120b" for sys in ("gb300", "gb200", "b300", "b200", "h100")),
                        # mb2606 (2026-12-03): the 26.06 GPT-OSS rows, likewise (their 26.04.01 siblings' blank)
                        "mb2606-gb300-gptoss-120b", "mb2606-gb200-gptoss-120b"}


def _on_overlap_default(rid: str) -> bool:
    row = ROWS[rid]
    return (rid.startswith(("nemo25", "mb")) and row["zero"].strip() == "1" and int(row["dp"]) > 1
            and rid not in OVERLAP_DEFAULT_KEPT)


OVERLAP_ROWS = sorted(rid for rid in ROWS if _on_overlap_default(rid))


def test_overlap_rows_are_the_nemo2_and_bridge_distributed_optimizer_rows() -> None:
    # 72 since nemonew's NeMo 25.07 GB200 Llama 3 8B / Llama 4 Scout and 25.02 H100 GPT3-175B rows (2026-12-03; its
    # 25.07 70B and 405B rows run FSDP, zero 3); 69 before mbnew (2026-12-03), whose 59 non-GPT-OSS
    # distributed-optimizer rows joined; and mixrows' four NeMo 25.02 B200 / 25.04 GB200 Mixtral rows (2026-12-03: DP 64
    # and 4, the distributed optimizer under MegatronCommOverlapCallback): 135 with all three; 139 with newrows' four
    # Megatron-Bridge 26.02 DeepSeek-V3 rows (2026-12-03: their 26.02.01 siblings' cell); 152 with mb2606's 13
    # non-GPT-OSS Megatron-Bridge 26.06 rows (2026-12-03: their 26.04.01 siblings' cell)
    assert len(OVERLAP_ROWS) == 152
    for rid in OVERLAP_DEFAULT_KEPT:  # on the distributed optimizer with DP > 1, yet the default by their recipes
        row = ROWS[rid]
        assert row["zero"].strip() == "1" and int(row["dp"]) > 1 and not (row.get("dp_bucket_params") or "").strip()


@pytest.mark.parametrize("rid", OVERLAP_ROWS)
def test_cell_is_the_comm_overlap_bucket(rid: str) -> None:
    row = ROWS[rid]
    assert int(row["dp_bucket_params"]) == OVERLAP_BUCKET == 134_217_728
    note = " ".join(row["note"].split())
    assert (NEMO2_SRC if rid.startswith("nemo25") else MB_SRC) in note and "128 x 1024 x 1024" in note


def test_only_rows_whose_recipe_was_read_carry_a_cell() -> None:
    """A blank cell is Megatron-Core's default; every set cell is in RECIPES or OVERLAP_ROWS above (checked against
    its recipe)."""
    assert {rid for rid, r in ROWS.items() if (r.get("dp_bucket_params") or "").strip()} == set(RECIPES) | set(
        OVERLAP_ROWS)


def test_nemotron4_15b_bucket_count_and_latency_by_hand() -> None:
    """nemo2502-b200-nemotron4-15b: 32 layers, h 6144, 48 heads with 8 KV heads of 128, FFN 24576 (no gate), V 256000
    untied, TP 1, PP 1, DP 64 on 8-GPU B200 nodes. Parameters per rank ~ 32 (2 h^2 + 2 h 1024 + 2 h 24576) + 2 V h
    = 15.628e9 (the norms add < 1e6) -> ceil(/ 134,217,728) = 117 buckets (the default's max(40M, 64 x 1M): 245). One
    ring over 64 ranks, 8 per node, 8 nodes: (64 - 8) x 2.4 us + 7 x 8 us = 190.4 us; 2 x 117 x 190.4 us = 44.55 ms."""
    h, layers, vocab = 6144, 32, 256000
    per_rank = layers * (2 * h * h + 2 * h * 1024 + 2 * h * 24576) + 2 * vocab * h
    assert 116 < per_rank / OVERLAP_BUCKET < 117 and 244 < per_rank / 64e6 < 245
    q = run_query(ROWS["nemo2502-b200-nemotron4-15b"])
    terms = predict_layout(q).terms
    assert float(terms["in_dp_buckets"]) == 117
    assert float(terms["t_dp_latency_s"]) == pytest.approx(2 * 117 * ((64 - 8) * 2.4e-6 + 7 * 8e-6), rel=1e-9)
    assert float(predict_layout(replace(q, dp_bucket_params=None)).terms["in_dp_buckets"]) == 245


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
