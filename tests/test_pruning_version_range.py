"""torch-pruning: pyproject said >=1.5 while prune_structured reads internals of the 1.6.1 it was tested with
(MetaPruner.DG, its dependency groups). The two now agree (TP_REQUIREMENT), and a version outside the tested range
is refused with the pin to install, not a traceback from deep inside the library (utcode, 2026-12-05)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelopt.errors import UnsupportedError
from accelopt.optimize import pruning


def test_pyproject_pins_the_tested_range() -> None:
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert re.findall(r'"(torch-pruning[^"]*)"', text) == [pruning.TP_REQUIREMENT]
    assert pruning.TP_REQUIREMENT == "torch-pruning>=1.6.1,<1.7"


@pytest.mark.parametrize("version", ["1.5.2", "1.7.0"])
def test_a_version_outside_the_range_is_refused(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    pytest.importorskip("torch_pruning")
    monkeypatch.setattr("importlib.metadata.version", lambda name: version)
    with pytest.raises(UnsupportedError) as e:
        pruning._import_tp()
    assert f"torch-pruning {version} is installed" in e.value.problem
    assert "pip install 'torch-pruning>=1.6.1,<1.7'" in e.value.fix


def test_the_tested_version_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch_pruning")
    monkeypatch.setattr("importlib.metadata.version", lambda name: "1.6.1")
    assert pruning._import_tp().pruner.MetaPruner is not None
