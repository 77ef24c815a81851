"""Run history: record, list, show, compare; ACCELOPT_NO_HISTORY; a failing write never loses the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.errors import InputError, UnknownNameError
from accelopt.report import history

RESULT = {"runs": [], "median_abs_error_held_out": 0.05, "median_abs_error_all": 0.04}


def test_record_round_trip() -> None:
    path = history.record("validate", ["validate", "--json"], RESULT)
    assert path is not None and path.parent == history.history_dir()
    assert str(history.history_dir()).startswith(str(history.accelopt_home()))
    rec = json.loads(path.read_text(encoding="utf-8"))
    assert set(rec) >= {"id", "command", "argv", "time", "versions", "host", "result"}
    assert rec["result"] == RESULT and rec["argv"] == ["validate", "--json"] and rec["id"] == path.stem
    assert rec["versions"]["accelopt"] and rec["id"].endswith("-validate")
    assert history.load(rec["id"])["result"] == RESULT
    assert history.load(rec["id"][:10])["id"] == rec["id"]  # unique prefix
    assert history.load("latest")["id"] == rec["id"]


def test_ids_unique_and_listed_newest_first() -> None:
    a = history.record("plan", [], {"n": 1})
    b = history.record("plan", [], {"n": 2})
    assert a is not None and b is not None and a != b
    runs = history.list_runs()
    assert [r["result"]["n"] for r in runs] == [2, 1]
    assert len(history.list_runs(limit=1)) == 1


def test_unknown_and_ambiguous_ids() -> None:
    p = history.record("validate", [], RESULT)
    assert p is not None
    with pytest.raises(UnknownNameError) as e:
        history.load(p.stem.replace("validate", "validat3"))
    assert p.stem in e.value.fix  # the closest id is suggested
    history.record("validate", [], RESULT)
    with pytest.raises(InputError, match="matches 2 runs"):
        history.load("20")


def test_no_history_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    assert history.record("validate", [], RESULT) is None
    assert not history.history_dir().exists()


def test_unwritable_home_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ACCELOPT_HOME", str(blocker))
    assert history.record("validate", [], RESULT) is None
    err = capsys.readouterr().err
    assert "warning: run not saved to history" in err and "ACCELOPT_NO_HISTORY" in err


def test_load_without_runs() -> None:
    with pytest.raises(InputError, match="no runs recorded"):
        history.load("latest")


def test_cli_list_show_compare(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--tp", "2", "--json")
    a = json.loads(_cli(capsys, *base, "--devices", "32")[0])
    b = json.loads(_cli(capsys, *base, "--devices", "64")[0])
    listed = json.loads(_cli(capsys, "history", "list", "--json")[0])
    assert listed["total"] == 2 and [r["command"] for r in listed["runs"]] == ["plan-explain"] * 2
    id_b, id_a = (r["id"] for r in listed["runs"])
    # argv rebuilt from the parsed options, in declaration order, defaults left out
    assert listed["runs"][0]["argv"] == ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm",
                                         "--devices", "64", "--tp", "2", "--json"]
    shown = json.loads(_cli(capsys, "history", "show", id_a, "--json")[0])
    assert shown["result"]["terms"] == json.loads(json.dumps(a["terms"]))
    assert "--devices" in shown["argv"] and "32" in shown["argv"]
    cmp = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    step = next(r for r in cmp["figures"] if r["figure"] == "step time")
    assert step["ratio_b_over_a"] == pytest.approx(b["terms"]["step_time_s"] / a["terms"]["step_time_s"])
    assert step["estimate"] is True
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    assert "B / A" in out and "step time" in out
    page = tmp_path / "again.html"
    _cli(capsys, "history", "show", id_a, "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and id_a in text and "--devices 32" in text


def test_cli_errors(capsys: pytest.CaptureFixture[str]) -> None:
    history.record("validate", [], RESULT)
    p = history.record("plan", [], {"best": []})
    assert p is not None
    _, err = _cli(capsys, "history", "show", p.stem.replace("plan", "plam"), code=2)
    assert p.stem in err
    ids = history.run_ids()
    _, err = _cli(capsys, "history", "compare", ids[0], ids[1], code=2)
    assert "different commands" in err
    _, err = _cli(capsys, "history", "list", "--limit", "0", code=2)
    assert "--limit" in err
