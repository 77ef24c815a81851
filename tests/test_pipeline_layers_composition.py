"""A model's pipeline_layers() must compose to its forward (README, profile --parallel pipeline): the pipeline's
stages run the layers in turn, the one-process baseline runs the forward. A pipeline_layers() that lost the forward's
residual additions trained another model on 2 ranks, and the run said nothing beyond losses that differed from the
one-process run's; it is now refused before the launch, naming the model and the fix. Layers that do compose it
(activations as modules, a final norm) pass, with the model's buffers, training flags and random state unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from accelopt.distributed.partition import partition_model
from accelopt.errors import InputError
from accelopt.workload.userfile import ModelBundle


class Residual(nn.Module):
    """x -> enc -> (h + relu(block(h))) x 2 -> bn -> out; `composes` picks a pipeline_layers() that keeps the
    residuals (blocks wrapped as modules) or one that lists the bare linear layers (the residuals lost)."""

    def __init__(self, composes: bool) -> None:
        super().__init__()
        self.enc = nn.Linear(8, 16)
        self.blocks = nn.ModuleList([nn.Linear(16, 16) for _ in range(2)])
        self.bn = nn.BatchNorm1d(16)
        self.out = nn.Linear(16, 4)
        self.composes = composes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.enc(x)
        for b in self.blocks:
            h = h + torch.relu(b(h))
        return self.out(self.bn(h))

    def pipeline_layers(self) -> list[nn.Module]:
        if not self.composes:
            return [self.enc, *self.blocks, self.bn, self.out]
        return [self.enc, *[_Block(b) for b in self.blocks], self.bn, self.out]


class _Block(nn.Module):
    def __init__(self, lin: nn.Linear) -> None:
        super().__init__()
        self.lin = lin

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + torch.relu(self.lin(h))


def _bundle(composes: bool) -> ModelBundle:
    torch.manual_seed(0)

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(1)
        for _ in range(2):
            yield torch.randn(8, 8, generator=g), torch.randint(0, 4, (8,), generator=g)

    return ModelBundle(name="residual", model=Residual(composes), batches=batches,
                       loss_fn=nn.functional.cross_entropy, batch_size=8)


def test_layers_that_lose_the_residuals_are_refused_before_the_launch() -> None:
    with pytest.raises(InputError) as e:
        partition_model(_bundle(composes=False), 2, microbatches=2)
    assert "Residual.pipeline_layers()" in e.value.problem and "do not compute its forward" in e.value.problem
    assert "residual" in e.value.fix and "--parallel ddp or fsdp" in e.value.fix


def test_layers_that_compose_the_forward_pass_and_leave_the_model_as_it_was() -> None:
    bundle = _bundle(composes=True)
    bundle.model.train()
    bundle.model.bn.eval()  # a user's choice (frozen statistics), kept
    before = {k: v.clone() for k, v in bundle.model.state_dict().items()}
    rng = torch.get_rng_state()
    part = partition_model(bundle, 2, microbatches=2)
    assert len(part.balanced.bounds) == 3
    assert bundle.model.training and bundle.model.enc.training and not bundle.model.bn.training
    assert torch.equal(torch.get_rng_state(), rng)
    for k, v in bundle.model.state_dict().items():  # the partitioner times copies; the check changed nothing
        assert torch.equal(v, before[k]), k


class _Noise(nn.Module):
    """Noise added in every mode (a VAE's reparameterisation, noise injection): forward draws from torch's RNG."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + torch.randn_like(h)


class Noisy(nn.Module):
    """x -> enc -> + noise -> out, and pipeline_layers() lists exactly those modules: it composes the forward."""

    def __init__(self) -> None:
        super().__init__()
        self.enc, self.noise, self.out = nn.Linear(8, 16), _Noise(), nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.noise(self.enc(x)))

    def pipeline_layers(self) -> list[nn.Module]:
        return [self.enc, self.noise, self.out]


def test_a_forward_that_draws_random_numbers_is_compared_from_the_same_random_state() -> None:
    """review_s16: the forward and the composed layers each ran on from where the other left torch's RNG, so a
    forward that draws noise even in eval mode differed by the noise (O(1) of the output) and correct layers were
    refused ("differs by 1.06 of its largest magnitude"). Both now start from the same state."""
    bundle = _bundle(composes=True)
    noisy = ModelBundle(name="noisy", model=Noisy(), batches=bundle.batches, loss_fn=nn.functional.cross_entropy,
                        batch_size=8)
    part = partition_model(noisy, 2, microbatches=2)  # (its timing of the layers draws noise too)
    assert len(part.balanced.bounds) == 3
