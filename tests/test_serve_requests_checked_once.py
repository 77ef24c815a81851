"""`--requests` >= 1 was checked in two places (serving_plan._check_max_word and serving.finite_run), the first
letting a fractional count from the library (ServeOptions(requests=2.5)) through to the second, after the devices
were read (utleftplan, 2026-12-05; rwaves' leftover). One check (serving.check_requests) now runs before any work,
with the same words."""

from __future__ import annotations

import pytest

from accelopt.errors import InputError
from accelopt.predict import serving
from accelopt.predict.serving_plan import ServeOptions, plan_serve

WORDS = r"--requests 2\.5 must be a positive whole number of requests"


def test_a_fractional_count_is_refused_before_the_devices() -> None:
    opts = ServeOptions(model="llama3-8b", hardware="no-such-device", batch="max", prompt=128, output=16,
                        requests=2.5)  # type: ignore[arg-type]  # a library caller's mistake
    with pytest.raises(InputError, match=WORDS):
        plan_serve(opts)


@pytest.mark.parametrize("bad", [0, -3, True, 2.5, "4"])
def test_one_check_with_one_fix(bad: object) -> None:
    with pytest.raises(InputError) as e:
        serving.check_requests(bad)
    assert e.value.fix == "give --requests >= 1 (the run's dataset size), or leave it out for steady waves"


@pytest.mark.parametrize("extra", [(), ("--rate", "1"), ("--concurrency", "4")])
def test_a_bad_count_is_named_before_the_flags_it_goes_with(extra: tuple[str, ...]) -> None:
    """`--requests -3` without --batch max was told 'add --batch max, or leave --requests out', and the run so fixed
    was then refused for -3: the value is checked first (uttrial4, 2026-12-06)."""
    opts = ServeOptions(model="llama3-8b", hardware="h100-sxm", prompt=128, output=16, requests=-3,
                        rate=extra[1] if extra[:1] == ("--rate",) else "",
                        concurrency=extra[1] if extra[:1] == ("--concurrency",) else "")
    with pytest.raises(InputError, match=r"--requests -3 must be a positive whole number of requests") as e:
        plan_serve(opts)
    assert "--batch max" not in e.value.fix
