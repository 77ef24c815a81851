"""A new user's `probe` mistakes, refused before anything is measured (exit 2, problem and fix)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_main


@pytest.fixture
def no_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measuring fails the test: these refusals must come first."""
    def measured(*_: Any, **__: Any) -> None:
        raise AssertionError("the device was measured")

    monkeypatch.setattr("accelopt.measure.probe.run_probe", measured)


def test_save_and_html_naming_one_file_are_refused(tmp_path: Path, no_measure: None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # the HTML page was written over the measured spec, both reported written. 2026-12-05, htmlsafe: was cpu.toml,
    # which --html now refuses first for its name (not .html); a .html name keeps this test on the two-outputs rule
    path = tmp_path / "cpu.html"
    code, _, err = run_main(["probe", "--quick", "--save", str(path), "--html", str(path)], capsys)
    assert code == 2 and "--save and --html both name" in err and "own file" in err
    assert not path.exists()


def test_profile_outputs_naming_one_file_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("accelopt.cli.profile._load_bundle", lambda *_, **__: pytest.fail("the model was loaded"))
    path = tmp_path / "out.html"  # 2026-12-05, htmlsafe: was out.json, refused first by --html's own name rule now
    code, _, err = run_main(["profile", "mlp", "--save-workload", str(path), "--html", str(path)], capsys)
    assert code == 2 and "--save-workload and --html both name" in err
