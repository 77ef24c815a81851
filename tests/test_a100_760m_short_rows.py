"""mpt-a100-760m-8-512 and mpt-a100-760m-8-1k, the llm-foundry A100 rows furthest off below 25% (-21% / -16%, issue
10): what a100_long (2026-12-03) checked, recomputed. Diagnosis checks, not a fix: no prediction changes here; they
fail when a model change moves a figure that the rows' notes quote.

Sources, each a table line of MPT-760M (24 x 1536, 12 heads) on 8 GPUs, FULL_SHARD, no activation checkpointing, as
(SeqLen, MicroBatchSize, GradAccum, GlobalBatchSize, Throughput (T/s)):
- the rows: mosaicml/llm-foundry scripts/train/benchmarking/README.md at 061f2c7ce64e655100286584a7629e2a09f827ba,
  table 'A100 80GB with 1600 Gbps node-node interconnect (RoCE)' (amp_bf16, DEFAULT).
- the same configurations measured earlier: mosaicml/examples examples/llm/throughput/README.md at
  3bbda73be98aa986366930685452cc109b33df80, table 'A100 80GB' (every row bf16, PURE).
- on H100: the llm-foundry README at 061f2c7, table 'H100 80GB BF16' (amp_bf16, DEFAULT).
The runs file holds the 760m lines of the first table (mpt-a100-760m-*); the other models' lines of both A100 tables
below are the 8-GPU lines at seq 512..2048 that the two tables give with the same MicroBatchSize and GradAccum.
"""

from __future__ import annotations

from accelopt.predict import validation as V

ROWS = {r["id"]: r for r in V.read_runs()}
SHORT = {512: "mpt-a100-760m-8-512", 1024: "mpt-a100-760m-8-1k", 2048: "mpt-a100-760m-8"}

# (MicroBatchSize, GradAccum, GlobalBatchSize, Throughput (T/s)) per SeqLen, MPT-760M, 8 GPUs
A100_AMP_760M = {512: (96, 2, 1536, 235571), 1024: (48, 2, 768, 238122), 2048: (24, 2, 384, 259472)}  # 061f2c7
A100_PURE_760M = {512: (96, 2, 1536, 293755), 1024: (48, 2, 768, 279108), 2048: (24, 2, 384, 254104)}  # 3bbda73
H100_AMP_760M = {512: (96, 2, 1536, 669998), 1024: (48, 2, 768, 628648), 2048: (24, 2, 384, 505177)}  # 061f2c7

# Throughput (T/s) of the same 8-GPU line in both A100 tables: (model, SeqLen) -> (llm-foundry 061f2c7, examples
# 3bbda73); each pair's MicroBatchSize and GradAccum agree (3b at 2048 does not, GradAccum 2 vs 6: left out; so does
# the llm-foundry 125m 2048 line of MicroBatchSize 40: its MicroBatchSize 32 line is the one here)
BOTH_A100 = {
    ("125m", 512): (1325455, 1325030), ("125m", 1024): (1251751, 1254561), ("125m", 2048): (1133901, 1123506),
    ("350m", 512): (554643, 560858), ("350m", 1024): (518504, 526393), ("350m", 2048): (470263, 471290),
    ("760m", 512): (235571, 293755), ("760m", 1024): (238122, 279108), ("760m", 2048): (259472, 254104),
    ("1b", 512): (185186, 184268), ("1b", 1024): (176898, 173458), ("1b", 2048): (164109, 162214),
    ("3b", 512): (97019, 94553), ("3b", 1024): (92643, 90906),
}


def _line(seq: int, mbs: int, grad_accum: int, gbs: int, tokens_per_s: float) -> dict[str, str]:
    """The 760m row's cells at another table line: its micro-batch, global batch and measured step."""
    assert gbs == mbs * grad_accum * 8
    return {**ROWS[SHORT[seq]], "id": f"760m@{seq}", "mbs": str(mbs), "global_batch": str(gbs),
            "step_s": str(gbs * seq / tokens_per_s), "mfu_pct": "", "params_b": ""}


def _error_pct(row: dict[str, str]) -> float:
    return round(100 * V.reproduce(row).error, 1)


def test_rows_are_the_table_lines() -> None:
    """No wrong cell: MicroBatchSize, GlobalBatchSize (= MicroBatchSize x GradAccum x 8) and the step
    (GlobalBatchSize (T) / Throughput (T/s), 786,432 tokens) are the llm-foundry lines'."""
    for seq in (512, 1024):
        r, (mbs, grad_accum, gbs, tps) = ROWS[SHORT[seq]], A100_AMP_760M[seq]
        assert (int(r["seq"]), int(r["mbs"]), int(r["global_batch"])) == (seq, mbs, gbs) and gbs == mbs * grad_accum * 8
        assert (r["recompute"], r["zero"], r["attention_kernel"]) == ("none", "3", "triton")
        assert float(r["step_s"]) == round(gbs * seq / tps, 3)
    assert {SHORT[s]: float(ROWS[SHORT[s]]["step_s"]) for s in (512, 1024)} == {
        "mpt-a100-760m-8-512": 3.338, "mpt-a100-760m-8-1k": 3.303}


def test_the_earlier_reading_of_the_same_lines_is_within_three_percent() -> None:
    """The rows miss by -21.2% / -16.4%; the same configurations in mosaicml/examples' earlier A100 table (293,755 and
    279,108 T/s against 235,571 and 238,122) are missed by -1.7% / -2.1%; at seq 2048 the two readings agree and so
    does the model (-0.4% / -2.5%)."""
    assert {s: _error_pct(ROWS[SHORT[s]]) for s in SHORT} == {512: -21.2, 1024: -16.4, 2048: -0.4}
    assert {s: _error_pct(_line(s, *A100_PURE_760M[s])) for s in SHORT} == {512: -1.7, 1024: -2.1, 2048: -2.5}


def test_only_these_two_lines_differ_between_the_two_a100_tables() -> None:
    """Of the 14 8-GPU lines (MPT-125M..3B, seq 512..2048) both A100 tables give with the same MicroBatchSize and
    GradAccum, llm-foundry's throughput is 0.985-1.026x the earlier table's, except the 760m lines at 512 and 1024:
    0.80x and 0.85x. The precision mode differs between the tables (amp_bf16 DEFAULT / bf16 PURE) on every line."""
    ratio = {k: round(lf / ex, 3) for k, (lf, ex) in BOTH_A100.items()}
    odd = {k: v for k, v in ratio.items() if not 0.985 <= v <= 1.026}
    assert len(ratio) == 14 and odd == {("760m", 512): 0.802, ("760m", 1024): 0.853}
    assert (min(v for k, v in ratio.items() if k not in odd), max(v for k, v in ratio.items() if k not in odd)) == (
        0.985, 1.026)
    for seq in (512, 1024, 2048):  # the 760m pairs are the runs file's lines
        assert BOTH_A100[("760m", seq)] == (A100_AMP_760M[seq][3], A100_PURE_760M[seq][3])


def test_short_over_2048_throughput_against_the_model() -> None:
    """Per token, the model runs MPT-760M 1.15x faster at seq 512 than at 2048 (same 49,152 tokens per micro-batch,
    less attention); the earlier A100 reading shows 1.16x, the H100 table 1.33x, the llm-foundry A100 line 0.91x."""
    def speedup(table: dict[int, tuple[int, int, int, int]]) -> float:
        return round(table[512][3] / table[2048][3], 2)
    assert (speedup(A100_AMP_760M), speedup(A100_PURE_760M), speedup(H100_AMP_760M)) == (0.91, 1.16, 1.33)
    tokens = {s: A100_AMP_760M[s][0] * s for s in SHORT}
    assert set(tokens.values()) == {49152}
    predicted = {s: V.reproduce(ROWS[SHORT[s]]).predicted_step_s / (A100_AMP_760M[s][2] * s) for s in SHORT}
    assert round(predicted[2048] / predicted[512], 2) == 1.15


def test_model_memory_does_not_single_the_lines_out() -> None:
    """The model's memory estimate for the 760m lines is 70.4 GiB of 80.0 at seq 512 through 16384 (the model's
    highest); the lines at 2048..16384 miss by -0.4..-3.7%. Neither table publishes a memory or allocator figure."""
    ids = [*SHORT.values(), "mpt-a100-760m-8-4k", "mpt-a100-760m-8-8k", "mpt-a100-760m-8-16k"]
    gib = {k: round(V.reproduce(ROWS[k]).memory_bytes_per_device / 2**30, 1) for k in ids}
    assert set(gib.values()) == {70.4}
    errs = [_error_pct(ROWS[k]) for k in ids[2:]]
    assert (min(errs), max(errs)) == (-3.7, -0.4)
