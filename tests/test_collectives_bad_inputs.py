"""`measure_collectives` (the Python API behind `probe --collectives`) checks its inputs before any rank starts.
Before, a message size of 0 or below ran as the smallest message the ranks can split (4 bytes a rank) and was
reported under that size, an empty size list ran the default sweep, and an unknown device (e.g. 'mps') started
two gloo ranks that failed inside torch; each is now an input error naming the value and the fix, and nothing is
launched."""

from __future__ import annotations

import pytest

from accelopt.distributed import collectives, launch
from accelopt.errors import InputError


@pytest.fixture(autouse=True)
def _no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("ranks were launched for a bad input")
    monkeypatch.setattr(launch, "launch_job", refuse)


@pytest.mark.parametrize("sizes", [[0], [-1024], [1024, 0], []])
def test_a_message_size_that_is_not_positive_is_refused(sizes: list[int]) -> None:
    with pytest.raises(InputError) as e:
        collectives.measure_collectives(2, sizes_bytes=sizes)
    assert "sizes_bytes" in e.value.problem and "bytes" in e.value.fix


def test_a_size_that_is_not_a_whole_number_of_bytes_is_refused() -> None:
    with pytest.raises(InputError, match="whole number"):
        collectives.measure_collectives(2, sizes_bytes=[1024.5])  # type: ignore[list-item]


@pytest.mark.parametrize("device", ["mps", "xla", "tpu", ""])
def test_an_unknown_device_names_the_backends(device: str) -> None:
    with pytest.raises(InputError) as e:
        collectives.measure_collectives(2, device=device, sizes_bytes=[1024])
    assert repr(device) in e.value.problem and "gloo" in e.value.fix and "NCCL" in e.value.fix
