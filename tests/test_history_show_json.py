"""`accelopt history show ID --json` printed the stored record as a bare dict ("schema": 1, no schema_version, no
`accelopt schema` entry), the one `--json` of the CLI without a named, documented shape. It is now a typed
HistoryShowDocument (`accelopt schema history-show`, docs/schemas.md), built by the same function the text view
prints from, and it imports back on another machine. Before the change the schema tests fail ("schema": 1 !=
"accelopt.history-show"; `accelopt schema history-show` exits 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import SMALL_DESIGN_TOML
from conftest import run_main_expect as _cli

from accelopt.report import history
from accelopt.report.figures import key_figures
from accelopt.report.jsonout import to_jsonable

# kind -> a small command line of it (history records each); run in process, with --json
RUNS: dict[str, list[str]] = {
    "plan": ["plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm", "--devices", "8..16",
             "--top", "2"],
    "plan-explain": ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64",
                     "--tp", "8"],
    "plan-serve": ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1,8"],
    "validate": ["validate"],
    "simulate-run": ["simulate", "run", "-d", "DESIGN", "-m", "alexnet-conv"],
    "catalog-compare": ["catalog", "compare", "h100-sxm", "mi300x"],
    "profile": ["profile", "mlp", "--steps", "3", "--warmup", "1", "--catalog-device", "h100-sxm"],
    "optimize": ["optimize", "digits", "--only", "channels-last", "--rounds", "3"],
}


def _schema(capsys: pytest.CaptureFixture[str], kind: str) -> dict[str, Any]:
    return json.loads(_cli(capsys, "schema", kind)[0])  # type: ignore[no-any-return]


def _show(capsys: pytest.CaptureFixture[str], run_id: str) -> dict[str, Any]:
    return json.loads(_cli(capsys, "history", "show", run_id, "--json")[0])  # type: ignore[no-any-return]


def test_history_show_schema_is_listed_and_documented(capsys: pytest.CaptureFixture[str]) -> None:
    listed = json.loads(_cli(capsys, "schema", "--list", "--json")[0])["kinds"]
    assert {"kind": "history-show", "schema": "accelopt.history-show", "schema_version": 1} in listed
    schema = _schema(capsys, "history-show")
    assert schema["$id"] == "accelopt.history-show"
    assert {"id", "command", "argv", "time", "versions", "host", "figures", "figures_note", "result"} <= set(
        schema["required"])
    docs = (Path(__file__).parents[1] / "docs" / "schemas.md").read_text(encoding="utf-8")
    assert "## history-show (`accelopt.history-show`, version 1)" in docs and "| `figures[].unit` |" in docs


def test_a_stored_run_of_each_kind_round_trips(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Each kind's run: `show --json` validates against its schema, carries the command's --json document unchanged
    and the key figures the text view prints; the shown document imports on another machine (a fresh store) and
    shows there the same, id included."""
    design = tmp_path / "design.toml"
    design.write_text(SMALL_DESIGN_TOML)
    schema = jsonschema.Draft202012Validator(_schema(capsys, "history-show"))
    printed: dict[str, dict[str, Any]] = {}
    for kind, argv in RUNS.items():
        args = [str(design) if a == "DESIGN" else a for a in argv]
        printed[kind] = json.loads(_cli(capsys, *args, "--json")[0])
    runs = {r.command: r.id for r in history.list_runs(limit=len(RUNS))}
    assert set(runs) == set(RUNS)
    shown = {}
    for kind, run_id in runs.items():
        doc = _show(capsys, run_id)
        schema.validate(doc)
        assert (doc["schema"], doc["schema_version"], doc["command"]) == ("accelopt.history-show", 1, kind)
        assert doc["result"] == printed[kind]
        assert doc["figures"] == to_jsonable(key_figures(kind, printed[kind])) and doc["figures"], kind
        assert doc["figures_note"] is None
        text, _ = _cli(capsys, "history", "show", run_id)
        for f in doc["figures"][:3]:  # the text view prints the document's figures
            assert f["label"] in text
        shown[kind] = doc
    folder = tmp_path / "exported"
    folder.mkdir()
    for kind, doc in shown.items():
        (folder / f"{kind}.json").write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "other-machine"))
    rep = json.loads(_cli(capsys, "history", "import", str(folder), "--json")[0])
    assert (rep["imported"], rep["skipped"]) == (len(RUNS), [])
    for doc in shown.values():
        assert _show(capsys, doc["id"]) == doc


def test_a_run_without_figures_says_why_in_the_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A result of a newer accelopt and a damaged one: `show --json` still prints the record (all there is to read of
    it), with no figures and the reason the text view gives; the text view of the damaged one stays an error."""
    newer = history.record("plan", ["plan"], {"schema": "accelopt.plan", "schema_version": 99})
    bad = history.record("profile", ["profile"], {"schema": "accelopt.profile", "schema_version": 1,
                                                  "step_time": "x"})
    assert newer and bad
    schema = jsonschema.Draft202012Validator(_schema(capsys, "history-show"))
    doc = _show(capsys, newer)
    schema.validate(doc)
    assert doc["figures"] == [] and "a newer one" in doc["figures_note"]
    assert "a newer one" in " ".join(_cli(capsys, "history", "show", newer)[0].split())
    doc = _show(capsys, bad)
    schema.validate(doc)
    assert doc["figures"] == [] and "is damaged" in doc["figures_note"] and doc["result"]["step_time"] == "x"
    _, err = _cli(capsys, "history", "show", bad, code=2)
    assert "is damaged" in err


@pytest.mark.parametrize(("version", "why"), [(2, "upgrade accelopt"), ("1", "reads version 1")])
def test_a_show_document_of_another_version_is_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       version: object, why: str) -> None:
    doc = {"schema": "accelopt.history-show", "schema_version": version, "id": "20261126T220034.123Z-validate",
           "command": "validate", "argv": ["validate"], "time": "2026-11-26T22:00:34Z", "result": {}}
    (tmp_path / "run.json").write_text(json.dumps(doc))
    rep = json.loads(_cli(capsys, "history", "import", str(tmp_path), "--skip-invalid", "--json")[0])
    assert rep["imported"] == 0 and why in rep["skipped"][0]["why"]


def test_history_compare_json_names_its_schema_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    """`history compare --json` was the other unnamed shape (a dict the table then read back by key): now
    accelopt.history-compare (v2: each side names its model, mode, device, dtype), the same fields, and the table
    prints the same figures and ratios."""
    base = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--tp", "8", "--json")
    a = json.loads(_cli(capsys, *base, "--devices", "8")[0])
    b = json.loads(_cli(capsys, *base, "--devices", "16")[0])
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    doc = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    assert (doc["schema"], doc["schema_version"], doc["command"]) == ("accelopt.history-compare", 4, "plan-explain")
    jsonschema.Draft202012Validator(_schema(capsys, "history-compare")).validate(doc)
    assert (doc["a"]["id"], doc["b"]["id"]) == (id_a, id_b) and doc["disturbed"] == {"a": [], "b": []}
    step = next(r for r in doc["figures"] if r["figure"] == "step time")
    assert step["ratio_b_over_a"] == pytest.approx(b["prediction"]["step_time_s"] / a["prediction"]["step_time_s"])
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    flat = " ".join(out.split())
    assert f"A {id_a}:" in flat and f"B {id_b}:" in flat and "step time (estimate)" in flat
