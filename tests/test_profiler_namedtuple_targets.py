"""`profile FILE.py:build` with namedtuple targets: measure/profiler._move rebuilt a namedtuple from a generator
(type(obj)(gen)), which a namedtuple's constructor refuses ('missing 1 required positional argument'), so every step
failed and was reported as the model's error. It now follows torch's pytree, as workload/capture and optimize do."""

from __future__ import annotations

from collections import namedtuple

import torch

from accelopt.measure.profiler import _move

Targets = namedtuple("Targets", ["label", "weight"])


def test_a_namedtuple_of_targets_keeps_its_type_and_fields() -> None:
    moved = _move(Targets(torch.tensor([1, 2]), torch.ones(2)), "cpu", False)
    assert isinstance(moved, Targets) and moved.label.tolist() == [1, 2] and moved.weight.tolist() == [1.0, 1.0]


def test_nested_dicts_and_lists_are_followed() -> None:
    moved = _move({"x": [torch.zeros(1), (torch.ones(1), 3)], "n": "text"}, "cpu", False)
    assert moved["n"] == "text" and moved["x"][1][1] == 3 and isinstance(moved["x"][1][0], torch.Tensor)
