"""`history import` of a folder holding a command's --json output that is not a result (`catalog list --json`,
`env --json`, `history list --json`): it said 'is a catalog-list result ..., not a run record: the command recorded
its run when it ran (accelopt history list)', but those commands record no run, so there was none to find in the
list. It names the file a document of a command that records nothing, and says how a recorded run is moved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli


@pytest.mark.parametrize("argv", [("catalog", "list", "--json"), ("env", "--json"), ("history", "list", "--json")])
def test_a_document_of_a_command_that_records_nothing(argv: tuple[str, ...], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _cli(capsys, *argv)
    kind = json.loads(out)["schema"].removeprefix("accelopt.")
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "out.json").write_text(out)
    _, err = _cli(capsys, "history", "import", str(folder), code=2)
    err = " ".join(err.split())
    article = "an" if kind[0] in "aeiou" else "a"
    assert f"out.json: is {article} {kind} document (a command's --json output), not a run record" in err
    assert "records no run" in err and "recorded its run" not in err
    assert "accelopt history show ID --json > FOLDER/ID.json" in err


def test_a_result_says_how_to_move_its_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _cli(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--json")
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "cc.json").write_text(out)
    _, err = _cli(capsys, "history", "import", str(folder), code=2)
    err = " ".join(err.split())
    assert "cc.json: is a catalog-compare result (a command's --json output), not a run record" in err
    assert "accelopt history show ID --json > FOLDER/ID.json" in err


def test_a_compare_document_is_named_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`history compare --json` holds a "command" (the compared runs' command): it fell through to '"schema"
    'accelopt.history-compare' is not a run record schema (this accelopt writes 1)', which named no fix."""
    for devices in ("h100-sxm mi300x", "h100-sxm b200"):
        _cli(capsys, "catalog", "compare", *devices.split(), "--json")
    ids = [r["id"] for r in json.loads(_cli(capsys, "history", "list", "--json", "--limit", "2")[0])["runs"]]
    out, _ = _cli(capsys, "history", "compare", *ids, "--json")
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "cmp.json").write_text(out)
    _, err = _cli(capsys, "history", "import", str(folder), code=2)
    err = " ".join(err.split())
    assert "cmp.json: is a history-compare document (a command's --json output), not a run record" in err
    assert "accelopt history show ID --json > FOLDER/ID.json" in err
    assert "not a run record schema" not in err


def test_an_error_document_is_named_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A command given --json that stops on bad input prints an `error` document, which holds a "command" (the
    command line): importing it said only that its schema is not a run record schema."""
    out, _ = _cli(capsys, "history", "prune", "--keep", "-1", "--json", code=2)
    assert json.loads(out)["schema"] == "accelopt.error"
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "err.json").write_text(out)
    _, err = _cli(capsys, "history", "import", str(folder), code=2)
    err = " ".join(err.split())
    assert "err.json: is an error document (the --json output of a command that stopped on bad input), not a run " \
           "record: a command that stops records no run" in err
    assert "accelopt history show ID --json > FOLDER/ID.json" in err
