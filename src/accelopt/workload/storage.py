"""Bytes held by tensors, each underlying storage counted once (tied weights are not double counted): the one rule
of `profile`'s memory figures (measure.memory) and of the state bytes a captured workload records (capture)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def storage_key(t: Any) -> tuple[int, int]:
    """Identity of a tensor's memory: (storage data pointer, storage nbytes)."""
    s = t.untyped_storage()
    return (int(s.data_ptr()), int(s.nbytes()))


def tensor_bytes(tensors: Iterable[Any]) -> float:
    """Sum of bytes held by `tensors`, each underlying storage counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for t in tensors:
        if t is None:
            continue
        key = storage_key(t)
        if key in seen or key[0] == 0:
            continue
        seen.add(key)
        total += key[1]
    return float(total)


def state_tensors(optimizer: Any) -> Iterator[Any]:
    """The tensors an optimizer keeps between steps (AdamW: exp_avg, exp_avg_sq and a step count per parameter)."""
    import torch

    for state in optimizer.state.values():
        for v in state.values():
            if isinstance(v, torch.Tensor):
                yield v
