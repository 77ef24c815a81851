"""leftovers3: a CUDA pipeline run (`profile --nproc N --parallel pipeline --device cuda`) had its partitioner time
each layer on the CPU (partition_model's device defaulted to 'cpu' and run.profile_distributed passed none), so the
stages were balanced by CPU times while they ran on GPUs, where layers' relative costs differ (a GEMM gains far more
than an elementwise op). The run's device now reaches the partitioner; on a GPU the layers (and the targets the last
layer's loss takes) are moved there, timed, and the model goes back to the CPU. The launch boundary is mocked here;
the real CUDA timing runs behind the gpu marker."""

from __future__ import annotations

from typing import Any

import pytest


class _Stop(Exception):
    """Raised by the mocked partitioner: the test needs only the arguments it was called with."""


def test_a_cuda_pipeline_run_times_its_layers_on_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import partition as part_mod
    from accelopt.distributed import run as run_mod

    seen: dict[str, Any] = {}

    def fake_partition_model(bundle: Any, stages: int, **kw: Any) -> Any:
        seen.update(kw, stages=stages)
        raise _Stop

    monkeypatch.setattr(run_mod, "_check_device", lambda cfg, launch: None)  # no GPU on this machine
    monkeypatch.setattr(run_mod, "_rank_room", lambda device, nodes: (2, nodes, "two GPUs (test)"))
    monkeypatch.setattr(part_mod, "partition_model", fake_partition_model)
    with pytest.raises(_Stop):
        run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:mlp", parallel="pipeline",
                                                       device="cuda", steps=3), run_mod.Launch(nproc=2))
    assert seen["device"] == "cuda" and seen["stages"] == 2


@pytest.mark.gpu
def test_layers_are_timed_on_the_gpu_and_the_model_returns_to_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from dist_models import mlp

    from accelopt.distributed.partition import partition_model

    bundle = mlp(batch_size=16)
    seen: list[str] = []
    real = torch.nn.Linear.forward

    def spy(self: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
        seen.append(x.device.type)
        return real(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", spy)
    part = partition_model(bundle, 2, microbatches=2, device="cuda")
    assert seen and set(seen) == {"cuda"}
    assert len(part.balanced.bounds) == 3 and all(x.fwd_bwd_s > 0 for x in part.layers)
    assert {p.device.type for p in bundle.model.parameters()} == {"cpu"}
