"""A rank failing during `probe --collectives` keeps the collective figures measured before it, as Ctrl-C does
(test_probe_collectives_interrupt.py).

utdist (2026-12-05): a rank that crashed, hung or ran out of memory after the all-reduce sweep said 'not measured:
rank 1 crashed ...' for the collectives and dropped every figure already timed, though each rank's progress file
held them (worker: on_progress). Now launch.RunFailed carries those records; measure_collectives raises
CollectivesFailed (of the error's own class) with rank 0's figures; `probe` prints, records and (where the
all-reduce sweep was finished) saves them, then exits 2 with the rank's error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed import collectives
from accelopt.distributed.collectives import CollectivesFailed
from accelopt.distributed.launch import RankOutOfMemory, RunFailed
from accelopt.distributed.types import Job
from accelopt.errors import MeasurementError, of_kind

SIZES = [1024, 65536, 4 * 2**20]
CRASH = MeasurementError("rank 1 crashed: RuntimeError: gloo connection reset", "fix the error on that rank")


def _records(ops: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """launch.read_partial's records of a 2-rank run whose rank 0 had timed `ops`: a ring of 40 us + S / 1 GB/s."""
    times = [{"op": op, "size_bytes": s, "asked_size_bytes": None,
              "times_s": [(40e-6 + s / 1e9) * (1 + 0.001 * i) for i in range(10)]} for op, s in ops]
    progress = {"step": len(ops) - 1, "time": 0.0, "times": times} if ops else None
    return [{"rank": r, "started": True, "progress": progress, "result": None} for r in (0, 1)]


def _failing(monkeypatch: pytest.MonkeyPatch, error: Any, done: list[tuple[str, int]] | None = None) -> None:
    def launched(job: Job, launch: Any) -> Any:
        ops = done if done is not None else [("all_reduce", s) for s in job.sizes_bytes] + [
            ("all_gather", job.sizes_bytes[0])]
        raise of_kind(RunFailed, error)(error.problem, error.fix, ranks=_records(ops), error=error)

    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    monkeypatch.setattr("accelopt.distributed.launch.launch_job", launched)


def test_the_figures_before_a_crash_are_kept_with_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _failing(monkeypatch, CRASH)
    with pytest.raises(MeasurementError) as e:  # the class a caller caught before
        collectives.measure_collectives(2, sizes_bytes=SIZES)
    assert isinstance(e.value, CollectivesFailed) and e.value.problem == CRASH.problem
    kept = e.value.kept
    assert kept.result is not None and len(kept.result.figures) == 4 and kept.link_complete
    assert kept.result.link_bandwidth_byte_per_s == pytest.approx(1e9, rel=0.01)
    assert kept.summary.startswith("stopped by a failed rank after 4 of 12 figures; not measured: all_gather 64 KiB")


def test_no_all_reduce_figure_keeps_the_error_alone_and_oom_keeps_its_sizes_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _failing(monkeypatch, CRASH, done=[])
    with pytest.raises(MeasurementError) as e:
        collectives.measure_collectives(2, sizes_bytes=SIZES)
    assert not isinstance(e.value, CollectivesFailed)
    _failing(monkeypatch, RankOutOfMemory("rank 0: out of memory", "pass a smaller --batch-size"),
             done=[("all_reduce", 1024)])
    with pytest.raises(RankOutOfMemory) as oom:
        collectives.measure_collectives(2, sizes_bytes=SIZES)
    assert "pass smaller sizes_bytes" in oom.value.fix and "--batch-size" not in oom.value.fix
    assert isinstance(oom.value, CollectivesFailed)
    assert oom.value.kept.summary.startswith("stopped by a failed rank after 1 of 12 figures")
    assert oom.value.kept.result is not None and oom.value.kept.result.link_warning is not None
    warning = oom.value.kept.result.link_warning
    assert warning.startswith("the all-reduce sweep was stopped by a failed rank after 1 of 3"), warning


def test_probe_prints_records_and_saves_them_then_exits_2(capsys: pytest.CaptureFixture[str], tiny_probe: None,
                                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from accelopt.measure import probe
    from accelopt.report import history

    monkeypatch.setattr(probe, "LADDER_SIDES", (16, 32))
    _failing(monkeypatch, CRASH)
    spec = tmp_path / "cpu.toml"
    code, out, err = run_main(["probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--collectives", "--nproc",
                               "2", "--save", str(spec), "--json"], capsys)
    assert code == 2 and "error: rank 1 crashed" in err, err
    d = json.loads(out)
    assert [f["op"] for f in d["collectives"]["figures"]] == ["all_reduce"] * 4 + ["all_gather"]
    assert any(m == "collectives" and why.startswith("stopped by a failed rank after 5 of 16 figures")
               for m, why in d["skipped"]), d["skipped"]
    assert history.list_runs()[0].result["collectives"] == d["collectives"]
    assert "scaleup_bandwidth_byte_per_s" in spec.read_text()  # the all-reduce sweep was whole
