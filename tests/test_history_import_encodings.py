"""`history import` of a run shown on another machine and saved in another Unicode encoding. Windows PowerShell
5.1 redirects output (`accelopt history show ID --json > run.json`) as UTF-16 LE with a byte order mark, and
`Out-File -Encoding utf8` there writes UTF-8 with a BOM; both were refused as 'is not JSON' ("'utf-8' codec can't
decode byte 0xff", "Unexpected UTF-8 BOM"), the run lost to the import. RFC 8259 section 8.1 lets a JSON reader
ignore a BOM; Python's json reads UTF-8/16/32 from bytes. A file that is no text in any of them is still refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-32"])
def test_a_shown_run_saved_in_another_encoding_imports(encoding: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--json")
    shown, _ = _cli(capsys, "history", "show", "latest", "--json")
    run_id = json.loads(shown)["id"]
    folder = tmp_path / "from_windows"
    folder.mkdir()
    (folder / "run.json").write_bytes(shown.encode(encoding))
    history.prune(keep=0)
    out, _ = _cli(capsys, "history", "import", str(folder), "--json")
    assert json.loads(out)["imported"] == 1
    assert history.load(run_id).result == json.loads(shown)["result"]


def test_bytes_that_are_no_json_text_are_still_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "bad.json").write_bytes(b"\xff\xfe\x00")  # a UTF-16 BOM and half a code unit
    _, err = _cli(capsys, "history", "import", str(folder), code=2)
    assert "bad.json: is not JSON" in err and "nothing was imported" in err
