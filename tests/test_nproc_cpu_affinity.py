"""`--nproc` on CPU counts the logical CPUs this process may run on (its affinity), not the machine's.

utdist (2026-12-05): check_local_ranks and each rank's threads counted os.cpu_count(), the machine's CPUs, so a job
that taskset, a cgroup cpuset, `docker --cpuset-cpus` or Slurm's --cpus-per-task bound to 4 of a node's 8 CPUs was
allowed --nproc 8 (8 processes on 4 cores: the contention timed, not the model, which the check is there to refuse)
and --nproc 2 gave each rank 4 threads, 8 threads on 4 cores. measure.contention already judged a busy machine by
the affinity (usable_cores); the launcher now counts the same CPUs, and names both counts where they differ."""

from __future__ import annotations

import pytest
from conftest import machine_cpus, run_main

from accelopt.distributed import launch
from accelopt.errors import InputError


def test_ranks_past_the_usable_cpus_are_refused_naming_both_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    machine_cpus(monkeypatch, 8, usable=4)
    launch.check_local_ranks(4, "cpu")  # one a usable CPU: accepted
    with pytest.raises(InputError) as e:
        launch.check_local_ranks(8, "cpu")
    assert ("--nproc 8 is more ranks than the 4 usable cores (its CPU affinity, of this machine's 8 logical CPUs)"
            in e.value.problem)
    assert "of this machine's 8" in e.value.problem and e.value.fix == "pass --nproc 2 to 4"


def test_each_rank_gets_its_share_of_the_usable_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    machine_cpus(monkeypatch, 8, usable=4)
    assert launch._env(launch.Launch(nproc=2))["OMP_NUM_THREADS"] == "2"  # was 4: 8 threads on 4 cores
    assert launch.threads_per_rank(8) == 1
    machine_cpus(monkeypatch, 8)
    assert launch._env(launch.Launch(nproc=2))["OMP_NUM_THREADS"] == "4"


def test_the_cli_refuses_before_loading_and_a_whole_machine_reads_as_before(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    machine_cpus(monkeypatch, 8, usable=2)
    code, out, err = run_main(["profile", "mlp", "--nproc", "4"], capsys)
    assert code == 2 and out == "" and "the 2 usable cores (its CPU affinity" in err, err
    assert "pass --nproc 2" in err
    code, _, err = run_main(["probe", "--quick", "--collectives", "--nproc", "4", "--no-save"], capsys)
    assert code == 2 and "the 2 usable cores (its CPU affinity" in err, err
    machine_cpus(monkeypatch, 2)
    with pytest.raises(InputError) as e:
        launch.check_local_ranks(4, "cpu")
    assert "--nproc 4 is more ranks than the 2 usable cores (" in e.value.problem
