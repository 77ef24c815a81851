"""A container's CPU limit (a cgroup CPU quota) counts as the cores a CPU measurement has.

`docker run --cpus 2` or a Kubernetes CPU limit on a 64-core host leaves all 64 CPUs in the affinity and sets a CFS
quota of 2 CPUs' worth of run time per period (cgroup v2 cpu.max "200000 100000"; v1 cpu.cfs_quota_us /
cpu.cfs_period_us). accelopt counted the affinity only: profile and optimize said nothing while torch ran one thread
per physical core on 2 CPUs of run time, --nproc allowed 64 ranks, and the CPU energy estimate charged 64 cores.
The quota is now read (measure/cgroups.py), rounded up as the JVM counts a container's CPUs, and named wherever the
usable cores are. Fake cgroup trees under tmp_path stand for /sys/fs/cgroup and /proc/self/cgroup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import machine_cpus, run_main

from accelopt.distributed import launch
from accelopt.errors import InputError
from accelopt.measure import cgroups
from accelopt.measure import contention as ct


def _file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _self(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "self_cgroup"
    p.write_text(text, encoding="utf-8")
    return p


def test_v2_cpu_max_of_the_own_group(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    _file(root / "docker" / "cpu.max", "max 100000\n")  # the parent: no limit
    _file(root / "docker" / "abc" / "cpu.max", "200000 100000\n")
    q = cgroups.cpu_quota(root, _self(tmp_path, "0::/docker/abc\n"))
    assert q is not None and q.cpus == 2.0 and q.whole_cpus == 2
    assert q.source == f"{root / 'docker' / 'abc' / 'cpu.max'}: 200000 100000"


def test_the_smallest_quota_on_the_path_applies_rounded_up(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    _file(root / "kubepods" / "cpu.max", "150000 100000\n")  # 1.5 CPUs for the whole pod
    _file(root / "kubepods" / "c1" / "cpu.max", "400000 100000\n")
    q = cgroups.cpu_quota(root, _self(tmp_path, "0::/kubepods/c1\n"))
    assert q is not None and q.cpus == 1.5 and q.whole_cpus == 2  # 1.5 CPUs of run time keep 2 threads busy


@pytest.mark.parametrize("text", ["max 100000\n", "", "garbage\n", "0 100000\n"])
def test_no_limit_or_an_unreadable_file_is_no_quota(tmp_path: Path, text: str) -> None:
    root = tmp_path / "cg"
    _file(root / "cpu.max", text)
    assert cgroups.cpu_quota(root, _self(tmp_path, "0::/\n")) is None
    assert cgroups.cpu_quota(tmp_path / "missing", tmp_path / "missing_self") is None


def test_v1_cfs_quota_in_a_cpu_cpuacct_mount(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    _file(root / "cpu,cpuacct" / "kubepods" / "pod1" / "cpu.cfs_quota_us", "50000\n")
    _file(root / "cpu,cpuacct" / "kubepods" / "pod1" / "cpu.cfs_period_us", "100000\n")
    own = _self(tmp_path, "4:memory:/kubepods/pod1\n3:cpu,cpuacct:/kubepods/pod1\n0::/\n")
    q = cgroups.cpu_quota(root, own)
    assert q is not None and q.cpus == 0.5 and q.whole_cpus == 1
    _file(root / "cpu,cpuacct" / "kubepods" / "pod1" / "cpu.cfs_quota_us", "-1\n")  # no limit
    assert cgroups.cpu_quota(root, own) is None


def test_usable_cores_and_the_oversubscription_warning_name_the_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    assert ct.affinity_cores() == 64 and ct.usable_cores() == 2
    report = ct.ContentionReport()
    ct.check_setup(report, threads=32, load_1min=None)
    (warning,) = report.warnings
    assert "torch runs 32 threads on 2 usable cores (cgroup CPU quota 2 CPUs" in warning
    assert "64 logical CPUs in its affinity" in warning and "--threads 2" in warning
    machine_cpus(monkeypatch, 64)  # no quota: as before
    assert ct.usable_cores() == 64 and ct.cores_said() == "64 usable cores"


def test_nproc_is_refused_past_the_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    machine_cpus(monkeypatch, 64, quota_cpus=4.0)
    launch.check_local_ranks(4, "cpu")
    with pytest.raises(InputError) as e:
        launch.check_local_ranks(8, "cpu")
    assert "the 4 usable cores (cgroup CPU quota 4 CPUs" in e.value.problem, e.value.problem
    assert e.value.fix == "pass --nproc 2 to 4"
    assert launch.threads_per_rank(2) == 2  # was 32 a rank: 64 threads on 4 CPUs of run time


def test_profile_warns_when_torch_threads_pass_the_quota(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    machine_cpus(monkeypatch, 64, quota_cpus=1.0)
    code, out, err = run_main(["profile", "mlp", "--device", "cpu", "--steps", "3", "--threads", "2", "--json"],
                              capsys)
    assert code == 0, err
    seen = json.loads(out)["contention"]
    assert seen["usable_cores"] == 1 and seen["threads"] == 2
    assert any("torch runs 2 threads on 1 usable core (cgroup CPU quota 1 CPU, /sys/fs/cgroup/cpu.max" in w
               for w in seen["warnings"]), seen["warnings"]


def test_env_prints_the_usable_cores_and_what_sets_them(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    code, out, err = run_main(["env", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 3 and doc["usable_cores"] == 2
    assert doc["usable_cores_note"] == ("cgroup CPU quota 2 CPUs, /sys/fs/cgroup/cpu.max: 200000 100000; 64 logical "
                                        "CPUs in its affinity")
    code, out, _ = run_main(["env"], capsys)
    assert code == 0 and "usable CPU cores" in out and "cgroup CPU quota 2 CPUs" in " ".join(out.split())
    machine_cpus(monkeypatch, 8, usable=4)
    code, out, _ = run_main(["env", "--json"], capsys)
    assert json.loads(out)["usable_cores_note"] == "its CPU affinity, of this machine's 8 logical CPUs"


def test_the_socket_share_counts_the_cores_the_quota_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """profile's MFU and probe's % of catalog against a CPU entry divide by its whole socket; 56 torch threads on a
    2-CPU quota had no share note (56 threads = the entry's 56 cores), though the step had 2 CPUs' worth of time."""
    from accelopt.hardware.catalog import get_device
    from accelopt.measure import probe

    xeon = get_device("xeon-8480plus")
    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    share, note = probe.compared_core_share(xeon, 56)
    assert share == pytest.approx(2 / 56) and note is not None
    assert "this probe ran on 56 torch threads on 2 usable cores (cgroup CPU quota 2 CPUs" in note, note
    assert "2/56 = 4% of its cores" in note, note
    machine_cpus(monkeypatch, 64)  # no quota: 56 threads on 64 CPUs, the whole socket's cores
    assert probe.compared_core_share(xeon, 56) == (None, None)
