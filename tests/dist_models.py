"""Tiny models for the distributed tests, loaded by every rank as 'tests/dist_models.py:FACTORY' (the user-file
contract). SGD with a large step makes each step move the loss, so a wrong shard or a missing gradient average
shows in the loss trajectory."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from accelopt.workload.userfile import ModelBundle


def _data(batch: int, d_in: int, classes: int) -> Any:
    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(123)
        for _ in range(4):
            yield torch.randn(batch, d_in, generator=g), torch.randint(0, classes, (batch,), generator=g)
    return batches


def mlp(batch_size: int = 16, seq_len: int | None = None) -> ModelBundle:
    """Linear-ReLU-Linear-ReLU-Linear (5 layers, a 2-stage pipeline splits them)."""
    del seq_len
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8))
    return ModelBundle(name="dist-mlp", model=model, batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


class _Fails(nn.Module):
    """Rank `rank` misbehaves in its forward at its call `at` (default the third: DDP's unused-parameter check, the
    warm-up step, then the first timed step): `how` = crash (an exception) or hang (sleeps)."""

    def __init__(self, how: str, rank: int, at: int = 3) -> None:
        super().__init__()
        self.lin = nn.Linear(32, 8)
        self.how, self.rank, self.at, self.calls = how, rank, at, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.at and int(os.environ.get("RANK", "0")) == self.rank:
            if self.how == "crash":
                raise RuntimeError("injected failure in the model's forward")
            if self.how == "kill":
                os.kill(os.getpid(), 9)
            while True:  # hang
                time.sleep(0.05)
        return self.lin(x)


def failing(how: str = "crash", batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    del seq_len
    return ModelBundle(name=f"dist-{how}", model=_Fails(how, rank=1), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def crashing(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    return failing("crash", batch_size)


def crashing_first(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """Rank 1 raises in its 2nd forward: the first step after DDP's check, so no rank finishes a step."""
    del seq_len
    return ModelBundle(name="dist-crash-first", model=_Fails("crash", rank=1, at=2), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def crashing_late(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """Rank 1 raises in its 5th forward: with --warmup 1, after two timed steps (calls 3 and 4) on every rank."""
    del seq_len
    return ModelBundle(name="dist-crash-late", model=_Fails("crash", rank=1, at=5), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def hanging(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    return failing("hang", batch_size)


def killed(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    return failing("kill", batch_size)


def frozen(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """No parameter requires a gradient: DDP, FSDP and the optimizers refuse it inside every rank."""
    del seq_len
    model = nn.Sequential(nn.Linear(32, 8), nn.ReLU(), nn.Linear(8, 8)).requires_grad_(False)
    return ModelBundle(name="dist-frozen", model=model, batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def frozen_backbone(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """A frozen 32 x 256 x 256 backbone under a trainable 256 x 8 head (fine-tuning): DDP all-reduces the head's
    gradients only."""
    del seq_len
    torch.manual_seed(7)
    backbone = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU()).requires_grad_(False)
    return ModelBundle(name="dist-frozen-backbone", model=nn.Sequential(backbone, nn.Linear(256, 8)),
                       batches=_data(batch_size, 32, 8), loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def one_layer(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """A one-layer nn.Sequential: no pipeline of 2 or more stages can split it."""
    del seq_len
    return ModelBundle(name="dist-one-layer", model=nn.Sequential(nn.Linear(32, 8)), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


class _MeanTokens(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, D) -> (B, D)
        return x.mean(1)


def tied(batch_size: int = 8, seq_len: int | None = None, head_tied: bool = True) -> ModelBundle:
    """Embedding, Linear, mean over tokens, output head: an nn.Sequential whose head shares the embedding's weight
    (tied weights, as GPT-2's), so the first and the last layer hold the same parameter."""
    del seq_len
    g = torch.Generator().manual_seed(5)
    emb, head = nn.Embedding(50, 16), nn.Linear(16, 50, bias=False)
    if head_tied:
        head.weight = emb.weight

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(2):
            yield torch.randint(0, 50, (batch_size, 6), generator=g), torch.randint(0, 50, (batch_size,), generator=g)
    return ModelBundle(name="dist-tied", model=nn.Sequential(emb, nn.Linear(16, 16), _MeanTokens(), head),
                       batches=batches, loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


def tied_middle(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """Linear, ReLU, Linear sharing the first one's weight, ReLU, Linear head: tied layers 0 and 2 in the middle
    of a model that still splits (a stage may start at 3 or 4)."""
    del seq_len
    torch.manual_seed(6)
    first, again = nn.Linear(16, 16), nn.Linear(16, 16)
    again.weight = first.weight
    model = nn.Sequential(first, nn.ReLU(), again, nn.ReLU(), nn.Linear(16, 3))
    return ModelBundle(name="dist-tied-middle", model=model,
                       batches=_data(batch_size, 16, 3), loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


class _Unused(nn.Module):
    """A head that the forward never calls: its parameters get no gradient (DDP needs find_unused_parameters)."""

    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(32, 8)
        self.spare = nn.Linear(32, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.used(x)


def unused(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    del seq_len
    return ModelBundle(name="dist-unused", model=_Unused(), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


class _SkipsLater(nn.Module):
    """An auxiliary branch dropped at random in training, as LayerDrop drops a layer (Fan et al. 2019), with p = 0.2
    from torch's global generator: every rank and the one-process run draw the same sequence from the same seed (DDP's
    unused-parameter check forks the generator), which from seed 0 keeps `aux` on the first batch and drops it in a
    later step (tests/test_ddp_find_unused_later.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Linear(32, 8)
        self.aux = nn.Linear(32, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) if float(torch.rand(())) < 0.2 else self.main(x) + self.aux(x)


def skips_later(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    del seq_len
    return ModelBundle(name="dist-skips-later", model=_SkipsLater(), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


class _SlowOnRank1(nn.Module):
    """Rank 1 sleeps 50 ms in every forward (a slower device, a stalled data read): the straggler."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(32, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if os.environ.get("RANK") == "1":
            time.sleep(0.05)
        return self.lin(x)


def slow_on_rank1(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    del seq_len
    return ModelBundle(name="dist-slow-rank1", model=_SlowOnRank1(), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def empty(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """batches() yields nothing."""
    del seq_len
    return ModelBundle(name="dist-empty", model=nn.Sequential(nn.Linear(32, 8), nn.Linear(8, 8)),
                       batches=lambda: iter(()), loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def short_batches(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """batch_size says 8, the batches hold 6 samples."""
    del seq_len
    return ModelBundle(name="dist-short", model=nn.Sequential(nn.Linear(32, 8), nn.Linear(8, 8)),
                       batches=_data(6, 32, 8), loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


class _Join(nn.Module):
    """Two inputs in, one out: the first pipeline layer of a model called as model(x, z)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(32, 16), nn.Linear(4, 16)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.a(x) + self.b(z)


class _TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.join = _Join()
        self.body = nn.Sequential(nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8))

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.join(x, z))

    def pipeline_layers(self) -> list[nn.Module]:
        return [self.join, *self.body]


def two_inputs(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    del seq_len

    def batches() -> Iterator[tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]]:
        g = torch.Generator().manual_seed(7)
        for _ in range(4):
            yield ((torch.randn(batch_size, 32, generator=g), torch.randn(batch_size, 4, generator=g)),
                   torch.randint(0, 8, (batch_size,), generator=g))
    return ModelBundle(name="dist-two-inputs", model=_TwoInputs(), batches=batches,
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


def batchnorm(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """BatchNorm1d between two Linear layers: a micro-batch of one sample cannot be normalized in training."""
    del seq_len
    model = nn.Sequential(nn.Linear(32, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8))
    return ModelBundle(name="dist-bn", model=model, batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


class _LSTMLayers(nn.Module):
    """An LSTM tagger whose pipeline_layers() hands nn.LSTM over as is: its (output, (h, c)) reaches the next layer
    as two inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.proj, self.lstm, self.head = nn.Linear(12, 12), nn.LSTM(12, 24, batch_first=True), nn.Linear(24, 3)

    def pipeline_layers(self) -> list[nn.Module]:
        return [self.proj, self.lstm, self.head]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(self.proj(x))[0][:, -1])


def lstm_layers(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(5)
        for _ in range(4):
            x = torch.randn(batch_size, seq_len or 5, 12, generator=g)  # (B, T, features)
            yield x, torch.randint(0, 3, (batch_size,), generator=g)
    return ModelBundle(name="dist-lstm-layers", model=_LSTMLayers(), batches=batches,
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


def dict_targets(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """Targets as a dict (labels and per-sample weights), read by the user's loss: the ranks sliced only tensors,
    tuples and lists, so each DDP rank met 8 targets for its 4 outputs, and torch's pipeline schedules split the
    target with tensor_split, which takes one tensor."""
    del seq_len

    def batches() -> Iterator[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
        g = torch.Generator().manual_seed(3)
        for _ in range(4):
            yield torch.randn(batch_size, 16, generator=g), {"labels": torch.randint(0, 4, (batch_size,), generator=g),
                                                             "weight": torch.rand(batch_size, generator=g)}

    def loss(out: torch.Tensor, t: dict[str, torch.Tensor]) -> torch.Tensor:
        return (nn.functional.cross_entropy(out, t["labels"], reduction="none") * t["weight"]).mean()

    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    return ModelBundle(name="dist-dict-targets", model=model, batches=batches, loss_fn=loss, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


class _DictIn(nn.Module):
    """A dict in (as a Hugging Face-style model takes its batch), a dict out: the first pipeline layer."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(32, 16), nn.Linear(4, 16)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"h": torch.relu(self.a(batch["x"]) + self.b(batch["z"])), "skip": batch["z"]}


class _DictOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head, self.skip = nn.Linear(16, 8), nn.Linear(4, 8)

    def forward(self, d: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.head(d["h"]) + self.skip(d["skip"])


class _DictModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first, self.last = _DictIn(), _DictOut()

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.last(self.first(batch))

    def pipeline_layers(self) -> list[nn.Module]:
        return [self.first, self.last]


def dict_inputs(batch_size: int = 8, seq_len: int | None = None, extra: Any = None) -> ModelBundle:
    """The model takes a dict as its input and its two pipeline layers pass a dict between them: torch's pipeline
    stages take tensors only ("Stage arg[0] has type dict"), and the partitioner crashed on dict inputs. `extra`: a
    value put into every input dict beside the tensors (a float: something no pipeline stage can pass)."""
    del seq_len

    def batches() -> Iterator[tuple[dict[str, Any], torch.Tensor]]:
        g = torch.Generator().manual_seed(11)
        for _ in range(4):
            x = {"x": torch.randn(batch_size, 32, generator=g), "z": torch.randn(batch_size, 4, generator=g)}
            yield (x if extra is None else {**x, "extra": extra}), torch.randint(0, 8, (batch_size,), generator=g)
    return ModelBundle(name="dist-dict-inputs", model=_DictModel(), batches=batches,
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


def dict_inputs_float(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    return dict_inputs(batch_size, seq_len, extra=0.5)


class _Huge(nn.Module):
    """Asks the allocator for 1 TiB per sample in forward: refused at once (no machine lends it)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(32, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        big = x.new_empty(x.shape[0], 2**38)  # (B, 2**38) fp32
        return self.lin(x) + big[:, :8]


def too_big(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    del seq_len
    return ModelBundle(name="dist-too-big", model=_Huge(), batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)


@dataclasses.dataclass
class _Out:
    """A model's output as a dataclass (many research models return one), with a field left None."""

    aux: torch.Tensor | None
    logits: torch.Tensor


class _DataclassHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> _Out:
        return _Out(aux=None, logits=self.fc(x))


def dataclass_output(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """The last pipeline layer returns a dataclass, read by the user's loss: torch's last stage refused it ("Stage
    args must be a tensor, tuple, or list of tensors, got _Out") and rank 1 crashed."""
    del seq_len
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), _DataclassHead())
    return ModelBundle(name="dist-dataclass-out", model=model, batches=_data(batch_size, 16, 4),
                       loss_fn=lambda out, y: nn.functional.cross_entropy(out.logits, y), batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


def vector_loss(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """The mlp with a loss per sample (reduction='none'), not a scalar: backward() fails inside torch."""
    bundle = mlp(batch_size, seq_len)
    bundle.loss_fn = lambda out, y: nn.functional.cross_entropy(out, y, reduction="none")
    return bundle


def param_free_stage(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """Two layers, the second without parameters: a 2-stage pipeline's last stage has nothing to update (its rank
    crashed with 'optimizer got an empty parameter list')."""
    del seq_len
    model = nn.Sequential(nn.Linear(32, 8), nn.ReLU())
    return ModelBundle(name="dist-param-free-stage", model=model, batches=_data(batch_size, 32, 8),
                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size,
                       make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))


class _TransposedLinear(nn.Module):
    """(B, 6, 6) -> (B, 6, 6): a Linear between two transposes, so its output is a transposed view (not contiguous,
    as nn.LSTM(batch_first=True) returns its output on a CPU) and the gradient of its input is one too."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x.transpose(1, 2)).transpose(1, 2)


class _FlatHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(36, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x.flatten(1))


def transposed_edges(batch_size: int = 8, seq_len: int | None = None) -> ModelBundle:
    """Three transposed-Linear layers and a head: wherever the partitioner cuts, the activation sent forward and
    the gradient sent back across the cut are not contiguous, which gloo refuses to send or receive into."""
    del seq_len

    def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(9)
        for _ in range(4):
            yield torch.randn(batch_size, 6, 6, generator=g), torch.randint(0, 3, (batch_size,), generator=g)
    model = nn.Sequential(_TransposedLinear(), _TransposedLinear(), _TransposedLinear(), _FlatHead())
    return ModelBundle(name="dist-transposed", model=model, batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=batch_size, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.5))
