"""plan explain's text printed every memory component but not their total nor the device's capacity (only --json had
`mem_total_bytes`, `mem_capacity_bytes`), so a user of a feasible layout could neither check the components' sum
nor see the headroom; and its step formula named `t_microbatch`, a figure the text did not print, so the bubble
((p - 1) / v x t_microbatch) could not be recomputed. The three are now rows of the arithmetic table, each in its
unit and with its formula, and the rows add up to what they say."""

from __future__ import annotations

import json

import pytest
from conftest import explain_terms, run_main_expect

from accelopt.units import fmt_quantity

# a made-up layout: 4 stages, an uneven global batch (100 sequences over dp 6), selective recompute
EXPLAIN = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "48", "--tp", "2",
           "--pp", "4", "--mbs", "2", "--global-batch", "100")
MEMORY_PARTS = ("mem_weights_bytes", "mem_grads_bytes", "mem_optimizer_bytes", "mem_activations_bytes",
                "mem_overhead_bytes")
PER_MICROBATCH = ("t_fwd_s", "t_bwd_s", "t_recompute_s", "t_logits_s", "t_tp_comm_s", "t_cp_comm_s", "t_ep_comm_s",
                  "t_pp_p2p_s", "t_zero3_comm_s", "t_fsdp_latency_s")  # each already m x its per-micro-batch time


def _cells(out: str) -> dict[str, str]:
    """{term: printed value} of the text tables (a wrapped formula's continuation rows have no term)."""
    cells: dict[str, str] = {}
    for row in out.splitlines():
        parts = [p.strip() for p in row.split("│")]
        if len(parts) > 3 and parts[1]:
            cells.setdefault(parts[1], parts[2])
    return cells


def test_explain_prints_the_memory_total_capacity_and_microbatch_time(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(run_main_expect(capsys, *EXPLAIN, "--json")[0])
    t = explain_terms(doc)
    out, _ = run_main_expect(capsys, *EXPLAIN)
    cells = _cells(out)
    units = {x["name"]: x["unit"] for x in doc["terms"]}
    for name in ("mem_total_bytes", "mem_capacity_bytes", "t_microbatch_s"):
        assert cells.get(name) == fmt_quantity(t[name], units[name]), name
    # the rows add up as their formulas say: the components to the total, the terms to the step
    assert t["mem_total_bytes"] == pytest.approx(sum(t[k] for k in MEMORY_PARTS), rel=1e-12)
    assert t["mem_total_bytes"] <= t["mem_capacity_bytes"] and doc["feasible"]
    m = t["in_micro_batches"]
    assert m * t["t_microbatch_s"] == pytest.approx(sum(t[k] for k in PER_MICROBATCH), rel=1e-12)
    assert t["t_bubble_s"] == pytest.approx(3 * t["t_microbatch_s"], rel=1e-12)  # 1f1b: (p - 1) / v x t_mb
    assert t["step_time_s"] == pytest.approx(m * t["t_microbatch_s"] + t["t_bubble_s"] + t["t_dp_comm_s"]
                                             + t["t_optimizer_s"], rel=1e-12)
    # the formulas name what they sum, in JSON as in the text
    formula = {x["name"]: x["formula"] for x in doc["terms"]}
    assert all(k in formula["mem_total_bytes"] for k in MEMORY_PARTS)
    assert all(k in formula["t_microbatch_s"] for k in PER_MICROBATCH)
    assert "t_microbatch_s" in formula["step_time_s"]


def test_memory_formulas_name_the_shard_group_and_optimizer_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    """The formulas said '12 B x stage params (/ dp x cp with ZeRO >= 1)' beside a value divided by the --hsdp shard
    group (4 of dp 8 here) and computed with --optimizer-bytes (4 here): the text now names in_zero_shard_ranks and
    --optimizer-bytes, and the values follow them."""
    base = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16", "--tp", "2",
            "--zero", "1")

    def doc(*extra: str) -> dict[str, object]:
        return json.loads(run_main_expect(capsys, *base, *extra, "--json")[0])  # type: ignore[no-any-return]

    plain, hsdp, small = doc(), doc("--hsdp", "4"), doc("--hsdp", "4", "--optimizer-bytes", "4")
    t0, t1, t2 = (explain_terms(d) for d in (plain, hsdp, small))
    assert (t0["in_zero_shard_ranks"], t1["in_zero_shard_ranks"]) == (8, 4)
    assert t1["mem_optimizer_bytes"] == pytest.approx(2 * t0["mem_optimizer_bytes"], rel=1e-12)  # / 4, not / 8
    assert t2["mem_optimizer_bytes"] == pytest.approx(t1["mem_optimizer_bytes"] / 3, rel=1e-12)  # 4 B, not 12
    formula = {x["name"]: x["formula"] for x in hsdp["terms"]}  # type: ignore[attr-defined]
    for name in ("mem_weights_bytes", "mem_grads_bytes", "mem_optimizer_bytes"):
        assert "in_zero_shard_ranks" in formula[name] and "dp x cp" not in formula[name], formula[name]
    assert "--optimizer-bytes" in formula["mem_optimizer_bytes"]
