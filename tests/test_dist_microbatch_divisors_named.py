"""`profile --nproc 2 --parallel pipeline --microbatches 3` of a batch of 8 said 'pass --microbatches dividing 8',
leaving the user to work out which counts those are (ut4dist, 2026-12-06); the fix now lists them, '1, 2, 4 or 8', the
smallest and largest few where there are many."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from accelopt.distributed.partition import check_microbatch_split, divisors_text
from accelopt.errors import InputError


def test_the_fix_lists_the_counts_the_batch_splits_into() -> None:
    bundle = SimpleNamespace(batch_size=8, meta={}, name="m")
    with pytest.raises(InputError, match="does not split into 3 equal micro-batches") as caught:
        check_microbatch_split(bundle, 3)
    assert "pass --microbatches dividing 8 (1, 2, 4 or 8), or " in caught.value.fix, caught.value.fix


@pytest.mark.parametrize(("n", "text"), [(1, "1"), (7, "1 or 7"), (36, "1, 2, 3, 4, 6, 9, 12, 18 or 36"),
                                         (1024, "1, 2, 4, 8, 16, ... 64, 128, 256, 512 or 1024")])
def test_divisors_text(n: int, text: str) -> None:
    assert divisors_text(n) == text
