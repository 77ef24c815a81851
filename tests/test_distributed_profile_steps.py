"""How many steps a distributed run profiles, and saying so. The trace's figures (collectives, overlap, compute) were
a mean over 2 profiled steps, said only in plan's prediction table: gpt tiny's DDP collectives on 2 gloo ranks spread
0.5 to 21 ms a step on a 2-core machine, so two steps' mean read 0.77 ms on one run and 9.9 ms on the next, while an
added profiled step cost 0.26 to 0.52 s of the run there (ut3dist, 2026-12-06: worker.PROFILE_STEPS)."""

from __future__ import annotations

import pytest

from accelopt.distributed.run import DistConfig
from accelopt.distributed.types import CommTime, DistributedResult, RankResult
from accelopt.distributed.worker import PROFILE_STEPS
from accelopt.errors import InputError
from accelopt.report.distributed_view import ranks_note


def test_the_default_profiles_more_than_two_steps() -> None:
    assert DistConfig(bundle_ref="m.py:f").profile_steps == PROFILE_STEPS >= 5


@pytest.mark.parametrize("n", [0, -1])
def test_no_profiled_step_is_refused(n: int) -> None:
    # the trace's figures are means over the profiled steps: none gave 0 / max(0, 1) = 0 s of collectives, unsaid
    with pytest.raises(InputError, match=fr"--profile-steps {n} \(profile_steps\) must be 1 or more"):
        DistConfig(bundle_ref="m.py:f", profile_steps=n)


def _run(profiled: list[float]) -> DistributedResult:
    comm = CommTime(comm_s=0.004, overlapped_s=0.0, compute_s=0.01, profiled_step_s=0.02, profiled_steps_s=profiled)
    rank = RankResult(rank=0, world_size=2, host="h", step_times_s=[0.02] * 3, losses=[1.0], threads=1, comm=comm,
                      peak_memory_bytes=1.0, memory_source="test")
    return DistributedResult(name="d", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo", device="cpu",
                             global_batch=4, microbatches=1, single=None, ranks=[rank, rank])


def test_the_rank_table_says_how_many_steps_its_trace_columns_are_a_mean_over() -> None:
    assert "compute: a mean over the 5 profiled steps (after the profiler's warm-up step)" in ranks_note(
        _run([0.02] * 5))
    assert "a mean over the 1 profiled step (" in ranks_note(_run([0.02]))
    assert "per step of the profiled steps" in ranks_note(_run([]))  # an older record kept no per-step figures


def test_a_job_without_the_count_profiles_the_same_default() -> None:
    """types.Job cannot import worker (types stays below it), so it repeats PROFILE_STEPS: a job file written without
    profile_steps would profile another count than DistConfig's default, the footnote then counting the wrong steps
    (rev3, the review of ut3dist's 2 -> 5)."""
    from accelopt.distributed.types import Job

    assert Job.__dataclass_fields__["profile_steps"].default == PROFILE_STEPS
