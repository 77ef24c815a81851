"""cli/optimize.check leaves the options it checks as given and returns the expanded copy.

check wrote --only/--skip's expanded family names back into the caller's OptimizeOptions (and the run then changed
its mode, dtype and model from a recipe): a library caller's object changed under it, and a second check of the
same object no longer saw the names typed (a family in --skip then read as its techniques)."""

from __future__ import annotations

import copy

import pytest

from accelopt.cli.optimize import OptimizeOptions, check, run
from accelopt.errors import InputError


def test_check_returns_the_expanded_options_and_leaves_the_given_ones() -> None:
    o = OptimizeOptions(model="mlp", only=["quantization"], skip=["pruning"])
    given = copy.deepcopy(o)
    checked = check(o)
    assert o == given  # was: o.only held every quantization technique, o.skip both pruning ones
    assert checked is not o and checked.only is not None and "onnx-int8" in checked.only
    assert set(checked.skip) >= {"prune-structured", "prune-unstructured"}
    assert check(o) == checked  # the same answer twice


def test_a_refused_run_leaves_the_callers_options_as_given() -> None:
    o = OptimizeOptions(model="mlp", only=["mixed-precision"], skip=["no-such-technique"])
    given = copy.deepcopy(o)
    with pytest.raises(InputError):
        run(o)
    assert o == given
