"""`profile --nproc N` stopped by Ctrl-C (SIGINT) or SIGTERM keeps every step its ranks finished.

nproc (2026-12-05): each rank wrote its figures only at the end of its run, so a stopped run lost every measured step
('nothing was measured to show or record'), where the one-process `profile` and `optimize` keep what they measured.
Now each rank rewrites its counts and step times after every step (worker.Tally, written to a temporary name and
renamed), the launcher stops torchrun and reads them (launch.read_partial), and the CLI prints, records and exits 130
as `profile` does. The real runs here wait for the files the ranks write (both ranks past two timed steps), never
for a fixed time, so a slow or loaded machine only makes them slower."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.launch import run_pids

pytestmark = pytest.mark.skipif(os.name != "posix" or not Path("/proc").is_dir(),
                                reason="sends signals to a child process and finds the run's processes in /proc")
STEPS = "1000000"  # far more than any run here finishes: only the signal ends it
DONE = 2  # timed steps every rank has finished before the signal
WARMUP = 1


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    import accelopt

    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "ACCELOPT_HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp"),
           "PYTHONPATH": str(Path(accelopt.__file__).parents[1])}
    # SIGINT and SIGHUP as a terminal's process has them: a child of a non-interactive runner (xdist) may inherit
    # SIGINT ignored, and one under `nohup` SIGHUP ignored (the CLI leaves an ignored SIGHUP so, as nohup asks)
    return subprocess.Popen([sys.executable, "-m", "accelopt", "profile", "mlp", "--nproc", "2", "--steps", STEPS,
                             "--warmup", str(WARMUP), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True, preexec_fn=_terminal_signals)


def _terminal_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _ranks_done(tmp_path: Path) -> tuple[Path, dict[int, int]]:
    """(the run's job file, timed steps each rank reported), once both ranks are past DONE timed steps."""
    deadline = time.monotonic() + 300  # torch imports and the rendezvous on a loaded 2-core machine
    done: dict[int, int] = {}
    while time.monotonic() < deadline:
        for r in (0, 1):
            for f in (tmp_path / "tmp").glob(f"accelopt-dist-*/rank{r}.progress"):
                done[r] = int(json.loads(f.read_text())["step"]) + 1 - WARMUP  # steps are numbered from 0
        jobs = list((tmp_path / "tmp").glob("accelopt-dist-*/job.json"))
        if jobs and len(done) == 2 and min(done.values()) >= DONE:
            return jobs[0], done
        time.sleep(0.1)
    raise AssertionError(f"the ranks did not reach {DONE} timed steps: {done}")


def _stop(proc: subprocess.Popen[str], sig: signal.Signals, tmp_path: Path) -> tuple[str, str, dict[int, int]]:
    job = tmp_path / "none"
    try:
        job, done = _ranks_done(tmp_path)
        assert run_pids(str(job)), "the ranks should be running now"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
        assert run_pids(str(job)) == [], "a process of the run survived"
    finally:  # a failing test leaves nothing behind either
        proc.kill()
        for pid in run_pids(str(job)):
            os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert not list((tmp_path / "tmp").glob("accelopt-dist-*")), "the run's folder was left behind"
    return out, err, done


def _history(tmp_path: Path) -> list[dict[str, Any]]:
    import accelopt

    env = {**os.environ, "ACCELOPT_HOME": str(tmp_path / "home"), "PYTHONPATH": str(Path(accelopt.__file__).parents[1])}
    got = subprocess.run([sys.executable, "-m", "accelopt", "history", "list", "--json"], capture_output=True,
                         text=True, env=env, check=True)
    return list(json.loads(got.stdout)["runs"])


def test_sigterm_keeps_each_ranks_finished_steps_in_the_json(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--json")
    out, err, done = _stop(proc, signal.SIGTERM, tmp_path)
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.profile-distributed-partial" and doc["interrupted"] is True
    assert doc["steps"] == int(STEPS)
    assert [r["rank"] for r in doc["ranks"]] == [0, 1]
    for r in doc["ranks"]:
        assert r["timed_done"] >= done[r["rank"]] >= DONE  # at least what the files said before the signal
        assert len(r["step_times_s"]) == r["timed_done"] and all(t > 0 for t in r["step_times_s"])
        assert r["warmup_done"] == doc["warmup"] and r["profiled_done"] == 0
        assert r["step_median_s"] is not None and r["peak_memory_bytes"] > 0
    assert doc["step_median_s"] == max(r["step_median_s"] for r in doc["ranks"])
    assert "speedup and scaling efficiency" in doc["missing"]
    assert "none of its processes is left" in err and "rank 0:" in err
    (run,) = _history(tmp_path)
    assert run["command"] == "profile-distributed-partial"


def test_a_hang_up_keeps_the_steps_and_leaves_no_folder(tmp_path: Path) -> None:
    """utdist (2026-12-06): SIGHUP (the terminal closed, the ssh session dropped) killed the CLI by default: exit -1,
    nothing printed or recorded, and the run's folder /tmp/accelopt-dist-* left behind. It now stops the run as
    SIGTERM does, and the record names it."""
    proc = _start(tmp_path, "--json")
    out, err, done = _stop(proc, signal.SIGHUP, tmp_path)  # exit 130 and no folder left: checked by _stop
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["stopped_by"] == "SIGHUP"
    assert min(r["timed_done"] for r in doc["ranks"]) >= min(done.values())
    assert "interrupted (SIGHUP)" in err
    (run,) = _history(tmp_path)
    assert run["command"] == "profile-distributed-partial"


def test_ctrl_c_prints_the_ranks_finished_steps(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    out, err, done = _stop(proc, signal.SIGINT, tmp_path)
    assert "INTERRUPTED (Ctrl-C) during the 2-rank run" in " ".join(out.split())  # the signal the record names
    timed = [int(n) for n in re.findall(rf"(\d+) of {int(STEPS)}", out)]  # each rank's timed-steps cell
    assert len(timed) == 2 and min(timed) >= min(done.values()), out
    assert "step (slowest rank's median over its finished timed steps)" in out
    assert "Traceback" not in err
    (run,) = _history(tmp_path)
    assert run["command"] == "profile-distributed-partial"


def _rank_dict(rank: int) -> dict[str, Any]:
    from accelopt.distributed.types import CommTime, RankResult

    return RankResult(rank=rank, world_size=2, host="h", step_times_s=[0.010, 0.012, 0.011], losses=[1.0] * 6,
                      comm=CommTime(comm_s=0.001, overlapped_s=0.0, compute_s=0.009), peak_memory_bytes=1e8,
                      memory_source="getrusage", threads=1).to_dict()


def test_ctrl_c_in_the_one_process_run_keeps_the_finished_ranks(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The N-rank run had finished; the stop came in the one-process run after it: the ranks' whole result (their
    collectives trace and losses too) is kept, the one-process run noted as interrupted."""
    from accelopt.distributed import run
    from accelopt.distributed.launch import RawRun, RunInterrupted

    calls = []

    def launched(job: Any, launch: Any) -> RawRun:
        calls.append(job.parallel)
        if job.parallel == "none":  # the one-process run: one timed step finished when stopped
            raise RunInterrupted([{"rank": 0, "started": True, "result": None, "progress": {
                "step": 3, "warmup_done": 3, "timed_done": 1, "step_times_s": [0.02], "profiled_done": 0}}])
        return RawRun(ranks=[_rank_dict(0), _rank_dict(1)], out_dir=Path("/nonexistent"))

    monkeypatch.setattr(run, "launch_job", launched)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3", "--json"],
                              capsys)
    assert code == 130 and calls == ["ddp", "none"], err
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.profile-distributed" and doc["single"] is None
    assert [r["step_times_s"] for r in doc["ranks"]] == [[0.010, 0.012, 0.011]] * 2
    assert [r["comm"]["comm_s"] for r in doc["ranks"]] == [0.001] * 2 and doc["ranks"][0]["losses"] == [1.0] * 6
    assert any("one-process run was interrupted" in n and "after 1 of its 3 timed steps" in n for n in doc["notes"])
    assert "in the one-process run" in " ".join(err.split())


def test_a_rank_that_measured_nothing_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.distributed.run import DistConfig, partial_ranks
    from accelopt.distributed.types import PartialDistributedResult
    from accelopt.report.console import make_console
    from accelopt.report.distributed_view import render_partial

    records = [{"rank": 0, "started": True, "result": None, "progress": {
                   "step": 4, "warmup_done": 1, "timed_done": 4, "step_times_s": [0.01] * 4, "profiled_done": 0}},
               {"rank": 1, "started": False, "result": None, "progress": None}]
    ranks = partial_ranks(records, DistConfig(bundle_ref="x:y", steps=10))
    p = PartialDistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                                 device="cpu", global_batch=8, microbatches=1, steps=10, warmup=1, profile_steps=3,
                                 ranks=ranks, missing=["losses"])
    assert p.step_median_s is None  # rank 0's median alone would understate the step every rank waits for
    render_partial(p, make_console())
    out = " ".join(capsys.readouterr().out.split())
    assert "rank 1 measured nothing: it had not started" in out and "4 of 10" in out


def test_ctrl_c_while_predicting_keeps_both_finished_runs(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Both runs had finished; the stop came while plan's prediction captured the one-process step: the whole result
    is printed and recorded with the prediction left out (it said 'nothing was measured')."""
    from accelopt.distributed import run
    from accelopt.distributed.launch import RawRun

    def launched(job: Any, launch: Any) -> RawRun:
        return RawRun(ranks=[_rank_dict(r) for r in range(launch.nproc)], out_dir=Path("/nonexistent"))

    def predicting(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "launch_job", launched)
    monkeypatch.setattr(run, "_add_prediction", predicting)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3",
                               "--catalog-device", "h100-sxm", "--json"], capsys)
    assert code == 130, err
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.profile-distributed" and doc["single"] is not None
    assert doc["prediction"] is None and "interrupted" in doc["prediction_left_out"]
    assert "every run had finished and is kept whole" in " ".join(err.split())


def test_a_second_ctrl_c_while_the_run_is_stopped_keeps_the_steps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A user pressing Ctrl-C twice: the second came while the launcher stopped torchrun (up to its 5 s grace) and
    raised there, so the ranks' records were never read and the run read as 'nothing measured'."""
    import tempfile

    from accelopt.distributed import launch
    from accelopt.distributed.launch import RunInterrupted
    from accelopt.distributed.types import Job

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's folder is made here
    monkeypatch.setattr(launch, "torchrun_command", lambda *_: ["sleep", "30"])
    real_stop = launch.stop_run

    def first_ctrl_c(proc: Any, how: Any, out_dir: Path, log_path: Path) -> None:
        (out_dir / "rank0.progress").write_text(json.dumps({"step": 1, "timed_done": 1}))
        (out_dir / "rank0.times0.json").write_text(json.dumps([0.25]))
        raise KeyboardInterrupt

    sent = []

    def second_ctrl_c(*args: Any) -> None:
        if not sent:  # once: launch_job's `finally` stops the (stopped) run again
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)  # delivered as this frame runs its next bytecode
            time.sleep(0.05)
        real_stop(*args)

    monkeypatch.setattr(launch, "_wait", first_ctrl_c)
    monkeypatch.setattr(launch, "stop_run", second_ctrl_c)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever runs the tests
    stop: RunInterrupted | KeyboardInterrupt | None = None
    try:
        launch.launch_job(Job(), launch.Launch(nproc=1))
    except KeyboardInterrupt as e:  # RunInterrupted is one; a bare one is the second Ctrl-C escaping
        stop = e
    finally:
        signal.signal(signal.SIGINT, before)
    assert isinstance(stop, RunInterrupted), f"the second Ctrl-C escaped as {stop!r}: the steps were lost"
    assert stop.ranks[0]["progress"]["step_times_s"] == [0.25]
    assert "SIGINT received: stopping already" in capsys.readouterr().err
