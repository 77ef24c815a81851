"""The weight-only note of `plan serve --weight-dtype int8` (W8A16: dequantized to 16 bits, timed at the 16-bit peak)
was printed on the console only: `--json` carried no word of it (compute_dtype alone) and the page listed it from a
console-only line. It is one of the result's notes now: console, JSON and HTML say it once, from the same object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

ARGS = ["plan", "serve", "--model", "llama3-8b", "--hardware", "a100-sxm-80gb", "--weight-dtype", "int8",
        "--batch", "1"]


def test_the_weight_only_note_is_in_the_json_notes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGS, "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    hits = [n for n in notes if "served weight-only (W8A16" in n]
    assert len(hits) == 1 and "a100-sxm-80gb" in hits[0], notes


def test_the_console_and_the_page_say_it_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, err = run_main([*ARGS, "--html", str(page)], capsys)
    assert code == 0, err
    assert " ".join((out + err).split()).count("served weight-only (W8A16") == 1, out
    shown = page.read_text(encoding="utf-8").rsplit("<details", 1)[0]  # the page less its folded JSON document
    assert shown.count("served weight-only (W8A16") == 1
