"""`profile FILE.py:build` with namedtuple targets: measure/profiler._move rebuilt a namedtuple from a generator
(type(obj)(gen)), which a namedtuple's constructor refuses ('missing 1 required positional argument'), so every step
failed and was reported as the model's error. The batch walk now follows torch's pytree, and it is one function
(workload/batch.to_device) for capture, the profiler, the distributed workers and optimize: four copies had drifted
(only optimize's moved a BatchEncoding; only two moved non_blocking)."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path
from typing import Any

import torch

from accelopt.workload.batch import to_device

Targets = namedtuple("Targets", ["label", "weight"])


def test_a_namedtuple_of_targets_keeps_its_type_and_fields() -> None:
    moved = to_device(Targets(torch.tensor([1, 2]), torch.ones(2)), "meta")
    assert isinstance(moved, Targets) and moved.label.is_meta and moved.weight.is_meta


def test_nested_dicts_and_lists_are_followed() -> None:
    moved = to_device({"x": [torch.zeros(1), (torch.ones(1), 3)], "n": "text"}, torch.device("meta"))
    assert moved["n"] == "text" and moved["x"][1][1] == 3 and moved["x"][1][0].is_meta and moved["x"][0].is_meta


def test_a_leaf_with_its_own_to_is_moved_by_it() -> None:
    """A Hugging Face BatchEncoding is a dict subclass pytree does not open: its own .to moves it."""

    class Encoding(dict[str, Any]):
        def to(self, device: Any) -> Encoding:
            return Encoding({k: v.to(device) for k, v in self.items()})

    moved = to_device((Encoding(ids=torch.zeros(2)),), "meta")
    assert isinstance(moved[0], Encoding) and moved[0]["ids"].is_meta


def test_every_runner_moves_batches_with_the_one_walk() -> None:
    from accelopt.distributed import partition, worker
    from accelopt.measure import profiler
    from accelopt.optimize import compress
    from accelopt.workload import capture

    assert all(m.to_device is to_device for m in (capture, profiler, worker, compress))
    src = Path(capture.__file__).parents[1]
    copies = [p.relative_to(src) for p in src.rglob("*.py")
              if p.name != "batch.py" and "tree_map(" in p.read_text(encoding="utf-8")]
    assert not copies, f"a second pytree walk that may move batches: {copies}"
    assert "workload.batch import to_device" in Path(partition.__file__).read_text(encoding="utf-8")
