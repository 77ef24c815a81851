"""Shared checks for the tests of published training rows: a row's step time is its table's Tokens/sec/GPU, and a
one-row runs file as a user writes one."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path


def table_step_s(row: dict[str, str], tokens_per_s_per_device: float) -> float:
    """step_s = GBS x seq / (Tokens/sec/GPU x GPUs), as the Megatron-Bridge and NeMo rows are derived."""
    return int(row["global_batch"]) * int(row["seq"]) / (tokens_per_s_per_device * int(row["devices"]))


def assert_mb_table_row(row: dict[str, str], tokens: int, release: str, code_index_id: str) -> str:
    """A Megatron-Bridge performance-summary row: its step_s is the table's Tokens/sec/GPU, its source and note cite
    the release's section and the stored version's code index id, dp x tp x pp x cp is its GPU count. The note."""
    import pytest

    assert float(row["step_s"]) == pytest.approx(table_step_s(row, tokens), abs=1e-4)
    assert row["source"] == f"Megatron-Bridge{release} perf summary"
    note = row["note"]
    assert f"Published {tokens} Tokens/sec/GPU" in note and code_index_id in note
    assert f"section '{release} NeMo Container'" in note
    assert int(row["dp"]) * int(row["tp"]) * int(row["pp"]) * int(row["cp"]) == int(row["devices"])
    return note


def write_runs_file(path: Path, row: dict[str, str]) -> Path:
    """path: a runs CSV holding `row` alone (its keys are the header)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
    return path


def assert_held_out_within(run_ids: Iterable[str], bound: float) -> None:
    """Each bundled run named is held out (not a fit row) and its |error| is within `bound`."""
    from accelopt.predict.validation import validate_report

    results = {r.id: r for r in validate_report().runs}
    for run_id in run_ids:
        assert not results[run_id].fitted, run_id
        assert abs(results[run_id].error) <= bound, (run_id, results[run_id].error)
