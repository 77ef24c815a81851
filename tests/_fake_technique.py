"""A technique that leaves the model as given, for tests whose timings come from a scripted clock
(runner._timed_for replaced): subclass it with a `name` (and `lossy = True` to stand for a lossy one)."""

from __future__ import annotations

from typing import Any

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
