"""A user's batch moved to a device: the one walk every runner uses (capture, the step profiler, the distributed
workers and optimize's variants each had a copy of it, which drifted: one moved a Hugging Face BatchEncoding, the
others left it on the host; one rebuilt a namedtuple from a generator and failed)."""

from __future__ import annotations

import itertools
from typing import Any


def to_device(obj: Any, device: Any) -> Any:
    """`obj` with every tensor in it moved to `device` (a name such as 'cuda:0' or a torch.device), its structure
    kept: torch's pytree follows tuples, lists, dicts and namedtuples (targets as a dict of labels and per-sample
    weights, or a namedtuple, are rebuilt with their fields). A leaf that is not a tensor but has its own .to (a
    Hugging Face BatchEncoding, a dict subclass pytree does not open) is moved by it; anything else is unchanged.

    Host-to-GPU copies are non_blocking: they are ordered on the current stream before any kernel reading them,
    and overlap the host's work when the source is pinned memory; copies to the host stay blocking (the host
    could read the tensor before the copy lands)."""
    import torch
    from torch.utils import _pytree as pytree  # torch has no public pytree module yet (torch.utils.pytree)

    non_blocking = torch.device(device).type == "cuda"

    def one(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return x.to(device, non_blocking=non_blocking)
        return x.to(device) if hasattr(x, "to") else x

    return pytree.tree_map(one, obj)


def model_device(model: Any, default: str = "cpu") -> Any:
    """The device of the model's first parameter (or buffer), else `default`: where its example inputs must go. A
    factory may return a model already on a GPU (benchmarks/gpu_compress.py moved the bundle's model to cuda, and
    sparse-2-4 fed it cpu inputs: 'Expected all tensors to be on the same device', H200 run of 2026-12-04)."""
    first = next(itertools.chain(model.parameters(), model.buffers()), None)
    return default if first is None else first.device
