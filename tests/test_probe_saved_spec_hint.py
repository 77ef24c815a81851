"""The line `probe` ends with says how to use the saved spec in words that work: the file's path as the device, or
--catalog FILE with the device name it prints. It said "use it with --catalog FILE or as a device name" without
the name, and the name a user then guessed from the file name ('vm-cpu') was an unknown device."""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.measure import probe
from accelopt.units import MiB


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    def settings_for(device: Any, quick: bool, llc: float | None) -> probe.ProbeSettings:
        return probe.ProbeSettings(shapes={"fp32": [(64, 64, 64)]}, shape_budget_s=0.02, max_call_s=1.0,
                                   stream_bytes=2 * MiB, stream_budget_s=0.03)

    monkeypatch.setattr(probe, "settings_for", settings_for)


def test_the_printed_ways_to_use_the_spec_work(capsys: pytest.CaptureFixture[str], tiny: None,
                                               tmp_path: Path) -> None:
    path = tmp_path / "my spec.toml"  # a space: the printed command must still paste
    code, out, err = run_main(["probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--save", str(path)],
                              capsys)
    assert code == 0, err
    text = " ".join(out.split())
    shown = re.search(r"e\.g\. accelopt (catalog show .+?)\), or add --catalog (.+?) and name it (\S+)", text)
    assert shown, text
    show_argv, catalog, name = shlex.split(shown.group(1)), shlex.split(shown.group(2)), shown.group(3)
    assert catalog == [str(path)]
    for argv in (show_argv, ["catalog", "show", name, "--catalog", *catalog]):
        code, out, err = run_main(argv, capsys)
        assert code == 0 and "measured" in out, (argv, err)
    assert run_main(["catalog", "show", name], capsys)[0] == 2  # and the line says the name alone is not a device
    assert "without --catalog the name alone is not a device" in text
