"""A small trained digits classifier as a ModelBundle, for the optimize technique tests.

scikit-learn's bundled 8x8 digits (`load_digits`, 1,797 images; nothing downloaded), stratified 75/25 split,
an MLP or a small CNN trained from a fixed seed in about a second. Built here (not taken from the built-in
examples) so these tests do not depend on them; cached per process.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from accelopt.workload.userfile import ModelBundle


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread: these models are tiny, and on a loaded 2-core machine a second OpenMP thread spins
    (measured: 5-15x the CPU time of one thread for the same training)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@functools.lru_cache(maxsize=1)
def digits_data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_train, y_train, x_test, y_test); x: (N, 64) pixels scaled to 0..1."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(d.data / 16.0, d.target, test_size=0.25, random_state=0,
                                              stratify=d.target)
    f = functools.partial(torch.tensor, dtype=torch.float32)
    return f(x_tr), torch.tensor(y_tr), f(x_te), torch.tensor(y_te)


def mlp(hidden: int = 128) -> nn.Module:
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def cnn(channels: int = 16) -> nn.Module:
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)),                       # (B, 1, 8, 8)
                         nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),   # (B, c, 8, 8)
                         nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(),                     # (B, 2c * 16)
                         nn.Linear(2 * channels * 16, 64), nn.ReLU(), nn.Linear(64, 10))


def shuffled(x: torch.Tensor, y: torch.Tensor, batch: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    for i in range(0, len(x) - batch + 1, batch):
        idx = order[i:i + batch]
        yield x[idx], y[idx]


def in_order(x: torch.Tensor, y: torch.Tensor, batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    for i in range(0, len(x), batch):
        yield x[i:i + batch], y[i:i + batch]


def train(model: nn.Module, epochs: int, seed: int = 0, lr: float = 2e-3) -> nn.Module:
    x_tr, y_tr, _, _ = digits_data()
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for epoch in range(epochs):
        for x, y in shuffled(x_tr, y_tr, 64, seed + epoch):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
    return model.eval()


@functools.lru_cache(maxsize=4)
def _trained(kind: str, width: int) -> dict[str, Any]:
    torch.manual_seed(0)
    model = mlp(width) if kind == "mlp" else cnn(width)
    with one_thread():
        return train(model, epochs=10).state_dict()


def digits_bundle(kind: str = "mlp", width: int | None = None, batch: int = 64, lr: float = 1e-3) -> ModelBundle:
    """A trained digits classifier (held-out accuracy about 0.95-0.98) with eval batches and accuracy metric;
    width: hidden units of the MLP (default 128) or channels of the CNN's first conv (default 16)."""
    width = width or (128 if kind == "mlp" else 16)
    model = mlp(width) if kind == "mlp" else cnn(width)
    model.load_state_dict(_trained(kind, width))
    model.eval()
    x_tr, y_tr, x_te, y_te = digits_data()
    return ModelBundle(name=f"digits-{kind}", model=model, batches=lambda: shuffled(x_tr, y_tr, batch, 1),
                       eval_batches=lambda: in_order(x_te, y_te, 150), loss_fn=F.cross_entropy, metric="accuracy",
                       make_optimizer=lambda p: torch.optim.Adam(p, lr=lr), batch_size=batch)


def accuracy(forward: Any) -> float:
    """Held-out accuracy of forward(x)."""
    _, _, x_te, y_te = digits_data()
    with torch.inference_mode():
        return float((forward(x_te).argmax(-1) == y_te).float().mean())
