"""`simulate export --out 'my dir/tpu [v1].toml'` printed "use it with --catalog my dir/tpu [v1].toml", which pasted
into a shell is three arguments (and a glob); the path in the hint is now shell-quoted, as `probe --save` prints it,
so the command it shows reads the file it wrote."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from conftest import run_main


def test_the_printed_command_reads_the_written_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "my dir" / "tpu [v1].toml"
    out.parent.mkdir()
    code, text, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(out), "--no-calibration"], capsys)
    assert code == 0, err
    assert shlex.split(text.split("--catalog ", 1)[1].split(" or pass")[0]) == [str(out)]
    shown = text.split("e.g. ", 1)[1].split(")")[0]  # accelopt catalog show PATH, as printed
    argv = shlex.split(shown)
    assert argv[:3] == ["accelopt", "catalog", "show"] and Path(argv[3]) == out
    code, shown_out, err = run_main(argv[1:], capsys)
    assert code == 0 and "tpu-v1" in shown_out, err
