"""Memory under Megatron-Core's expert all-to-all overlap (plan --ep-a2a-overlap, overlap_moe_expert_parallel_comm).

The interleaved warm-up runs one forward more with the overlap (NVIDIA/Megatron-LM
megatron/core/pipeline_parallel/schedules.py at 00611e6e, get_pp_rank_microbatches), and each steady-state step runs
one chunk's forward beside another's backward layer by layer, forward layer i with backward layer L_c - 1 - i
(megatron/core/models/common/model_chunk_schedule_plan.py at d428de4, TransformerModelChunkSchedulePlan.run); without
pipelining micro-batch i's backward runs beside micro-batch i + 1's forward the same way
(megatron/core/pipeline_parallel/combined_1f1b.py at 00caa53, combined_1f1b_schedule_for_no_pipelining). The test
walks that schedule layer by layer and checks the closed form (memory.layers_in_flight + a2a_overlap_layers): the
chunks held at a paired step's start are the count without the overlap, and one layer more inside the step; two
micro-batches' whole saved sets are never live together. Fails before rmemwarm (2026-12-06): the overlap added nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, row_explain_argv, run_main

from accelopt.predict.memory import a2a_overlap_layers, layers_in_flight
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}
GIB = 2**30


def _walk_overlap_peak(p: int, v: int, m: int, rank: int, size: int) -> int:
    """Peak layer-micro-batches on rank `rank` under the overlap, walking Megatron-Core's combined schedule: warm-up
    forwards (interleaved 2 (p - r - 1) + (v - 1) p + 1; without pipelining 1), capped at m v, each adding a chunk of
    `size` layers; then each paired step builds the forward's layer i (+1) before its backward partner's layer frees
    (-1), layer by layer; the cool-down's backwards only free."""
    total = m * v
    warm = min(2 * (p - rank - 1) + (v - 1) * p + 1 if v > 1 else 1, total)
    held = peak = warm * size
    for _ in range(total - warm):
        for _layer in range(size):
            held += 1
            peak = max(peak, held)
            held -= 1
    return peak


@pytest.mark.parametrize(("p", "v", "m", "size"), [(1, 1, 8, 48), (1, 1, 1, 48), (2, 8, 16, 4), (8, 4, 16, 3),
                                                    (4, 3, 4, 2), (8, 2, 8, 4), (4, 12, 4, 2)])
def test_closed_form_walks_the_combined_schedule(p: int, v: int, m: int, size: int) -> None:
    """On every rank, even chunks: layers_in_flight (the chunks held, unchanged by the overlap) + a2a_overlap_layers
    (one layer where the rank runs a paired step; none where its warm-up covers every pass, e.g. m 1 at p 1, or
    (4, 3, 4) on rank 0, whose 2 x 3 + 2 x 4 + 1 = 15 warm-up forwards exceed its 12 passes)."""
    a = np.asarray
    for rank in range(p):
        held = layers_in_flight(a([p]), a([v]), a([m]), a([rank]), a([float(size)]), a([float(size * v)]),
                                "first")[0] if v > 1 else size * min(m, p)
        extra = a2a_overlap_layers(a([p]), a([v]), a([m]), a([rank]), a([True]))[0]
        assert held + extra == _walk_overlap_peak(p, v, m, rank, size), rank
        assert a2a_overlap_layers(a([p]), a([v]), a([m]), a([rank]), None)[0] == 0.0


def test_no_overlap_with_pipelining_but_no_interleaving() -> None:
    """Megatron-Core runs the overlap only without pipelining or with interleaving (query.py refuses p > 1, v = 1):
    a layout search's p > 1, v = 1 candidates get no layer."""
    a = np.asarray
    assert a2a_overlap_layers(a([4]), a([1]), a([16]), a([0]), a([True]))[0] == 0.0


@pytest.mark.parametrize(("rid", "before", "after"), [("mb2606-gb300-dsv3", 188.0, 189.4),
                                                      ("mb2606-gb300-qwen3-30b", 189.5, 191.9)])
def test_published_overlap_rows_hold_one_layer_more(rid: str, before: float, after: float) -> None:
    """Two rows whose recipes run the overlap (ep_a2a_overlap 1; PP 2 x VP 8 and PP 1): memory per device with the
    overlap cell blank and set (GiB, 0.1). For the PP 1 row the added layer is checked
    against the layout's own terms: without the overlap its activations are 48 layers' saved sets + the fp32 logits
    (4 B x seq 4096 x mbs 8 x vocab 151,936, larger than any recompute working set: recompute none), so one layer is
    (activations - logits) / 48."""
    row = ROWS[rid]
    assert row["ep_a2a_overlap"] == "1"
    blank = predict_layout(run_query({**row, "ep_a2a_overlap": ""}))
    now = predict_layout(run_query(row))
    assert [round(x.terms["mem_total_bytes"] / GIB, 1) for x in (blank, now)] == [before, after]
    assert now.fits_memory
    if row["pp"] == "1":
        logits = 4.0 * int(row["seq"]) * int(row["mbs"]) * int(row["vocab"]) / int(row["tp"])
        one_layer = (blank.terms["mem_activations_bytes"] - logits) / int(row["layers"])
        added = now.terms["mem_activations_bytes"] - blank.terms["mem_activations_bytes"]
        assert added == pytest.approx(one_layer, rel=1e-9)


def test_plan_explain_shows_the_overlap_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain` (the command `validate --row` prints) gives the same memory as the library, with the
    activations' formula naming the overlap's layer; without --ep-a2a-overlap one layer less."""
    row = ROWS["mb2606-gb300-qwen3-30b"]
    argv = row_explain_argv(row, tmp_path)
    assert "--ep-a2a-overlap" in argv
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    doc = json.loads(out)
    got = explain_terms(doc)
    assert got["mem_activations_bytes"] == predict_layout(run_query(row)).terms["mem_activations_bytes"]
    formula = next(t["formula"] for t in doc["terms"] if t["name"] == "mem_activations_bytes")
    assert "--ep-a2a-overlap: + 1 layer" in formula
    code, out, err = run_main([a for a in argv if a != "--ep-a2a-overlap"], capsys)
    assert code == 0, err
    plain = explain_terms(json.loads(out))
    assert round((got["mem_activations_bytes"] - plain["mem_activations_bytes"]) / GIB, 2) == 2.31
