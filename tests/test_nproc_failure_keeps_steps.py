"""`profile --nproc N` in which a rank crashes after steps were measured keeps the steps every rank finished.

utdist (2026-12-05): a rank raising in its fifth forward (two timed steps done on each rank) ended the run with
`error: rank 1 crashed` and nothing else: the timed steps both ranks had finished were lost, though the ranks had
written them (worker.Tally) and a Ctrl-C at the same moment kept them (test_nproc_interrupt_keeps_steps.py), and the
one-process `profile` keeps the passes finished before a failure (ProfileFailed). Now the failed run is printed (or
its --json document), recorded as a `profile-distributed-partial` run with `failed` set, written to the --html page,
and the command still exits 2 with the rank's error; a failure in the first step keeps only the error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.distributed.launch import Launch, run_pids
from accelopt.distributed.run import DistConfig, DistributedFailed, profile_distributed
from accelopt.errors import MeasurementError

MODELS = str(Path(__file__).with_name("dist_models.py"))
STEPS = 5  # the crash comes in the third timed step (tests/dist_models.py crashing_late)
DONE = 2  # timed steps every rank finished before it


pytestmark = pytest.mark.usefixtures("run_dirs_in_tmp")


def test_a_crash_after_two_timed_steps_prints_records_and_pages_them_then_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "failed.html"
    code, out, err = run_main(["profile", f"{MODELS}:crashing_late", "--nproc", "2", "--steps", str(STEPS),
                               "--warmup", "1", "--json", "--html", str(html)], capsys)
    assert code == 2, err
    assert "error: rank 1 crashed" in err and "injected failure" in err and "fix:" in err, err
    assert "Traceback" not in err
    doc = json.loads(out)  # the one document on stdout: the kept steps (no second, error document after it)
    assert doc["schema"] == "accelopt.profile-distributed-partial" and doc["interrupted"] is False
    assert "rank 1 crashed" in doc["failed"] and "injected failure" in doc["failed"]
    assert [r["rank"] for r in doc["ranks"]] == [0, 1]
    for r in doc["ranks"]:
        assert r["warmup_done"] == 1 and r["timed_done"] >= DONE, r
        assert len(r["step_times_s"]) == r["timed_done"] and all(t > 0 for t in r["step_times_s"])
    assert doc["step_median_s"] == max(r["step_median_s"] for r in doc["ranks"])
    assert "the timed steps each rank finished before it are kept: rank 0: " in " ".join(err.split()), err
    page = html.read_text()
    assert "FAILED during the 2-rank run" in page and "stopped by: rank 1 crashed" in page
    log = re.search(r"(/\S+?)/torchrun\.log", err)
    assert log and run_pids(f"{log.group(1)}/job.json") == []
    code, hist, _ = run_main(["history", "list", "--json"], capsys)
    assert code == 0
    (run,) = json.loads(hist)["runs"]
    assert run["command"] == "profile-distributed-partial"


def test_the_table_says_failed_and_a_library_caller_still_catches_the_measurement_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", f"{MODELS}:crashing_late", "--nproc", "2", "--steps", str(STEPS),
                               "--warmup", "1"], capsys)
    assert code == 2 and "error: rank 1 crashed" in err, err
    text = " ".join(out.split())
    assert "FAILED during the 2-rank run" in text and "stopped by: rank 1 crashed" in text, out
    timed = [int(n) for n in re.findall(rf"(\d+) of {STEPS}", out)]  # each rank's timed-steps cell
    assert len(timed) == 2 and min(timed) >= DONE, out
    cfg = DistConfig(bundle_ref=f"{MODELS}:crashing_late", parallel="ddp", steps=STEPS, warmup=1, baseline=False)
    with pytest.raises(MeasurementError) as e:  # profile_distributed's contract before failed runs were kept
        profile_distributed(cfg, Launch(nproc=2, timeout_s=120))
    assert isinstance(e.value, DistributedFailed) and e.value.partial.failed.startswith("rank 1 crashed")


def test_a_crash_in_the_first_step_keeps_nothing_but_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", f"{MODELS}:crashing_first", "--nproc", "2", "--steps", "3"], capsys)
    assert code == 2 and "rank 1 crashed" in err and out == "", (out, err)
    code, hist, _ = run_main(["history", "list", "--json"], capsys)
    assert json.loads(hist)["runs"] == []
