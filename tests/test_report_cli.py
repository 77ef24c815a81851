"""`--html PATH` and history recording through the real commands (cli.main.main)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history
from accelopt.report.figures import fmt


def _page(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text)
    return text


def test_plan_html_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "plan.html"
    out, err = _cli(capsys, "plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm",
                    "--devices", "8,16", "--top", "2", "--json", "--html", str(page))
    data = json.loads(out)  # stdout holds the JSON only
    assert f"HTML report written to {page}" in err
    text = _page(page)
    assert fmt(data["best"][0]["train_time_s"], "s") in text and 'class="est"' in text
    (run,) = history.list_runs()
    assert run.command == "plan" and run.result["best"] == data["best"]
    assert run.argv == ["plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm", "--devices",
                        "8,16", "--top", "2", "--json", "--html", str(page)]  # as typed


def test_simulate_html_console(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "sim.html"
    out, _ = _cli(capsys, "simulate", "run", "-d", "eyeriss", "-m", "alexnet-conv", "--html", str(page))
    assert "total" in out  # the console tables are still printed
    text = _page(page)
    run = history.load("latest")
    assert run.command == "simulate-run"
    assert fmt(run.result["totals"]["latency_s"], "s") in text and "eyeriss" in text


def test_validate_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "v.html"
    _cli(capsys, "validate", "--html", str(page))
    text = _page(page)
    result = history.load("latest").result
    assert fmt(result["median_abs_error_held_out"], "fraction") in text
    assert all(r["id"] in text for r in result["runs"])


def test_serve_and_compare_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _cli(capsys, "plan", "serve", "--model", "llama3-8b", "--batch", "1,8", "--html", str(tmp_path / "s.html"))
    assert "TPOT" in _page(tmp_path / "s.html")
    _cli(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--html", str(tmp_path / "c.html"))
    text = _page(tmp_path / "c.html")
    assert "mi300x" in text and "ratio" in text
    assert [r.command for r in history.list_runs()] == ["catalog-compare", "plan-serve"]


def test_bad_html_path_keeps_output_and_history(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """2026-12-05, htmlsafe: the folder was missing from the start; every command now refuses such a path before
    the work (tests/test_html_replaces_only_its_own.py), so here it goes missing during the run, as a folder
    removed while validate runs would: the output and the run are still kept and the fix names the run."""
    from accelopt.predict import validation

    folder = tmp_path / "nope"
    folder.mkdir()
    report = validation.validate_report

    def folder_removed_meanwhile(*args: object, **kwargs: object) -> object:
        folder.rmdir()
        return report(*args, **kwargs)

    monkeypatch.setattr(validation, "validate_report", folder_removed_meanwhile)
    out, err = _cli(capsys, "validate", "--json", "--html", str(folder / "v.html"), code=2)
    assert json.loads(out)["runs"]  # the JSON was printed before the error
    run_id = history.run_ids()[-1]
    assert "does not exist" in err and f"accelopt history show {run_id} --html" in err


def test_no_history_env(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    _cli(capsys, "validate", "--json")
    assert history.run_ids() == []


def test_profile_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    out, _ = _cli(capsys, "profile", "mlp", "--steps", "3", "--warmup", "1", "--json", "--html", str(page))
    data = json.loads(out)
    text = _page(page)
    assert fmt(data["step_time"]["median"], "s") in text and data["name"] in text
    assert history.load("latest").command == "profile"
    assert ('class="est"' in text) is bool(data["energy"]["is_estimate"])  # measured step, energy may be estimated


def test_history_show_to_a_bad_html_path_blames_the_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unwritable --html on `history show` is the path's error and fix, not 'the run is damaged'."""
    _cli(capsys, "simulate", "published", "--json")
    run_id = history.run_ids()[-1]
    _, err = _cli(capsys, "history", "show", run_id, "--html", str(tmp_path / "nope" / "v.html"), code=2)
    assert "does not exist" in err and "mkdir -p" in err
    assert "damaged" not in err and "Traceback" not in err


def test_history_help_is_not_folded_mid_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    """The group help kept its source line breaks: 'simulate (run, sweep,' ended a line half-way across the
    terminal with 'published)' on the next."""
    from conftest import run_main

    code, out, _ = run_main(["history", "--help"], capsys)
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert not any(line.endswith("simulate (run, sweep,") for line in lines)
    assert "simulate (run, sweep, published)" in " ".join(lines)
