"""The --html pages of `plan`, `plan explain` and `plan serve` show the result's notes (a --seq-len beyond the model's
positions, an objective without its figure, the attention-peak assumption of an int8-only device) as a table, as
the console prints them under its tables. They appeared only inside the collapsed JSON dump."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_train_seq_len_context import EXPLAIN, _cfg, _context_notes
from test_serving_attention_peak_note import ARGS as SERVE
from test_serving_attention_peak_note import INT8_ONLY

from accelopt.report.html import render_html


def _tables(page: str) -> str:
    """The page above the JSON dump (its <pre> holds every note already)."""
    return page.split("full result (JSON)")[0]


def _page(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[list[str], str]:
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    notes: list[str] = json.loads(out)["notes"]
    page = tmp_path / "page.html"
    code, out, err = run_main([*argv, "--html", str(page)], capsys)
    assert code == 0, err
    return notes, page.read_text(encoding="utf-8")


def test_explain_page_shows_the_seq_len_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes, page = _page(tmp_path, capsys, [*EXPLAIN, "--model", _cfg(tmp_path), "--seq-len", "8192"])
    [note] = _context_notes(notes)
    assert html.escape(note) in _tables(page)


def test_plan_page_shows_the_seq_len_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--model", _cfg(tmp_path), "--seq-len", "8192", "--devices", "8", "--top", "1", "--tokens", "1e9",
            "--hardware", "h100-sxm"]
    notes, page = _page(tmp_path, capsys, argv)
    [note] = _context_notes(notes)
    assert html.escape(note) in _tables(page)


def test_serve_page_shows_the_attention_peak_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "i8.toml"
    spec.write_text(INT8_ONLY, encoding="utf-8")
    notes, page = _page(tmp_path, capsys, [*SERVE, "--hardware", str(spec), "--weight-dtype", "w8a8"])
    [note] = [n for n in notes if "no bf16/fp16 peak" in n]
    assert html.escape(note) in _tables(page)


def test_a_note_is_escaped_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*EXPLAIN, "--model", _cfg(tmp_path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    doc["notes"] = ["a <b>user</b> & [red]name[/red]"]
    page = _tables(render_html("plan-explain", doc, title="t", argv=["plan", "explain"]))
    assert "a &lt;b&gt;user&lt;/b&gt; &amp; [red]name[/red]" in page and "<b>user" not in page
