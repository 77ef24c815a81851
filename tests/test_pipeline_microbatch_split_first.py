"""A --microbatches that does not divide the global batch is refused before the layers are timed: `profile gpt --nproc
2 --parallel pipeline --microbatches 7` (batch 2) said 'timing each layer on one micro-batch of 0' (2 // 7), timed
nothing and only then refused it (ut3dist, 2026-12-06)."""

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
