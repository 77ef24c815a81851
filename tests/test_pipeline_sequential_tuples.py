"""A pipeline over an nn.Sequential calls each layer as the Sequential's own forward does, on the previous layer's
output as one argument (utopt2): a Sequential whose layer returns a pair (Split) into one taking the pair (Join) ran
in one process, but `profile --nproc 2 --parallel pipeline` refused it: 'layer 2:Join failed while the partitioner
timed it ... TypeError: Join.forward() takes 2 positional arguments but 3 were given', with the fix 'fix the layer'.
Measured after the fix (2 gloo ranks, stages [0, 1], the pair crossing the stage edge): loss 1.416 -> 1.223 over
9 steps, the one-process run's 1.416 -> 1.223."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils import _pytree as pytree

from accelopt.distributed.model import check_composition, pipeline_layers, stage_module
from accelopt.distributed.partition import partition_model
from accelopt.workload.userfile import ModelBundle


class _Split(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.relu(self.a(x)), torch.tanh(self.b(x))


class _Join(nn.Module):
    """Takes the pair as one argument, as nn.Sequential passes it."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.lin = nn.Linear(2 * d, d)

    def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return torch.relu(self.lin(torch.cat(pair, -1)))


def _bundle(batch_size: int = 8, d: int = 16) -> ModelBundle:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, d), _Split(d), _Join(d), nn.Linear(d, 4))

    def batches():  # type: ignore[no-untyped-def]
        g = torch.Generator().manual_seed(1)
        for _ in range(2):
            yield torch.randn(batch_size, 8, generator=g), torch.randint(0, 4, (batch_size,), generator=g)

    return ModelBundle(name="split-join", model=model, batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=batch_size)


def test_the_partitioner_times_a_sequential_passing_a_tuple_as_its_forward_does() -> None:
    split = partition_model(_bundle(), 2, microbatches=2)  # raised MeasurementError at layer 2:_Join
    assert [c.name for c in split.layers] == ["0:Linear", "1:_Split", "2:_Join", "3:Linear"]
    assert split.layers[1].activation_bytes == 2 * 4 * 16 * 4  # the pair: two (4, 16) fp32 tensors


def test_stages_cut_at_the_tuple_compose_to_the_sequential_forward() -> None:
    model = _bundle().model
    layers = pipeline_layers(model)
    x = torch.randn(4, 8)
    edge = layers[1](layers[0](x))  # the pair crossing the stage edge
    first = stage_module(layers[:2], packed=True, first=True)
    second = stage_module(layers[2:], pytree.tree_flatten(edge)[1], packed=True, first=False)
    with torch.no_grad():
        got = second(*first(x))  # torch's stages pass the pair as two tensors
        torch.testing.assert_close(got, model(x))
    check_composition(model, layers, (x,))  # the composition the stages run is the forward: no refusal


def test_a_later_stage_of_a_sequential_takes_a_single_tensor_as_it_left() -> None:
    model = _bundle().model
    layers = pipeline_layers(model)
    x = torch.randn(4, 8)
    edge = layers[0](x)
    second = stage_module(layers[1:], pytree.tree_flatten(edge)[1], packed=True, first=False)
    with torch.no_grad():
        torch.testing.assert_close(second(edge), model(x))


class _NotSplittable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x)


def not_splittable(batch_size: int = 8) -> ModelBundle:
    def batches():  # type: ignore[no-untyped-def]
        g = torch.Generator().manual_seed(1)
        yield torch.randn(batch_size, 8, generator=g), torch.randint(0, 4, (batch_size,), generator=g)

    return ModelBundle(name="not-splittable", model=_NotSplittable(), batches=batches,
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def test_a_model_that_does_not_split_is_refused_before_its_layers_are_said_timed() -> None:
    """The progress line 'timing each layer on one micro-batch of 1 for the split into 2 stages' came before 'model
    TiedLM cannot be split into pipeline stages' (a model that is neither an nn.Sequential nor has
    pipeline_layers()): nothing was timed."""
    from accelopt.distributed.launch import Launch
    from accelopt.distributed.run import DistConfig, profile_distributed
    from accelopt.errors import InputError

    said: list[str] = []
    with pytest.raises(InputError, match="cannot be split into pipeline stages"):
        profile_distributed(DistConfig(bundle_ref=f"{__file__}:not_splittable", parallel="pipeline"),
                            Launch(nproc=2), on_pass=said.append)
    assert not any("timing each layer" in s for s in said), said
