"""prune-structured's time limit fired inside torch-pruning 1.6.1's `_trace` (dependency/graph.py: `try:
model(*example_inputs)` / bare `except:` / `model(example_inputs)`): the bare except caught the alarm, called the
model with the tuple of inputs, and the row read "TypeError: conv2d() received an invalid combination of arguments"
instead of the analysis running past half the budget (a U-Net on a machine at load average 20, ut3opt trial)."""

from __future__ import annotations

import signal
import time

import pytest

from accelopt.errors import UnsupportedError
from accelopt.optimize.pruning import _time_limit


def _swallowing(seconds: float) -> None:
    """torch-pruning's pattern: the first call runs past the limit, the bare except then calls it another way,
    which fails."""
    try:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            pass
    except:  # noqa: E722 - the library's own bare except, reproduced
        raise TypeError("conv2d() received an invalid combination of arguments") from None


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM: POSIX only")
def test_a_limit_caught_by_a_bare_except_still_says_the_analysis_ran_late() -> None:
    with pytest.raises(UnsupportedError) as e, _time_limit(0.05, "torch-pruning's dependency analysis", "skip it"):
        _swallowing(2.0)
    assert "did not finish within 0.1 s" in str(e.value), str(e.value)
    assert e.value.fix == "skip it"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM: POSIX only")
def test_an_error_of_its_own_before_the_limit_is_raised_as_it_is() -> None:
    with pytest.raises(ValueError), _time_limit(5.0, "analysis", "skip it"):
        raise ValueError("the model's own")
