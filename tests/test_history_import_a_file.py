"""`history import` given the one run file README says imports on another machine (ut_readme2).

README: "a shown run (`history show ID --json > run.json`) imports on another machine"; a user who then typed
`accelopt history import run.json` was told 'run.json is not a folder' with the fix 'give the folder holding the
run .json files (accelopt <= 0.1 wrote them to ...)', which points at the legacy history folder, not at what to do
with the file in hand. The error now says it is a file and how to import it; the fix's commands work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_main


def test_import_of_a_shown_run_file_says_how(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "here"))
    code, _, err = run_main(["catalog", "compare", "h100-sxm", "a100"], capsys)
    assert code == 0, err
    code, shown, err = run_main(["history", "show", "latest", "--json"], capsys)
    assert code == 0, err
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "there"))
    monkeypatch.chdir(tmp_path)
    Path("run.json").write_text(shown, encoding="utf-8")
    code, out, err = run_main(["history", "import", "run.json"], capsys)
    assert code == 2 and out == ""
    assert "run.json is a file" in err and "mkdir runs && mv run.json runs/ && accelopt history import runs" in err
    os.mkdir("runs")
    os.rename("run.json", "runs/run.json")  # the fix, as it says
    code, out, err = run_main(["history", "import", "runs"], capsys)
    assert code == 0 and "imported 1 run" in out, (out, err)


def test_import_of_a_file_that_is_no_run_record_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """uttrial: `history import config.json` (a model's config) was told to move it into a runs folder and import
    that, which then imports nothing: the file is named as no run record, and no `mv` of it is proposed."""
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    Path("config.json").write_text('{"model_type": "llama", "hidden_size": 4096}', encoding="utf-8")
    code, out, err = run_main(["history", "import", "config.json"], capsys)
    assert code == 2 and out == "", err
    assert "config.json is a file, not a folder of runs, and it is not an accelopt run record" in err, err
    assert "mv config.json" not in err, err
    assert Path("config.json").is_file()
