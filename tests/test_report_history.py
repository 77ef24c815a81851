"""Run history (SQLite store): record, list, show, compare, prune, import; concurrent writers; damaged stores and
malformed records; ACCELOPT_NO_HISTORY; a failing write never loses the result."""

from __future__ import annotations

import contextlib
import datetime
import json
import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_main
from conftest import run_main_expect as _cli

from accelopt.errors import InputError, UnknownNameError
from accelopt.report import history


@contextlib.contextmanager
def _db(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A connection of the test's own, committed and closed on exit (an open one would hold back checkpoints)."""
    con = sqlite3.connect(path or history.store_path())
    try:
        with con:
            yield con
    finally:
        con.close()


RESULT = {"runs": [], "median_abs_error_held_out": 0.05, "median_abs_error_all": 0.04}
COMPARE = ("catalog", "compare", "h100-sxm", "mi300x", "--json")  # a fast command that records a run


def test_record_round_trip() -> None:
    run_id = history.record("validate", ["validate", "--json"], RESULT)
    assert run_id is not None and run_id.split("-")[1] == "validate"
    assert history.store_path().parent == history.accelopt_home()
    with _db() as con:  # a real SQLite file, in WAL mode, with a schema version
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(history.SCHEMA_VERSION,)]
    rec = history.load(run_id)
    assert rec.result == RESULT and rec.argv == ["validate", "--json"] and rec.id == run_id
    assert rec.versions["accelopt"] and rec.time_utc.endswith("Z")
    assert history.load(run_id[:10]).id == run_id  # unique prefix
    assert history.load("latest").id == run_id
    assert rec.to_dict()["result"] == RESULT and rec.to_dict()["time"] == rec.time_utc


def test_ids_unique_and_listed_newest_first() -> None:
    a = history.record("plan", [], {"n": 1})
    b = history.record("plan", [], {"n": 2})
    assert a is not None and b is not None and a != b
    assert [r.result["n"] for r in history.list_runs()] == [2, 1]
    assert [r.result["n"] for r in history.list_runs(limit=1)] == [2]
    assert [r.result["n"] for r in history.list_runs(limit=1, offset=1)] == [1]
    assert history.run_ids() == [a, b] and history.count() == 2


def test_unknown_and_ambiguous_ids() -> None:
    run_id = history.record("validate", [], RESULT)
    assert run_id is not None
    with pytest.raises(UnknownNameError) as e:
        history.load(run_id.replace("validate", "validat3"))
    assert run_id in e.value.fix  # the closest id is suggested
    history.record("validate", [], RESULT)
    with pytest.raises(InputError, match="matches 2 runs"):
        history.load("20")


def test_no_history_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    assert history.record("validate", [], RESULT) is None
    assert not history.store_path().exists()


def test_unwritable_home_warns_and_the_result_is_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ACCELOPT_HOME", str(blocker))
    out, err = _cli(capsys, *COMPARE)
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"]
    assert "warning: run not saved to history" in err and err.count("ACCELOPT_NO_HISTORY") == 1
    for argv in (["history", "list"], ["history", "prune", "--keep", "1"], ["history", "show", "latest"]):
        _, err = _cli(capsys, *argv, code=2)  # not "no runs recorded" / "pruned 0 runs" of a store never read
        assert f"$ACCELOPT_HOME {blocker} is a file" in err and "fix:" in err


def test_load_without_runs() -> None:
    with pytest.raises(InputError, match="no runs recorded"):
        history.load("latest")
    assert history.list_runs() == [] and not history.store_path().exists()  # reading creates nothing


def _record_one(barrier: object, i: int) -> None:
    barrier.wait()  # type: ignore[attr-defined]  # all start together: the store is created under contention too
    history.record("plan", ["plan", "--n", str(i)], {"n": i})


def test_50_concurrent_processes_leave_50_runs() -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(50)
    procs = [ctx.Process(target=_record_one, args=(barrier, i)) for i in range(50)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 50
    runs = history.list_runs()
    assert sorted(r.result["n"] for r in runs) == list(range(50)) and len({r.id for r in runs}) == 50


def _damage_store(kind: str) -> bytes:
    """Make the store 'not a database' (text) or 'malformed' (a valid header, garbage pages); return its bytes."""
    path = history.store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "text":
        path.write_bytes(b"these are my notes, not a database\n" * 200)
    else:
        for i in range(30):
            history.record("validate", [], {**RESULT, "pad": "x" * 3000, "i": i})
        with _db(path) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = bytearray(path.read_bytes())
        page = 4096
        data[page:len(data)] = bytes((7 * i) % 251 for i in range(len(data) - page))  # every page after the first
        path.write_bytes(bytes(data))
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["text", "malformed"])
def test_damaged_store_is_reported_and_never_touched(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _damage_store(kind)
    history.legacy_dir().mkdir()
    for argv in (["history", "list"], ["history", "show", "latest"], ["history", "prune", "--keep", "1"],
                 ["history", "import"]):
        code, _, err = run_main(argv, capsys)
        assert code == 2, (argv, err)
        assert "error: history store" in err and "damaged" in err and "fix:" in err and "Traceback" not in err
    out, err = _cli(capsys, *COMPARE)  # a results command still prints its result, with a warning
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"] and "run not saved to history" in err
    assert history.store_path().read_bytes() == before  # byte for byte: never replaced, repaired or written


def test_foreign_sqlite_file_is_not_taken_over(capsys: pytest.CaptureFixture[str]) -> None:
    path = history.store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _db(path) as con:
        con.execute("CREATE TABLE notes (t TEXT)")
    before = path.read_bytes()
    code, _, err = run_main(["history", "list"], capsys)
    assert code == 2 and "not an accelopt history store" in err and path.read_bytes() == before


def test_newer_schema_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    history.record("validate", [], RESULT)
    with _db() as con:
        con.execute("UPDATE schema_version SET version = ?", (history.SCHEMA_VERSION + 1,))
    code, _, err = run_main(["history", "list"], capsys)
    assert code == 2 and "newer accelopt" in err


@pytest.mark.parametrize(("ddl", "needle"), [
    ("CREATE TABLE runs (seq INTEGER PRIMARY KEY, id TEXT, command TEXT, time_utc TEXT); "
     "INSERT INTO schema_version VALUES (1)", "a runs table without argv_json"),
    ("INSERT INTO schema_version VALUES (1)", "has no runs table"),
    ("INSERT INTO schema_version VALUES ('abc')", "schema version 'abc', which no accelopt writes"),
    ("INSERT INTO schema_version VALUES (0)", "schema version 0, which no accelopt writes"),
])
def test_store_of_another_shape_is_refused_untouched(ddl: str, needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A store with a schema_version table but not accelopt's runs table, or a version no accelopt wrote: a text
    version was a TypeError traceback, a missing table or column blamed the folder's permissions."""
    path = history.store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _db(path) as con:
        con.execute("CREATE TABLE schema_version (version INTEGER)")
        for statement in ddl.split("; "):
            con.execute(statement)
    before = path.read_bytes()
    code, _, err = run_main(["history", "list"], capsys)
    assert code == 2 and needle in err and "Traceback" not in err and "folder you can write to" not in err
    out, err = _cli(capsys, *COMPARE)
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"] and needle in err
    assert path.read_bytes() == before


@pytest.mark.parametrize(("column", "value"), [("result_json", "[1, 2, 3]"), ("argv_json", "5"),
                                               ("result_json", "{not json"), ("time_utc", "yesterday"),
                                               ("argv_json", '["ok", 7]')])
def test_malformed_record_is_skipped_with_a_warning(column: str, value: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, "catalog", "compare", "h100-sxm", "mi300x")
    _cli(capsys, "catalog", "compare", "h100-sxm", "a100-sxm-80gb")
    good, bad = history.run_ids()
    with _db() as con:
        con.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, bad))
    out, err = _cli(capsys, "history", "list")
    assert good in out and bad not in out and f"skipped run '{bad}'" in err
    listed = json.loads(_cli(capsys, "history", "list", "--json")[0])
    assert [r["id"] for r in listed["runs"]] == [good]
    assert json.loads(_cli(capsys, "history", "show", "latest", "--json")[0])["id"] == good  # the newest valid one
    for argv in (["history", "show", bad], ["history", "compare", good, bad]):
        _, err = _cli(capsys, *argv, code=2)
        assert f"run {bad}" in err and "is damaged" in err and "Traceback" not in err


def test_prune(capsys: pytest.CaptureFixture[str]) -> None:
    ids = [history.record("plan", [], {"n": i}) for i in range(6)]
    with _db() as con:  # the two oldest are 40 days old
        for run_id in ids[:2]:
            con.execute("UPDATE runs SET time_utc = '2020-01-01T00:00:00.000000Z' WHERE id = ?", (run_id,))
    for age_days in ("1e6", "1e30"):  # an age before year 1: no run is that old, none goes (it used to overflow)
        assert json.loads(_cli(capsys, "history", "prune", "--older-than", age_days, "--json")[0])["deleted"] == 0
    assert history.run_ids() == ids
    out, _ = _cli(capsys, "history", "prune", "--older-than", "30", "--keep", "5")
    assert out.strip().startswith("pruned 1 run; 5 left")  # the AND of both: only the oldest beyond 5 goes
    assert history.run_ids() == ids[1:]
    rep = json.loads(_cli(capsys, "history", "prune", "--keep", "2", "--json")[0])
    assert rep["deleted"] == 3 and rep["remaining"] == 2 and history.run_ids() == ids[4:]
    assert json.loads(_cli(capsys, "history", "prune", "--older-than", "0", "--json")[0])["remaining"] == 0
    for i in range(40):  # pruning gives the space back
        history.record("plan", [], {"pad": "x" * 20_000, "i": i})
    full_bytes = history.store_path().stat().st_size
    _cli(capsys, "history", "prune", "--keep", "1")
    assert history.store_path().stat().st_size < full_bytes / 4
    for argv, match in ((["history", "prune"], "--keep"), (["history", "prune", "--keep", "-1"], "--keep"),
                        (["history", "prune", "--older-than", "nan"], "--older-than nan is not a finite number"),
                        (["history", "prune", "--older-than", "inf"], "--older-than inf is not a finite number"),
                        (["history", "prune", "--older-than", "-1"], "--older-than -1 must be >= 0")):
        err = _cli(capsys, *argv, code=2)[1]
        assert match in err and (">= 0" not in err or argv[-1] == "-1"), err  # inf is >= 0: it is not finite


def _legacy_files(folder: Path) -> dict[str, bytes]:
    """Old one-JSON-file-per-run records: two good ones and four bad ones."""
    folder.mkdir(parents=True, exist_ok=True)
    good = {"schema": 1, "command": "validate", "argv": ["validate"], "time": "2026-11-26T22:00:34+00:00",
            "versions": {"accelopt": "0.1.0"}, "host": {"name": "h"}, "result": RESULT}
    files = {
        "20261126T220034.123Z-validate.json": {**good, "id": "20261126T220034.123Z-validate"},
        "20261126T220035.000Z-plan.json": {**good, "id": "20261126T220035.000Z-plan", "command": "plan",
                                           "time": "2026-11-26T22:00:35+00:00", "result": {"best": []}},
        "bad-result.json": {**good, "id": "bad-result", "result": [1, 2, 3]},
        "bad-argv.json": {**good, "id": "bad-argv", "argv": 5},
    }
    out = {name: json.dumps(doc).encode() for name, doc in files.items()}
    out["not-json.json"] = b"{\"id\": "
    out["binary.json"] = bytes(range(256))
    for name, data in out.items():
        (folder / name).write_bytes(data)
    return out


def test_legacy_json_imported_once_when_the_store_is_created(capsys: pytest.CaptureFixture[str]) -> None:
    files = _legacy_files(history.legacy_dir())
    out, err = _cli(capsys, "history", "list")
    assert "imported 2 runs" in err and err.count("warning: skipped") == 4
    assert "20261126T220034.123Z-validate" in out and "20261126T220035.000Z-plan" in out
    assert history.load("20261126T220034").argv == ["validate"]
    assert history.load("latest").command == "plan"
    _, err = _cli(capsys, "history", "list")
    assert "imported" not in err  # once
    assert {p.name: p.read_bytes() for p in history.legacy_dir().iterdir()} == files  # the files are left alone
    rep = json.loads(_cli(capsys, "history", "import", "--json", "--skip-invalid")[0])  # by hand: idempotent
    assert rep["imported"] == 0 and rep["already_present"] == 2 and len(rep["skipped"]) == 4
    assert history.count() == 2


def test_import_command_from_another_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history.record("validate", [], RESULT)
    _legacy_files(tmp_path / "old")
    out, err = _cli(capsys, "history", "import", str(tmp_path / "old"), "--skip-invalid")
    assert "imported 2 runs" in out and "2 already" not in out and "bad-argv.json" in err
    assert history.count() == 3
    _, err = _cli(capsys, "history", "import", str(tmp_path / "none"), code=2)
    assert "is not a folder" in err


def test_cli_list_show_compare(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--tp", "2", "--json")
    a = json.loads(_cli(capsys, *base, "--devices", "32")[0])
    b = json.loads(_cli(capsys, *base, "--devices", "64")[0])
    listed = json.loads(_cli(capsys, "history", "list", "--json")[0])
    assert listed["total"] == 2 and [r["command"] for r in listed["runs"]] == ["plan-explain"] * 2
    id_b, id_a = (r["id"] for r in listed["runs"])
    assert listed["runs"][0]["argv"] == [*base, "--devices", "64"]  # as typed, not rebuilt from the options
    shown = json.loads(_cli(capsys, "history", "show", id_a, "--json")[0])
    assert shown["result"]["terms"] == json.loads(json.dumps(a["terms"]))
    assert shown["argv"][-2:] == ["--devices", "32"]
    cmp = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    step = next(r for r in cmp["figures"] if r["figure"] == "step time")
    assert step["ratio_b_over_a"] == pytest.approx(b["prediction"]["step_time_s"] / a["prediction"]["step_time_s"])
    assert step["estimate"] is True
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    assert "B / A" in out and "step time" in out
    page = tmp_path / "again.html"
    _cli(capsys, "history", "show", id_a, "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and id_a in text and "--devices 32" in text


def test_cli_list_pages(capsys: pytest.CaptureFixture[str]) -> None:
    ids = [history.record("plan", ["plan", "--top", str(i)], {"n": i}) for i in range(5)]
    out, _ = _cli(capsys, "history", "list", "--limit", "2")
    assert ids[4] in out and ids[3] in out and ids[2] not in out and "--offset 2 --limit 2" in out
    page = json.loads(_cli(capsys, "history", "list", "--limit", "2", "--offset", "2", "--json")[0])
    assert [r["id"] for r in page["runs"]] == [ids[2], ids[1]] and page["total"] == 5
    assert "--offset" in _cli(capsys, "history", "list", "--offset", "-1", code=2)[1]


def test_cli_errors(capsys: pytest.CaptureFixture[str]) -> None:
    history.record("validate", [], RESULT)
    run_id = history.record("plan", [], {"best": []})
    assert run_id is not None
    _, err = _cli(capsys, "history", "show", run_id.replace("plan", "plam"), code=2)
    assert run_id in err
    ids = history.run_ids()
    _, err = _cli(capsys, "history", "compare", ids[0], ids[1], code=2)
    assert "different commands" in err
    _, err = _cli(capsys, "history", "list", "--limit", "0", code=2)
    # the problem read 'error: --limit 0' alone: it now says what is wrong with it
    assert "--limit 0 lists no run" in err and "--limit 1 or more" in err
    _, err = _cli(capsys, "history", "list", "--offset", "-1", code=2)
    assert "--offset -1 is negative" in err


def test_misshapen_result_is_an_error_not_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A record that is valid JSON and names its result schema, but whose result is not shaped like it (edited by
    hand); a result of another schema version (`good`, an older accelopt's) is not an error, only not readable."""
    good = history.record("profile", ["profile"], {"name": "m"})
    bad = history.record("profile", ["profile"], {"schema": "accelopt.profile", "schema_version": 1,
                                                  "step_time": "x", "energy": 3})
    out, err = _cli(capsys, "history", "list")
    assert bad in out and "n/a (result unreadable)" in out and f"warning: run {bad} is damaged" in err
    for argv in (["history", "show", "latest"], ["history", "show", bad, "--html", str(tmp_path / "p.html")],
                 ["history", "compare", str(good), str(bad)]):
        _, err = _cli(capsys, *argv, code=2)
        assert f"run {bad} is damaged: its result is not shaped like a profile result" in err


def test_an_id_clash_gets_a_new_random_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs drawing the same id (same millisecond, same random part): the store's unique id column refuses
    the second, which is stored under a fresh id instead of being lost or overwriting the first."""
    real = history._new_id
    draws = iter(["20261129T000000.000Z-plan-aaaaaa"] * 2)
    monkeypatch.setattr(history, "_new_id", lambda command, now: next(draws, None) or real(command, now))
    first = history.record("plan", [], {"n": 1})
    second = history.record("plan", [], {"n": 2})
    assert first == "20261129T000000.000Z-plan-aaaaaa" and second not in (None, first)
    assert sorted(r.result["n"] for r in history.list_runs()) == [1, 2]


def test_group_options_before_a_subcommand_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`history --json list` printed the table and `history --limit 1 list` twenty runs: the group's options
    were dropped without a word."""
    history.record("plan", [], {"n": 1})
    for argv, named in ((["history", "--json", "list"], "--json"), (["history", "--limit", "1", "list"], "--limit"),
                        (["history", "--offset", "1", "show", "latest"], "--offset")):
        out, err = _cli(capsys, *argv, code=2)
        assert named in err and "fix:" in err and "after the subcommand" in err
        # stdout: the error document where --json was given (the bare group takes it; uthf), else nothing
        assert (json.loads(out)["schema"] == "accelopt.error") if "--json" in argv else out == ""
    assert json.loads(_cli(capsys, "history", "--json", "--limit", "1")[0])["total"] == 1  # the bare form still lists


def test_imported_command_cannot_break_out_of_the_page(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A run file's "command" is user text: the page's generator tag printed it inside an attribute with JSON
    escaping (\\" ends an HTML attribute), so `"><script>` in an imported file ran as a script."""
    folder = tmp_path / "runs"
    folder.mkdir()
    hostile = '"><script>alert(1)</script>'
    (folder / "x.json").write_text(json.dumps({"command": hostile, "time": "2026-01-01T00:00:00Z", "result": {}}))
    _cli(capsys, "history", "import", str(folder))
    page = tmp_path / "x.html"
    _cli(capsys, "history", "show", "x", "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "&lt;script&gt;" in text


def test_a_run_file_without_versions_or_host_is_not_given_this_machines(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path) -> None:
    """`show` printed 'on None; accelopt None' and the page this machine's host and versions for a run file that
    recorded none; a result of another schema version printed an empty key-figures table without saying why."""
    folder = tmp_path / "runs"
    folder.mkdir()
    newer = {"schema": "accelopt.plan", "schema_version": 99}
    (folder / "old.json").write_text(json.dumps({"command": "plan", "time": "2026-01-01T00:00:00Z", "result": newer}))
    _cli(capsys, "history", "import", str(folder))
    out, _ = _cli(capsys, "history", "show", "old")
    assert "None" not in out and "accelopt plan\n" in out
    assert "on host not recorded (platform not recorded); accelopt not recorded, torch not recorded" in out
    assert ("another version of accelopt (schema accelopt.plan version 99), a newer one: this accelopt reads plan "
            "results up to version") in " ".join(out.split())
    assert "upgrade accelopt to read it; only its JSON is shown" in " ".join(out.split())
    assert "key figures" not in out
    page = tmp_path / "old.html"
    _cli(capsys, "history", "show", "old", "--html", str(page))
    text = page.read_text(encoding="utf-8")
    assert "accelopt not recorded, torch not recorded" in text and "host not recorded (platform not" in text


def test_a_locked_store_is_called_locked_and_the_result_is_kept(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A store another process kept locked past the wait said 'make $ACCELOPT_HOME a folder you can write to'; an
    empty run id said it 'matches' every run."""
    history.record("validate", [], RESULT)
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(history.store_path(), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        out, err = _cli(capsys, *COMPARE)
    finally:
        holder.close()
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"]
    assert "stayed locked by another process for 0.2 s" in err and "run again when the other accelopt" in err
    assert "folder you can write to" not in err
    _, err = _cli(capsys, "history", "show", " ", code=2)
    assert "the run id is empty" in err and "matches" not in err


def test_offset_and_keep_past_sqlites_integers(capsys: pytest.CaptureFixture[str]) -> None:
    """`history list --offset 99999999999999999999` and `prune --keep 99999999999999999999` were OverflowError
    tracebacks (sqlite integers are 64-bit): they mean past every run / keep every run."""
    history.record("validate", [], RESULT)
    huge = "99999999999999999999"
    out, _ = _cli(capsys, "history", "list", "--offset", huge)
    assert "no runs recorded" in out
    out, _ = _cli(capsys, "history", "prune", "--keep", huge)
    assert "pruned 0 runs; 1 left" in out


def test_import_refuses_a_run_from_the_future(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A run file dated 9999-12-31 was imported and stayed the newest run (`history show latest`) for ever."""
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "future.json").write_text(json.dumps({"command": "plan", "time": "9999-12-31T23:59:59Z", "result": {}}))
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    (folder / "now.json").write_text(json.dumps({"command": "plan", "time": now, "result": {}}))
    out, err = _cli(capsys, "history", "import", str(folder), "--skip-invalid")
    assert "imported 1 run " in out and "future.json" in err and "is in the future" in err


OUT_OF_RANGE = {"id": "r1", "command": "simulate-run", "time": "9999-12-31T23:00:00-05:00", "argv": [], "result": {}}


def test_a_legacy_time_past_year_9999_is_skipped_and_the_result_kept(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    """A legacy run file whose time is 10000-01-01 in UTC raised OverflowError ('date value out of range'): the
    command that first opened the store exited 1 with no output, `history list` crashed on every call, and
    `history import` imported none of the good files beside it."""
    history.legacy_dir().mkdir(parents=True)
    (history.legacy_dir() / "r1.json").write_text(json.dumps(OUT_OF_RANGE))
    out, err = _cli(capsys, "simulate", "run", "-d", "edge-npu", "-m", "alexnet-conv", "--json")
    assert json.loads(out)["layers"] and "r1.json" in err and "9999-12-31T23:00:00-05:00" in err
    assert history.load("latest").command == "simulate-run" and history.count() == 1
    out, err = _cli(capsys, "history", "list")
    assert "simulate run" in out or "simulate-run" in out
    folder = tmp_path / "old"
    _legacy_files(folder)
    (folder / "r1.json").write_text(json.dumps(OUT_OF_RANGE))
    out, err = _cli(capsys, "history", "import", str(folder), "--skip-invalid")
    assert "imported 2 runs" in out and "r1.json" in err and "out of range" in err


def test_times_before_year_1000_are_compared_as_times(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """strftime('%Y') writes year 999 as '999', and times were compared as text: a run file of 0999-01-01 was
    'in the future', and `prune --older-than 400000` (a cut-off in year 931) deleted a run made today."""
    history.record("validate", [], RESULT)
    out, _ = _cli(capsys, "history", "prune", "--older-than", "400000")
    assert "pruned 0 runs; 1 left" in out
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"command": "plan", "time": "0999-01-01T00:00:00Z", "result": {}}))
    out, err = _cli(capsys, "history", "import", str(folder), "--skip-invalid")
    assert "imported 1 run " in out and "future" not in err
    assert history.load("a").time_utc == "0999-01-01T00:00:00.000000Z"  # the store's form, so it lists
    assert [r.id for r in history.list_runs()][-1] == "a"


def test_a_legacy_file_nested_too_deeply_is_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    """A run file of 100000 nested lists raised RecursionError from json.loads: the command that first opened the
    store exited 1 with no output, and `history list` crashed while the file was there."""
    history.legacy_dir().mkdir(parents=True)
    (history.legacy_dir() / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    out, err = _cli(capsys, *COMPARE)
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"]
    assert "deep.json" in err and "nested too deeply" in err and history.count() == 1
    with _db() as con:  # a row written by another tool, nested as deeply: skipped as damaged, not a crash
        con.execute("UPDATE runs SET result_json = ?", ("[" * 100_000 + "]" * 100_000,))
    out, err = _cli(capsys, "history", "list")
    assert "no readable run among runs 1-1 of 1" in " ".join(out.split()) and "is damaged" in err  # not "no runs"


def test_compare_says_which_run_was_measured_on_a_busy_machine(capsys: pytest.CaptureFixture[str]) -> None:
    """`history compare` of two profiles printed 'B / A 1.78x' with no hint that a run's own page had flagged its
    step time as disturbed by other processes; the ratio read as a finding. The disturbed run's warnings are now
    printed above the table and listed in --json (`disturbed`)."""
    doc = json.loads(_cli(capsys, "profile", "mlp", "--steps", "3", "--warmup", "0", "--json")[0])
    quiet = {**doc, "contention": {**doc["contention"], "warnings": [], "disturbed": []}}
    busy = {**doc, "contention": {**doc["contention"], "warnings": ["other processes used 1.50 cores [on average]"],
                                  "disturbed": ["step time"]}}
    id_a = history.record("profile", ["profile", "mlp"], quiet)
    id_b = history.record("profile", ["profile", "mlp"], busy)
    cmp = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    assert cmp["disturbed"] == {"a": [], "b": ["other processes used 1.50 cores [on average]"]}
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    assert "B was measured on a busy machine: other processes used 1.50 cores [on average]" in out
    assert "A was measured" not in out


def test_a_listing_says_why_a_run_shows_no_figures(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`history list` left the key-figures cell blank for a run of a newer accelopt (schema_version 99) and for one
    recorded before versioned results; `show` called a result of a newer accelopt just 'another version'."""
    newer = history.record("plan", ["plan"], {"schema": "accelopt.plan", "schema_version": 99})
    old = history.record("profile", ["profile"], {})
    out, _ = _cli(capsys, "history", "list")
    flat = " ".join(out.split())
    assert f"{newer} │ accelopt plan │ n/a (schema version 99, newer)" in flat
    assert f"{old} │ accelopt profile │ n/a (from before versioned results)" in flat


def test_import_skips_a_run_file_whose_result_is_another_commands(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    """A profile result filed as a plan run was imported, then listed blank and shown as 'written by another
    version of accelopt (schema accelopt.profile version 2)': neither is what is wrong with it."""
    folder = tmp_path / "runs"
    folder.mkdir()
    profile_doc = {"schema": "accelopt.profile", "schema_version": 2}
    (folder / "x.json").write_text(json.dumps({"command": "plan", "time": "2026-01-01T00:00:00Z",
                                               "result": profile_doc}))
    out, err = _cli(capsys, "history", "import", str(folder), "--skip-invalid")
    assert "imported 0 runs" in out
    assert 'skipped ' in err and '"result" is schema accelopt.profile, not the plan result "command" names' in err
    run_id = history.record("plan", ["plan"], profile_doc)  # one already stored (by an older accelopt): said so
    out, _ = _cli(capsys, "history", "show", str(run_id))
    assert ("This run's result is schema accelopt.profile, not a plan result (accelopt.plan): the record was filed "
            "under the wrong command") in " ".join(out.split())


def test_compare_of_an_imported_run_holding_infinity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A stored run whose figure is JSON Infinity (an earlier accelopt's `history import` stored such a file as is;
    import now skips it: tests/test_history_import_figure_ranges.py) compared as '0x' against a finite one."""
    import datetime as dt

    doc = json.loads(_cli(capsys, *COMPARE)[0])
    row = doc["rows"][0]
    inf_doc = {**doc, "rows": [{**row, "values": [float("inf"), *row["values"][1:]]}, *doc["rows"][1:]]}
    rec = history.RunRecord(id="20260101T000000.000Z-catalog-compare-aaaaaa", command="catalog-compare", argv=[],
                            time_utc=history._stamp(dt.datetime(2026, 1, 1)), versions={}, host={}, result=inf_doc)
    with history._store(create=True) as con:  # written as that earlier import wrote it: json.dumps, Infinity kept
        assert con is not None
        with history._transaction(con):
            history._insert_imported(con, rec)
    id_b = history.record("catalog-compare", ["catalog", "compare"], doc)
    out, _ = _cli(capsys, "history", "compare", "20260101T000000.000Z-catalog-compare-aaaaaa", str(id_b))
    assert " 0x" not in out and "nanx" not in out and "infx" not in out


def test_compare_of_a_run_it_cannot_read_is_an_error_not_an_empty_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Two stored plan runs, one of schema_version '2' (a string) and one from before versioned results, compared
    as an empty table under 'A ...: accelopt ' (their empty command lines); the string version was called 'another
    version ... version 2; this accelopt reads plan version 2'."""
    bad = history.record("plan", [], {"schema": "accelopt.plan", "schema_version": "2"})
    old = history.record("plan", [], {})
    _, err = _cli(capsys, "history", "compare", str(bad), str(old), code=2)
    assert (f"run {bad} has no figures to compare: this result's schema_version '2' is not a whole number: the "
            "record is damaged or hand-edited") in " ".join(err.split())
    out, _ = _cli(capsys, "history", "list")
    assert "n/a (schema_version '2' is not a number)" in out
    other = history.record("foo", [], {"x": 1})
    out, _ = _cli(capsys, "history", "show", str(other))
    assert "accelopt keeps no result schema for a command named 'foo'" in out


def test_import_names_a_commands_json_output_for_what_it_is(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    """A folder holding `plan --json > plan.json` was skipped with '"command" is NoneType, not str'."""
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "plan.json").write_text(json.dumps({"schema": "accelopt.plan", "schema_version": 2, "model": "m"}))
    # exit 2: a folder with no run record is an error since rvs32b, 2026-12-05 (with --skip-invalid too)
    _, err = _cli(capsys, "history", "import", str(folder), "--skip-invalid", code=2)
    assert ("plan.json: is a plan result (a command's --json output), not a run record: the command recorded its "
            "run when it ran") in " ".join(err.split())
    # `optimize --json > opt.json` was 'is a optimize result'
    (folder / "opt.json").write_text(json.dumps({"schema": "accelopt.optimize", "schema_version": 9}))
    _, err = _cli(capsys, "history", "import", str(folder), "--skip-invalid", code=2)
    assert "opt.json: is an optimize result (a command's --json output)" in " ".join(err.split())


def test_compare_of_busy_probes_speaks_of_the_device(capsys: pytest.CaptureFixture[str]) -> None:
    """A busy probe's warning in `history compare` said its figures 'may not describe the model': a probe measures a
    device. The subject follows the command (profile: the model)."""
    from accelopt.hardware.detect import detect_cpu
    from accelopt.measure.probe import Figure, ProbeResult
    from accelopt.report import schema

    fig = Figure(metric="matmul.fp32", unit="FLOP/s", median=6e10, p10=6e10, p90=6e10, spread=0.0, n=3, detail="x")
    result = ProbeResult(device=detect_cpu(), host="h", date="2026-12-02", torch_version="t", quick=True, threads=2,
                         figures=[fig])
    result.contention.add("other processes used 1.42 cores on average", "matmul.fp32")
    doc = schema.dump("probe", result)
    id_a = history.record("probe", ["probe"], doc)
    id_b = history.record("probe", ["probe"], doc)
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    text = " ".join(out.split())
    assert "B was measured on a busy machine: other processes used 1.42 cores on average" in text
    assert "may not describe the device" in text and "the model" not in text, text


def test_pages_past_a_damaged_run_neither_overlap_nor_point_past_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    # a page read on past a damaged row: with runs [4 3 2 1] and 3 damaged, `--limit 2` showed 4 and 2, and the
    # next page (--offset 2) showed 2 again; with 3 runs and 1 damaged, `history list` (limit 20) showed 2 and
    # pointed to `--offset 20`, an empty page. A page is `limit` rows of the store, damaged ones included
    ids = [history.record("plan", [], {"n": i}) for i in range(1, 5)]
    with _db() as con:
        con.execute("UPDATE runs SET result_json = '{not json' WHERE id = ?", (ids[2],))
    pages = [[r.result["n"] for r in history.list_runs(limit=2, offset=k)] for k in (0, 2)]
    assert pages == [[4], [2, 1]]
    out, err = _cli(capsys, "history", "list", "--limit", "2")
    assert "--offset 2 --limit 2" in out and "1 damaged: skipped" in " ".join(out.split()) and ids[2] in err
    out, _ = _cli(capsys, "history", "list")
    assert "older runs" not in out
    out, _ = _cli(capsys, "history", "list", "--limit", "1", "--offset", "1")
    assert "no readable run among runs 2-2 of 4" in " ".join(out.split()) and "--offset 2 --limit 1" in out
    assert json.loads(_cli(capsys, "history", "show", "latest", "--json")[0])["result"]["n"] == 4


def test_a_wait_for_a_locked_store_is_said_before_it_is_waited(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A command whose store another process held waited up to 30 s before printing its result, without a word
    (ut3io, 2026-12-06): past WAIT_NOTE_S a line on stderr says what it waits for; the store freed, the run is kept."""
    import threading

    history.record("validate", [], RESULT)
    monkeypatch.setattr(history, "WAIT_NOTE_S", 0.1)
    holder = sqlite3.connect(history.store_path(), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.8, holder.close)
    release.start()
    try:
        out, err = _cli(capsys, *COMPARE)
    finally:
        release.join()
    assert json.loads(out)["devices"] == ["h100-sxm", "mi300x"]
    assert "is locked by another process; waiting up to 29.9 s more to write it" in err, err
    assert "not saved" not in err and history.count() == 2
