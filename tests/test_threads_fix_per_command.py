"""The oversubscription warning offers what the command has, and every command names the usable cores one way.

The warning (measure.contention.check_setup) said 'run with --threads N (profile, optimize) or OMP_NUM_THREADS=N'
to probe, which has no --threads, and to a profile --nproc run, which refuses --threads; profile/optimize's --threads
check and --nproc said 'the 2 CPUs of this process's cgroup CPU quota (...)' where env, the warning and the
diagnosis said '2 usable cores (cgroup CPU quota ...)': one phrase now (contention.cores_said)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import machine_cpus, run_main

from accelopt.distributed import launch
from accelopt.measure import contention as ct

QUOTA = "2 usable cores (cgroup CPU quota 2 CPUs, /sys/fs/cgroup/cpu.max: 200000 100000; 64 logical CPUs in its "


def test_probe_is_told_the_environment_variable(monkeypatch: pytest.MonkeyPatch, tiny_probe: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)  # what torch starts on a 64-core host
    code, out, err = run_main(["probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--no-save", "--json"],
                              capsys)
    assert code == 0, err
    (warning,) = [w for w in json.loads(out)["contention"]["warnings"] if "oversubscribed" in w]
    assert f"torch runs 8 threads on {QUOTA}" in warning, warning
    assert "run it as OMP_NUM_THREADS=2 accelopt probe (it has no --threads option)" in warning, warning
    assert "--threads 2" not in warning  # was: 'run with --threads 2 (profile, optimize)'


def test_a_distributed_run_is_told_fewer_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import run

    machine_cpus(monkeypatch, 64, quota_cpus=2.0)

    class Watch:
        load_1min = None

        def finish(self, report: Any, figures: Any, *, threads: int | None = None) -> None:
            report.usable_cores, report.threads = ct.usable_cores(), threads

    report = ct.ContentionReport()
    run._watched(report, Watch(), "4-rank run", ["rank figures"], 4)
    (warning,) = report.warnings
    assert warning.startswith(f"4-rank run: torch runs 4 threads on {QUOTA}"), warning
    assert "pass a smaller --nproc" in warning and "--threads" not in warning, warning


def test_profile_and_optimize_keep_their_option(monkeypatch: pytest.MonkeyPatch) -> None:
    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    report = ct.ContentionReport()
    ct.check_setup(report, threads=8, load_1min=None)  # the default fix: profile_step and optimize's runner
    (warning,) = report.warnings
    assert warning.endswith("each op waits for descheduled threads; pass --threads 2"), warning


def test_one_phrase_for_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """--nproc, --threads, env and the warning name the same cores with the same words."""
    from accelopt.cli.env import collect

    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    usable, which = launch.usable_cpus()
    assert (usable, which) == (2, f"the {ct.cores_said()}") and which.startswith(f"the {QUOTA}")
    env = collect()
    assert f"{env.usable_cores} usable cores ({env.usable_cores_note})" == ct.cores_said()
    machine_cpus(monkeypatch, 8, usable=4)
    assert launch.usable_cpus()[1] == "the 4 usable cores (its CPU affinity, of this machine's 8 logical CPUs)"
    machine_cpus(monkeypatch, 8)
    assert launch.usable_cpus()[1] == "the 8 usable cores"


def test_threads_past_the_quota_name_the_cores_as_env_does(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    code, _, err = run_main(["optimize", "mlp", "--device", "cpu", "--only", "no-such-technique", "--threads", "8"],
                            capsys)
    flat = " ".join(err.split())
    assert f"warning: --threads 8 is more than the {QUOTA}" in flat, flat
    code, _, err = run_main(["profile", "mlp", "--device", "cpu", "--threads", "65"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and f"fix: pass --threads 1 to 2, the {QUOTA}" in flat, flat
