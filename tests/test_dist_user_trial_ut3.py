"""`profile --nproc` as a user ran it (ut3dist, 2026-12-06). A --microbatches that does not divide the global batch is
refused before the layers are timed: `profile gpt --nproc 2 --parallel pipeline --microbatches 7` (batch 2) said
'timing each layer on one micro-batch of 0' (2 // 7), timed nothing and only then refused it. A rank failing before any
timed step no longer says timed steps are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.distributed.launch import Launch
from accelopt.distributed.run import DistConfig, profile_distributed
from accelopt.errors import InputError

REF = f"{Path(__file__).with_name('dist_models.py')}:mlp"


def test_the_split_is_checked_before_the_layers_are_timed() -> None:
    said: list[str] = []
    cfg = DistConfig(bundle_ref=REF, bundle_kwargs={"batch_size": 2}, parallel="pipeline", microbatches=7,
                     steps=3, warmup=1, profile_steps=1)
    with pytest.raises(InputError, match="global batch 2 does not split into 7 equal micro-batches") as caught:
        profile_distributed(cfg, Launch(nproc=2), on_pass=said.append)
    assert "pass --microbatches dividing 2" in caught.value.fix
    assert not [s for s in said if "timing each layer" in s], said


def test_a_failure_before_any_timed_step_does_not_say_timed_steps_are_kept() -> None:
    """A user's layer raising on rank 1 in the second warm-up step ended in '(the timed steps each rank finished
    before it are kept: rank 0: 0 of 20, rank 1: 0 of 20)': nothing timed was kept; the warm-up steps are what is."""
    from accelopt.distributed.run import DistributedFailed
    from accelopt.distributed.types import PartialDistributedResult, PartialRank
    from accelopt.errors import MeasurementError

    def partial(timed: int) -> PartialDistributedResult:
        ranks = [PartialRank(rank=i, started=True, warmup_done=1, step_times_s=[2e-3] * timed, profiled_done=0,
                             peak_memory_bytes=2**28, memory_source="rss", threads=1) for i in range(2)]
        return PartialDistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                                        device="cpu", global_batch=8, microbatches=1, steps=20, warmup=3,
                                        profile_steps=6, ranks=ranks, missing=["the losses"], interrupted=False)

    error = MeasurementError("rank 1 crashed: ValueError: bad layer", "fix the model")
    none = DistributedFailed(partial(0), error).problem
    assert "no rank finished a timed step before it; the warm-up steps each finished are shown: rank 0: 1 of 3" in none
    assert "are kept" not in none
    assert "the timed steps each rank finished before it are kept: rank 0: 2 of 20" in DistributedFailed(
        partial(2), error).problem
