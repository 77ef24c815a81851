"""Bytes held by tensors, each underlying storage counted once (tied weights are not double counted): the one rule
of `profile`'s memory figures (measure.memory) and of the state bytes a captured workload records (capture)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def storage_key(t: Any) -> tuple[int, int]:
    """Identity of a tensor's memory: (storage data pointer, storage nbytes). A sparse tensor has no storage of its
    own (untyped_storage() raises): its indices and values hold its bytes, keyed by the values' storage."""
    parts = sparse_parts(t)
    if parts:
        return (int(parts[-1].untyped_storage().data_ptr()), sum(int(p.untyped_storage().nbytes()) for p in parts))
    s = t.untyped_storage()
    return (int(s.data_ptr()), int(s.nbytes()))


def sparse_parts(t: Any) -> tuple[Any, ...]:
    """The dense tensors of a sparse tensor, values last (an nn.Embedding(sparse=True) gradient is sparse COO: its
    storage read stopped `profile` with 'Cannot access storage of SparseTensorImpl'); () for a strided tensor."""
    import torch

    if t.layout == torch.strided:
        return ()
    if t.layout == torch.sparse_coo:
        return (t._indices(), t._values())
    if t.layout in (torch.sparse_csr, torch.sparse_bsr):
        return (t.crow_indices(), t.col_indices(), t.values())
    if t.layout in (torch.sparse_csc, torch.sparse_bsc):
        return (t.ccol_indices(), t.row_indices(), t.values())
    return ()


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
