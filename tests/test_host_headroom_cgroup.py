"""The CPU training guard of `profile` compares the step's gradients and optimizer state with the memory the
kernel will let the process have: in a container (Docker, Kubernetes, a systemd slice) that is the cgroup's
limit less its usage, not /proc/meminfo's MemAvailable (the host's figure), so the smaller of the two is used.
Fake cgroup trees (v2 and v1 layouts) under tmp_path stand for /sys/fs/cgroup and /proc/self/cgroup."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import run_main_expect as _cli

from accelopt.errors import InfeasibleError
from accelopt.measure import memory

MIB = 2**20
V1_NO_LIMIT = "9223372036854771712"  # what cgroup v1 writes for "no limit" with 4 KiB pages


def _files(d: Path, **named: str) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in named.items():
        (d / name.replace("_", ".", 1)).write_text(text + "\n")


def _self(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "self_cgroup"
    p.write_text(text)
    return p


def test_v2_headroom_is_the_limit_less_the_working_set(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    # 1024 MiB limit, 768 MiB charged of which 256 MiB inactive page cache: 1024 - (768 - 256) = 512 MiB
    _files(root, memory_max=str(1024 * MIB), memory_current=str(768 * MIB))
    (root / "memory.stat").write_text(f"anon {400 * MIB}\ninactive_file {256 * MIB}\nactive_file 0\n")
    got = memory.cgroup_headroom_bytes(root, _self(tmp_path, "0::/\n"))
    assert got == (512 * MIB, str(root / "memory.max"))


def test_v2_max_means_no_limit(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    _files(root, memory_max="max", memory_current=str(768 * MIB))
    assert memory.cgroup_headroom_bytes(root, _self(tmp_path, "0::/\n")) is None


def test_v2_a_parents_limit_applies_to_the_process_below_it(tmp_path: Path) -> None:
    """systemd slices and Kubernetes pods: the limit sits on an ancestor of the process's own group."""
    root = tmp_path / "cg"
    _files(root / "kubepods", memory_max=str(2048 * MIB), memory_current=str(1536 * MIB))
    _files(root / "kubepods" / "pod1", memory_max="max", memory_current=str(100 * MIB))
    got = memory.cgroup_headroom_bytes(root, _self(tmp_path, "0::/kubepods/pod1\n"))
    assert got == (512 * MIB, str(root / "kubepods" / "memory.max"))


def test_v1_limit_and_its_no_limit_value(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    own = _self(tmp_path, "5:cpu,cpuacct:/\n4:memory:/docker/abc\n0::/\n")  # hybrid: memory on v1
    _files(root / "memory", memory_limit_in_bytes=V1_NO_LIMIT, memory_usage_in_bytes=str(900 * MIB))
    assert memory.cgroup_headroom_bytes(root, own) is None
    # a container without a cgroup namespace: /proc/self/cgroup names the host's path, the mount shows its own group
    _files(root / "memory", memory_limit_in_bytes=str(1024 * MIB), memory_usage_in_bytes=str(900 * MIB))
    (root / "memory" / "memory.stat").write_text(f"cache {50 * MIB}\ntotal_inactive_file {24 * MIB}\n")
    assert memory.cgroup_headroom_bytes(root, own) == (148 * MIB, str(root / "memory" / "memory.limit_in_bytes"))


def test_no_cgroup_files_leave_mem_available(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemAvailable:   2048 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")
    got = memory.host_headroom(meminfo, tmp_path / "none", tmp_path / "none_self")
    assert got == memory.HostHeadroom(available_bytes=2 * MIB, source="MemAvailable, /proc/meminfo", swap_on=False)


def test_the_smaller_of_mem_available_and_the_cgroup_headroom_is_used(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    _files(root, memory_max=str(1024 * MIB), memory_current=str(512 * MIB))
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemAvailable:   20000000 kB\nSwapFree:  1024 kB\n")  # the host's ~19 GiB
    got = memory.host_headroom(meminfo, root, _self(tmp_path, "0::/\n"))
    assert got is not None and got.available_bytes == 512 * MIB and got.swap_on
    assert got.source == f"cgroup limit - usage, {root / 'memory.max'}"
    meminfo.write_text("MemAvailable:   100000 kB\n")  # the host has less than the group: MemAvailable it is
    got = memory.host_headroom(meminfo, root, _self(tmp_path, "0::/\n"))
    assert got is not None and got.available_bytes == 100000 * 1024 and not got.swap_on


@pytest.mark.parametrize(("swap_on", "said"), [
    (False, "the kernel's OOM killer would kill the run"),
    (True, "the step would swap (slowly) or be killed by the kernel's OOM killer")])
def test_the_refusal_says_swap_when_swap_is_on(swap_on: bool, said: str) -> None:
    model = torch.nn.Linear(256, 256)  # 257 KiB trainable; SGD without momentum: gradients only
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    room = memory.HostHeadroom(available_bytes=100 * 1024, source="cgroup limit - usage, /x/memory.max",
                               swap_on=swap_on)
    with pytest.raises(InfeasibleError) as e:
        memory.check_training_fits_host(model, opt, "m", "fix", headroom=room)
    assert said in e.value.problem and "(cgroup limit - usage, /x/memory.max)" in e.value.problem
    assert ("kill the run" in e.value.problem) is not swap_on


MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle

def build(batch_size: int = 8):
    model = nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 256))  # 787,712 fp32 params: 3.0 MiB
    x, y = torch.randn(batch_size, 512), torch.randn(batch_size, 256)
    return ModelBundle(name="mine", model=model, batches=lambda: iter([(x, y)] * 100),
                       loss_fn=nn.functional.mse_loss, batch_size=batch_size)
'''


def test_profile_is_refused_by_the_cgroup_limit_though_the_host_has_room(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mine.py"
    f.write_text(MODEL)
    monkeypatch.setattr(memory, "host_available_bytes", lambda meminfo=None: 64 * 2**30)  # the host: 64 GiB free
    monkeypatch.setattr(memory, "cgroup_headroom_bytes",
                        lambda root=None, self_cgroup=None: (4.0 * MIB, "/sys/fs/cgroup/memory.max"))
    _, err = _cli(capsys, "profile", f"{f}:build", "--steps", "3", code=2)
    text = " ".join(err.split())
    assert "needs at least 9.01 MiB more memory" in text, text
    assert "4 MiB available (cgroup limit - usage, /sys/fs/cgroup/memory.max)" in text
    assert "timing" not in text  # refused before any step
