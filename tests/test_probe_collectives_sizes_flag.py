"""utdist2: `probe --collectives` timed a fixed sweep (1 KiB to 16 MiB, --quick to 4 MiB) and no flag chose the sizes,
though the library's measure_collectives(sizes_bytes=...) takes any (README's 1 B over 2 ranks was 'asked through'
it alone): a user could not time a DDP bucket (25 MiB), a size past 16 MiB or an odd size from the command line.
`--sizes 1024,4MiB,25MiB` now passes them on (KiB = 1024 B, KB = 1000 B, as units.parse_quantity reads a quantity),
and a size that cannot be read, or --sizes without --collectives, is refused with exit 2 before the device is
measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.collectives import parse_sizes
from accelopt.errors import InputError


def test_sizes_read_as_bytes_sorted_and_once() -> None:
    assert parse_sizes("25MiB, 1024,1KB,4 MiB,1 KiB,1") == [1, 1000, 1024, 4 * 2**20, 25 * 2**20]
    assert parse_sizes("2GiB") == [2**31]


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty item"), ("1024,,4096", "empty item"), ("1024,", "empty item"),
    ("0", "1 byte or more"), ("-5", "1 byte or more"), ("1024,-1KiB", "cannot read '-1KiB'"),
    ("1.5", "cannot read '1.5'"), ("1.5B", "not a whole number"), ("4MB/s", "cannot read '4MB/s'"),
    ("4k", "cannot read '4k'"), ("lots", "cannot read 'lots'")])
def test_a_size_that_is_no_whole_number_of_bytes_is_refused(text: str, says: str) -> None:
    with pytest.raises(InputError) as e:
        parse_sizes(text)
    assert says in e.value.problem and "--sizes" in e.value.problem, e.value.problem
    assert "1024,4MiB,25MiB" in e.value.fix


def _launched(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """launch_job replaced by ranks that 'time' each asked size as a ring of 40 us + S / 1 GB/s: the sizes each job
    asked for are appended to the returned list."""
    from accelopt.distributed.collectives import moved_elements
    from accelopt.distributed.launch import RawRun

    asked: list[list[int]] = []

    def launch(job: Any, launch: Any) -> RawRun:
        asked.append(list(job.sizes_bytes))
        times = []
        for op in job.ops:
            for s in job.sizes_bytes:
                moved = moved_elements(s, 2) * 4
                times.append({"op": op, "size_bytes": moved, "asked_size_bytes": None if moved == s else s,
                              "times_s": [40e-6 + moved / 1e9] * 10})
        return RawRun(ranks=[{"rank": 0, "world_size": 2, "times": times}], out_dir=Path("."))

    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    monkeypatch.setattr("accelopt.distributed.launch.launch_job", launch)
    return asked


def test_probe_times_the_sizes_given(capsys: pytest.CaptureFixture[str], tiny_probe: None,
                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from accelopt.measure import probe

    monkeypatch.setattr(probe, "LADDER_SIDES", (16, 32))
    asked = _launched(monkeypatch)
    code, out, err = run_main(["probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--collectives",
                               "--sizes", "25MiB,1B,3KiB", "--no-save", "--json"], capsys)
    assert code == 0, err
    assert asked == [[1, 3 * 1024, 25 * 2**20]]
    figures = json.loads(out)["collectives"]["figures"]
    assert [(f["size_bytes"], f["asked_size_bytes"]) for f in figures if f["op"] == "all_reduce"] == [
        (8, 1), (3 * 1024, None), (25 * 2**20, None)]
    assert "1 B, 3 KiB, 25 MiB" in err  # the progress line names the sizes timed


@pytest.mark.parametrize(("argv", "says"), [
    (["--sizes", "1MiB"], "--sizes 1MiB applies to --collectives only"),
    (["--collectives", "--sizes", "1MiB,0"], "'0' is 0 bytes"),
    (["--collectives", "--sizes", "4 MB/s"], "cannot read '4 MB/s'")])
def test_a_bad_sizes_flag_is_refused_before_the_device_is_measured(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], says: str) -> None:
    from accelopt.cli import probe

    def measured(*a: Any, **k: Any) -> Any:
        raise AssertionError("the device was measured before the flag was refused")

    monkeypatch.setattr(probe, "_run", measured)
    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", *argv], capsys)
    assert code == 2 and says in err, err


def _headroom(monkeypatch: pytest.MonkeyPatch, available_bytes: float) -> None:
    from accelopt.measure import memory

    monkeypatch.setattr(memory, "host_headroom", lambda *a, **k: memory.HostHeadroom(
        available_bytes=available_bytes, source="MemAvailable, /proc/meminfo", swap_on=False))


def test_a_message_past_the_machines_memory_is_refused_before_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 GiB available, 2 ranks: 2 x (2 + 1/2) x S must fit, so 128 MiB does (640 MiB), 256 MiB (1.25 GiB) does not, and
    the largest that does is 1 GiB / 2 / 2.5 = 204.8 MiB.
    Before, a 1e30 B message crashed each rank inside torch ('Overflow when unpacking long long') and one past the
    memory ran each rank out of memory after the launch."""
    from accelopt.distributed import collectives, launch

    _headroom(monkeypatch, 2**30)

    def launched(*a: Any, **k: Any) -> Any:
        raise AssertionError("launched")

    monkeypatch.setattr(launch, "check_local_ranks", lambda *a, **k: None)
    monkeypatch.setattr(launch, "launch_job", launched)
    assert collectives.rank_buffer_bytes(128 * 2**20, 2) == 5 * 64 * 2**20
    collectives.check_sizes_fit([1024, 128 * 2**20], 2, "cpu")
    with pytest.raises(InputError) as e:
        collectives.measure_collectives(2, sizes_bytes=[1024, 128 * 2**20, 256 * 2**20])
    assert "message of 268,435,456 B (256 MiB) needs about 1,342,177,280 B (1.25 GiB)" in e.value.problem
    assert "1 GiB is available (MemAvailable, /proc/meminfo)" in e.value.problem
    assert "up to about 205 MiB" in e.value.fix and "e.g. 1024,134217728" in e.value.fix
    with pytest.raises(InputError):
        collectives.measure_collectives(2, sizes_bytes=[10**30])


def test_probe_refuses_it_before_the_device_is_measured(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import probe

    def measured(*a: Any, **k: Any) -> Any:
        raise AssertionError("the device was measured before the size was refused")

    _headroom(monkeypatch, 2**30)
    monkeypatch.setattr(probe, "_run", measured)
    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", "--collectives", "--sizes",
                             "1KiB,2GiB"], capsys)
    assert code == 2 and "message of 2,147,483,648 B (2 GiB)" in err and "--sizes" in err, err


def _gpus(monkeypatch: pytest.MonkeyPatch, free_bytes: list[int]) -> None:
    """torch.cuda at its boundary: len(free_bytes) GPUs, each with that much free memory (cudaMemGetInfo)."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(free_bytes))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i=0: (free_bytes[i], 80 * 10**9))
    monkeypatch.setattr("torch.distributed.is_nccl_available", lambda: True)  # a CUDA build's NCCL, faked too


def test_a_message_past_a_gpus_free_memory_is_refused_before_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    """On cuda each rank holds its buffers on its own GPU: 2 ranks, 2.5 x S a GPU. GPU 1 has 1 GiB free, so 256 MiB
    (640 MiB) fits and 512 MiB (1.25 GiB) does not; the largest that does is 1 GiB / 2.5 = 409.6 MiB. Before, only the
    host's memory was checked (on cpu), and a cuda message past the GPU's memory went to the launch."""
    from accelopt.distributed import collectives, launch

    def launched(*a: Any, **k: Any) -> Any:
        raise AssertionError("launched")

    monkeypatch.setattr(launch, "launch_job", launched)
    _gpus(monkeypatch, [40 * 2**30, 2**30])
    collectives.check_sizes_fit([1024, 256 * 2**20], 2, "cuda")
    with pytest.raises(InputError) as e:
        collectives.measure_collectives(2, device="cuda", sizes_bytes=[1024, 256 * 2**20, 512 * 2**20])
    assert "message of 536,870,912 B (512 MiB) needs about 1,342,177,280 B (1.25 GiB) on each GPU" in e.value.problem
    assert "cuda:1 has 1 GiB free (torch.cuda.mem_get_info)" in e.value.problem, e.value.problem
    assert "up to about 410 MiB" in e.value.fix and "e.g. 1024,268435456" in e.value.fix, e.value.fix
    _gpus(monkeypatch, [2**30])  # fewer GPUs than ranks: check_local_ranks refuses the --nproc, not this check
    collectives.check_sizes_fit([512 * 2**20], 2, "cuda")


def test_probe_refuses_a_cuda_size_before_the_device_is_measured(capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import probe

    def measured(*a: Any, **k: Any) -> Any:
        raise AssertionError("the device was measured before the size was refused")

    _headroom(monkeypatch, 2**40)  # the host could hold it: the GPUs cannot
    _gpus(monkeypatch, [2**30, 2**30])
    monkeypatch.setattr(probe, "_run", measured)
    code, _, err = run_main(["probe", "--quick", "--device", "cuda", "--no-save", "--collectives", "--sizes",
                             "1KiB,2GiB"], capsys)
    assert code == 2 and "message of 2,147,483,648 B (2 GiB)" in err and "on each GPU" in err, err


@pytest.mark.parametrize("world", [2, 3, 4, 8])
def test_the_largest_size_offered_fits_one_ranks_buffers(world: int) -> None:
    """The 'pass sizes up to about' figure of both refusals (cpu and cuda) is one helper: the inverse of
    rank_buffer_bytes, so the size it offers fits."""
    from accelopt.distributed import collectives

    for available in (10**6, 3 * 2**30 + 17, 7 * 10**9):
        ok = collectives.largest_fitting_bytes(available, world)
        assert ok % collectives.FP32_BYTES == 0
        assert collectives.rank_buffer_bytes(ok, world) <= available
        assert ok > available / 3
