"""`probe --collectives --sizes` with one size, or two: what the saved link's check can say.

utdist3 (2026-12-05): `accelopt probe --quick --collectives --sizes 4MiB` (gloo, 2 CPU ranks) saved a link whose
latency was the one all-reduce time / 2(p-1) and whose bandwidth was its busbw: plan's ring model then counted that
time twice, '+100% at 4 MiB, its worst size', printed as a poor fit, with the latency said to come from 'the
ring-model line crossed zero' (one size has no line). One time cannot give two unknowns: one size (or sizes that move
the same bytes) is now refused before the device is measured, naming the fix. With two sizes the line is drawn
through both, so '+0% at 1 KiB, its worst size' read as a check that passed; it now says nothing checks it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed import collectives
from accelopt.distributed.collectives import build_result, check_link_sizes
from accelopt.errors import InputError

MiB = 2**20


@pytest.mark.parametrize(("sizes", "says"), [
    ([4 * MiB], "4,194,304 B: one message size cannot"),
    ([1, 4], "each moves 8 B over 2 ranks"),  # whole fp32 elements, one a rank: the same message twice
])
def test_one_message_size_is_refused_naming_the_fix(sizes: list[int], says: str) -> None:
    with pytest.raises(InputError) as e:
        check_link_sizes(sizes, 2)
    assert says in e.value.problem, e.value.problem
    assert "--sizes 1KiB,4MiB" in e.value.fix


def test_two_sizes_that_move_different_bytes_pass() -> None:
    check_link_sizes([1024, MiB], 2)
    check_link_sizes([1, 1024], 2)


def test_the_library_refuses_it_before_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import launch

    def launched(*a: Any, **k: Any) -> Any:
        raise AssertionError("launched")

    monkeypatch.setattr(launch, "check_local_ranks", lambda *a, **k: None)
    monkeypatch.setattr(launch, "launch_job", launched)
    with pytest.raises(InputError, match="one message size"):
        collectives.measure_collectives(2, sizes_bytes=[25 * MiB])


def test_probe_refuses_it_before_the_device_is_measured(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import probe

    def measured(*a: Any, **k: Any) -> Any:
        raise AssertionError("the device was measured before --sizes was refused")

    monkeypatch.setattr(probe, "_run", measured)
    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", "--collectives", "--sizes",
                             "4MiB"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "one message size cannot give the link saved for plan" in text, err
    assert "fix: add a small size for the latency and a large one for the bandwidth" in text, err


def _result(sizes: list[int]) -> Any:
    """A 2-rank result whose all-reduce takes 40 us + S / 1 GB/s, off the line by 10% at every middle size."""
    times = []
    for i, s in enumerate(sizes):
        off = 1.1 if 0 < i < len(sizes) - 1 else 1.0
        times.append({"op": "all_reduce", "size_bytes": s, "times_s": [(40e-6 + s / 1e9) * off] * 10})
    return build_result({"rank": 0, "times": times}, "gloo", "cpu", 2)


def test_two_sizes_say_the_line_through_them_checks_nothing() -> None:
    two = _result([1024, 4 * MiB])
    assert abs(two.link_model_error) < 1e-9  # drawn through both: zero by construction
    assert "passes through both sizes measured, as fitted, so nothing here checks it" in two.model_error_text
    three = _result([1024, MiB, 4 * MiB])
    assert three.model_error_text.startswith("ring model with these figures vs the measured all-reduce: -")
    assert "at 1 MiB, its worst size" in three.model_error_text


def test_one_size_measured_is_not_called_a_line_that_crossed_zero() -> None:
    one = _result([4 * MiB])  # a run stopped after its first size keeps it (no link is saved from it)
    assert "one all-reduce size was measured" in one.latency_how
    assert "crossed zero" not in one.latency_how


@pytest.mark.parametrize("size", [12_345_678, 3 * MiB + 5, 6 * 2**30 + 1])
def test_the_sizes_offered_are_ones_probe_accepts(size: int) -> None:
    """The fix's --sizes is typed back: one size that is not a whole MiB was offered as '1KiB,11.8MiB', which --sizes
    refuses ('not a whole number')."""
    from accelopt.distributed.collectives import parse_sizes

    with pytest.raises(InputError) as e:
        check_link_sizes([size], 2)
    offered = e.value.fix.split("--sizes ")[1].split()[0]
    listed = e.value.fix.split("sizes_bytes=")[1].rstrip(")")
    assert parse_sizes(offered) == json.loads(listed)
    assert max(parse_sizes(offered)) >= min(size, 4 * MiB)
