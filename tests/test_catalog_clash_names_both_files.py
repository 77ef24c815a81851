"""Two --catalog files defining one device (or one taking the other's alias) were refused naming the second file
only: "c2.toml: device 'my-asic' is defined twice; rename one of them" (utsim's trial: where is the first?). The error
now names the file holding the other device too, and offers passing only one of them; a clash inside one file reads
as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

EXAMPLE = Path(__file__).parents[1] / "examples" / "my_accelerator.toml"


def _said(capsys: pytest.CaptureFixture[str], *files: Path) -> str:
    argv = ["catalog", "list"]
    for f in files:
        argv += ["--catalog", str(f)]
    code, _out, err = run_main(argv, capsys)
    assert code == 2
    return " ".join(err.split())


def test_one_device_in_two_files_names_both(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, second = tmp_path / "ours.toml", tmp_path / "copy.toml"
    first.write_text(EXAMPLE.read_text())
    second.write_text(EXAMPLE.read_text())
    said = _said(capsys, first, second)
    assert f"{second}: device 'my-asic' is defined twice ('my-asic' is in --catalog {first})" in said
    assert f"pass only one of {first} and {second}" in said


def test_an_alias_taken_from_another_file_names_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first, second = tmp_path / "ours.toml", tmp_path / "other.toml"
    first.write_text(EXAMPLE.read_text())
    text = EXAMPLE.read_text().replace('name = "my-asic"', 'name = "my-chip"').replace('aliases = ["my-chip"]',
                                                                                       'aliases = ["x1"]')
    second.write_text(text)
    said = _said(capsys, first, second)
    assert "name or alias 'my-chip' of device 'my-chip' is already used by 'my-asic'" in said
    assert f"('my-asic' is in --catalog {first})" in said


def test_a_device_twice_in_one_file_reads_as_before(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    one = tmp_path / "twice.toml"
    text = EXAMPLE.read_text()
    one.write_text(text + "\n" + text[text.index("[[device]]"):])
    said = _said(capsys, one)
    assert f"{one}: device 'my-asic' is defined twice fix: rename one of them" in said.replace("error: ", "")
