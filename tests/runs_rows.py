"""Shared checks for the tests of published training rows: a row's step time is its table's Tokens/sec/GPU, and a
one-row runs file as a user writes one."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path


def table_step_s(row: dict[str, str], tokens_per_s_per_device: float) -> float:
    """step_s = GBS x seq / (Tokens/sec/GPU x GPUs), as the Megatron-Bridge and NeMo rows are derived."""
    return int(row["global_batch"]) * int(row["seq"]) / (tokens_per_s_per_device * int(row["devices"]))


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
