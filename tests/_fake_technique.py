"""A technique that leaves the model as given, for tests whose timings come from a scripted clock
(runner._timed_for replaced): subclass it with a `name` (and `lossy = True` to stand for a lossy one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from accelopt.optimize import base
from accelopt.optimize.base import Target, Technique, Variant


class SameModel(Technique):
    """The model as given, under another name: its speed is whatever the scripted clock says."""

    name = "test-same"
    family = "test"
    modes = ("train", "inference")
    changes = "test"
    risks = "test"

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        return Variant(technique=self.name, model=bundle.model, forward=bundle.model)


@contextmanager
def registered(*classes: type[Technique]) -> Iterator[None]:
    """`classes` in the technique registry for the with-block, and out of it after (a test's fake techniques)."""
    for cls in classes:
        base.register(cls)
    try:
        yield
    finally:
        for cls in classes:
            base._REGISTRY.pop(cls.name, None)
