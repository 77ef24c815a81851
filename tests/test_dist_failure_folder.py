"""A distributed run that ended in an error naming no file (a rank out of memory, a rank refusing its input) left its
run folder, /tmp/accelopt-dist-*, behind, named to nobody: `measure_collectives(2, sizes_bytes=[2**40])` (or
`profile --nproc 2` on a model outgrowing the host) exited with RankOutOfMemory and a folder per try stayed in /tmp.
The folder is kept only when the error names a file in it (a crash's torchrun.log)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accelopt.distributed import launch
from accelopt.distributed.types import Job
from accelopt.errors import AcceloptError, InputError, MeasurementError, of_kind


def _fail_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make: Any) -> AcceloptError:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's folder is made here
    monkeypatch.setattr(launch, "torchrun_command", lambda *_: ["sleep", "30"])

    def failed(_proc: Any, _launch: Any, out_dir: Path, _log: Path) -> None:
        raise make(out_dir)

    monkeypatch.setattr(launch, "_wait", failed)
    with pytest.raises(AcceloptError) as info:
        launch.launch_job(Job(), launch.Launch(nproc=2))
    return info.value


@pytest.mark.parametrize("make", [
    lambda d: launch.RankOutOfMemory("rank 0: the step does not fit in memory", "use smaller messages"),
    lambda d: InputError("rank 1: the batch holds a string", "pass tensors"),
])
def test_an_error_naming_no_file_leaves_no_run_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      make: Any) -> None:
    _fail_with(monkeypatch, tmp_path, make)
    assert list(tmp_path.iterdir()) == []


def test_a_crash_naming_its_log_keeps_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    err = _fail_with(monkeypatch, tmp_path, lambda d: MeasurementError(
        "rank 0 crashed: boom", f"fix the error in the model (traceback in {d / 'torchrun.log'})"))
    (kept,) = tmp_path.iterdir()
    assert kept.name.startswith("accelopt-dist-") and str(kept / "torchrun.log") in err.fix
    assert (kept / "torchrun.log").exists()


def test_collectives_out_of_memory_names_the_message_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """`measure_collectives(2, sizes_bytes=[2**40])`: the ranks' allocation failed and the fix told the user to use a
    smaller --batch-size or --parallel fsdp, flags of a model run the collective benchmark has none of. (2**20 B:
    since utdist2 a message past the machine's available memory, the 2**40 B this test used, is refused before
    launch.)"""
    from accelopt.distributed import collectives

    def oom(*_: Any) -> None:  # as launch_job raises it since utdist: a RunFailed of the error's kind, no rank figure
        error = launch.RankOutOfMemory("rank 0: the step does not fit in memory", "use a smaller --batch-size")
        raise of_kind(launch.RunFailed, error)(error.problem, error.fix, ranks=[], error=error)

    monkeypatch.setattr(launch, "launch_job", oom)
    monkeypatch.setattr(launch, "check_local_ranks", lambda *_a, **_k: None)
    with pytest.raises(launch.RankOutOfMemory) as info:
        collectives.measure_collectives(2, sizes_bytes=[1024, 2**20])
    fix = info.value.fix
    assert "--batch-size" not in fix and "sizes_bytes" in fix and f"{2**20:,} B" in fix and f"{4 * 2**20:,} B" in fix
