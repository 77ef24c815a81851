"""utleft6: the collective benchmark's workers printed torch 2.13's FutureWarning
"`torch.distributed.all_gather_into_tensor` is deprecated. Please use `torch.distributed.all_gather_single`
instead" (and the same for reduce_scatter_tensor) in every probe --collectives log. They now call the current names
where torch has them (2.13: the old names only forward to them, torch/distributed/distributed_c10d.py) and the old
ones on an older torch (pyproject: torch >= 2.2)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from accelopt.distributed.collectives import _op


@pytest.fixture
def one_gloo_rank(tmp_path: Path) -> Iterator[None]:
    import torch.distributed as dist

    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("name", ["all_reduce", "all_gather", "reduce_scatter", "all_to_all"])
def test_each_op_runs_without_a_deprecation_warning(one_gloo_rank: None, name: str) -> None:
    run = _op(name, 1024, 1, "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FutureWarning / DeprecationWarning from torch fails the test
        run()


@pytest.mark.parametrize(("name", "new", "old"), [("all_gather", "all_gather_single", "all_gather_into_tensor"),
                                                 ("reduce_scatter", "reduce_scatter_single", "reduce_scatter_tensor")])
def test_an_older_torch_gets_the_older_name(one_gloo_rank: None, monkeypatch: pytest.MonkeyPatch, name: str,
                                            new: str, old: str) -> None:
    import torch.distributed as dist

    called: list[str] = []
    monkeypatch.delattr(dist, new, raising=False)
    monkeypatch.setattr(dist, old, lambda *a, **k: called.append(old))
    _op(name, 1024, 1, "cpu")()
    assert called == [old]
