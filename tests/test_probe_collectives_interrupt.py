"""Ctrl-C or SIGTERM during `probe --collectives` keeps the collective figures measured before it, as `profile
--nproc` keeps a stopped run's steps: each rank's progress file holds its time records so far, the stopped run's
figures are built from rank 0's, printed, put in the JSON document and the history (exit 130), and the link is
saved into the measured spec only when the all-reduce sweep it is fitted on was finished. Before, every figure
of the run was lost ('not measured: interrupted (Ctrl-C)': 19 of 32 figures measured, none kept; 2026-12-05,
utprobe)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed import collectives
from accelopt.distributed.collectives import CollectivesInterrupted, interrupted_result, run_collectives
from accelopt.distributed.types import Job
from accelopt.measure import probe
from accelopt.measure.contention import ContentionReport
from accelopt.units import MiB

SIZES = [1024, 65536, 4 * 2**20]


def _times(ops: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Rank 0's time records: a ring of 40 us + S / 1 GB/s for all-reduce, steady to 1%; the other collectives half
    of it, as plan's model with that link says (20 us + S / 2 GB/s; utdist2 warns of one that misses it)."""
    return [{"op": op, "size_bytes": s, "asked_size_bytes": None,
             "times_s": [(40e-6 + s / 1e9) / (1 if op == "all_reduce" else 2) * (1 + 0.001 * i) for i in range(10)]}
            for op, s in ops]


def _stopped(ops: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """launch.read_partial's records of a 2-rank run stopped after `ops` were timed."""
    progress = {"step": len(ops) - 1, "time": 0.0, "times": _times(ops)} if ops else None
    return [{"rank": r, "started": True, "progress": progress, "result": None} for r in (0, 1)]


def _job() -> Job:
    return Job(kind="collectives", device="cpu", sizes_bytes=SIZES, ops=["all_reduce", "all_gather"])


def test_each_progress_record_carries_the_times_so_far(tmp_path: Path) -> None:
    """The worker's progress callback gets every time record finished so far (on one gloo rank, in process)."""
    import torch.distributed as dist

    seen: list[tuple[int, list[dict[str, Any]]]] = []
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        job = Job(kind="collectives", device="cpu", sizes_bytes=[1024, 4096], ops=["all_reduce", "all_gather"])
        out = run_collectives(job, 0, 1, "cpu", lambda i, **figures: seen.append((i, figures.get("times"))))
    finally:
        dist.destroy_process_group()
    assert [i for i, _ in seen] == [0, 1, 2, 3]
    last = seen[-1][1]
    assert last is not None and [(t["op"], t["size_bytes"]) for t in last] == [
        ("all_reduce", 1024), ("all_reduce", 4096), ("all_gather", 1024), ("all_gather", 4096)]
    assert last == out["times"] and all(len(t["times_s"]) == collectives.REPEATS for t in last)
    assert json.loads(json.dumps(last)) == last  # it goes into the rank's JSON progress file


def test_a_stopped_run_keeps_rank_0s_figures_and_its_link(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed.launch import RunInterrupted

    done = [("all_reduce", s) for s in SIZES] + [("all_gather", 1024)]

    def stopped(job: Job, launch: Any) -> Any:
        raise RunInterrupted(_stopped(done))

    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    monkeypatch.setattr("accelopt.distributed.launch.launch_job", stopped)
    with pytest.raises(CollectivesInterrupted) as stop:
        collectives.measure_collectives(2, sizes_bytes=SIZES)
    res = stop.value.result
    assert res is not None and [(f.op, f.size_bytes) for f in res.figures] == done
    assert stop.value.link_complete and res.link_warning is None
    # the ring through 40 us + S / 1 GB/s on 2 ranks: B = 2(n-1)/n / b = 1 GB/s, alpha = a / 2(n-1) = 20 us
    assert res.link_bandwidth_byte_per_s == pytest.approx(1e9, rel=0.01)
    assert res.link_latency_s == pytest.approx(20e-6, rel=0.05)
    assert stop.value.summary == ("interrupted (Ctrl-C or SIGTERM) after 4 of 12 figures; not measured: all_gather "
                                  "64 KiB, 4 MiB; reduce_scatter (every size); all_to_all (every size)")


def test_a_cut_all_reduce_sweep_keeps_its_figures_but_not_the_link_for_plan() -> None:
    stop = interrupted_result(_stopped([("all_reduce", 1024), ("all_reduce", 65536)]), _job(), "cpu", 2,
                              ContentionReport())
    assert stop.result is not None and len(stop.result.figures) == 2 and not stop.link_complete
    assert stop.result.link_warning is not None and stop.result.link_warning.startswith(
        "the all-reduce sweep was interrupted after 2 of 3 sizes (1 KiB to 64 KiB)")


def test_nothing_measured_says_so() -> None:
    stop = interrupted_result(_stopped([]), _job(), "cpu", 2, ContentionReport())
    assert stop.result is None and not stop.link_complete
    assert stop.summary == ("not measured: interrupted (Ctrl-C or SIGTERM) before the first collective figure was "
                            "finished")


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def settings_for(device: Any, quick: bool, llc: float | None) -> probe.ProbeSettings:
        return probe.ProbeSettings(shapes={"fp32": [(64, 64, 64)]}, shape_budget_s=0.02, max_call_s=1.0,
                                   stream_bytes=2 * MiB, stream_budget_s=0.03)

    monkeypatch.setattr(probe, "settings_for", settings_for)
    monkeypatch.setattr(probe, "LADDER_SIDES", (16, 32))
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("all_reduce_sizes, link_saved", [(SIZES, True), (SIZES[:2], False)])
def test_probe_prints_records_and_saves_what_the_collectives_measured(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tiny: None, tmp_path: Path,
        all_reduce_sizes: list[int], link_saved: bool) -> None:
    from accelopt.cli import probe as probe_cli
    from accelopt.report import history

    done = [("all_reduce", s) for s in all_reduce_sizes]

    def stopped(torch_device: str, nproc: int, quick: bool, sizes_bytes: Any = None, timeout_s: Any = None) -> Any:
        raise interrupted_result(_stopped(done), _job(), "cpu", nproc, ContentionReport())

    monkeypatch.setattr(probe_cli, "_collectives", stopped)
    spec = tmp_path / "cpu.toml"
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--collectives", "--nproc", "2",
                               "--save", str(spec), "--json"], capsys)
    assert code == 130, err
    d = json.loads(out)
    assert d["interrupted"] and [(f["op"], f["size_bytes"]) for f in d["collectives"]["figures"]] == done
    assert any(m == "collectives" and why.startswith(f"interrupted (Ctrl-C or SIGTERM) after {len(done)} of 6")
               for m, why in d["skipped"])
    assert history.list_runs()[0].result["collectives"] == d["collectives"]
    assert ("scaleup_bandwidth_byte_per_s" in spec.read_text()) is link_saved
    assert ("link for plan: the all-reduce sweep was interrupted" in " ".join(err.split())) is not link_saved
    assert ("interrupted (Ctrl-C): the JSON document holds the figures measured before it (collectives: "
            f"interrupted (Ctrl-C or SIGTERM) after {len(done)} of 6 figures") in " ".join(err.split())
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--collectives", "--nproc", "2",
                               "--no-save"], capsys)
    assert code == 130, err
    text = " ".join(out.split())
    assert "accelopt probe --collectives — gloo on 2 ranks" in text and "all_reduce" in text
    assert f"interrupted (Ctrl-C or SIGTERM) after {len(done)} of 6 figures" in text
