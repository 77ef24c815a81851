"""fix5a (issue 10): an error's fix that sends the user to a bundled data file names it where it is installed.

Before, the fixes of the JSON and semicolon runs-file errors, of a calibration TOML without the tables a command reads
and of an inference runtime TOML without families said 'predict/data/X': a folder of the source tree, which a user who
installed accelopt with pip does not have. ut5val added runs_csv.bundled_path for the missing-column error only."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.runs_csv import bundled_path

CASES = [  # (file name, its text, the command after `accelopt`, the bundled file its fix must name)
    ("runs.json", '{"runs": []}\n', ["validate", "--runs"], "published_training_runs.csv"),
    ("semi.csv", "id;source;hardware\na;b;c\n", ["validate", "--runs"], "published_training_runs.csv"),
    ("srv.csv", '{"runs": []}\n', ["validate", "--serving", "--runs"], "published_serving_runs.csv"),
    ("serving_only.toml", '[serving.x]\nmatch = ["*"]\n', ["validate", "--calibration"], "calibration.toml"),
    ("training_only.toml", "[family.x]\n", ["validate", "--serving", "--calibration"], "calibration.toml"),
    ("stray.toml", "[other]\nx = 1\n", ["validate", "--calibration"], "calibration.toml"),
    ("nofamily.toml", "[other]\nx = 1\n", ["plan", "infer", "resnet50", "--runtimes"], "inference.toml"),
]


@pytest.mark.parametrize(("name", "text", "command", "bundled"), CASES, ids=[c[0] for c in CASES])
def test_the_fix_names_where_the_bundled_file_is_installed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           name: str, text: str, command: list[str],
                                                           bundled: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run_main([*command, str(path)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and not out, err
    assert "predict/data/" + bundled not in flat.replace(bundled_path(bundled), ""), flat
    assert f"the bundled {bundled}, installed at {bundled_path(bundled)}" in flat, flat
    assert Path(bundled_path(bundled)).is_file()
