"""`probe --compare` an entry of another kind than the probed device (a CPU against a GPU entry): the % of catalog
column read '0.1%' (37.7 GFLOP/s against a 37.4 TFLOP/s fp32 peak) with no word that a CPU was measured against a
GPU. A warning on stderr now says so before measuring; an entry of the device's own kind gets none."""

from __future__ import annotations

import pytest
from conftest import run_main_expect as _cli

from accelopt.errors import MeasurementError
from accelopt.measure import probe


def _stop(*args: object, **kwargs: object) -> None:
    raise MeasurementError("stopped by the test before measuring", "nothing to fix")


@pytest.mark.parametrize(("compare", "kind"), [("h100-sxm", "gpu"), ("tpu-v5e", "tpu")])
def test_an_entry_of_another_kind_is_named(compare: str, kind: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(probe, "run_probe", _stop)
    _, err = _cli(capsys, "probe", "--device", "cpu", "--quick", "--no-save", "--compare", compare, code=2)
    err = " ".join(err.split())
    assert (f"warning: --compare {compare} is a {kind} entry and this probe measures a cpu: its % of catalog "
            "compares different kinds of device") in err
    assert "accelopt catalog list --kind cpu" in err


def test_an_entry_of_the_same_kind_gets_no_warning(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(probe, "run_probe", _stop)
    _, err = _cli(capsys, "probe", "--device", "cpu", "--quick", "--no-save", "--compare", "xeon-8480plus", code=2)
    assert "different kinds of device" not in err and "stopped by the test" in err
