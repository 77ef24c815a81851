"""No silent fallbacks: `plan`, `plan explain` and `plan --model WORKLOAD.json` without --tokens give time, cost,
energy and carbon to train for 300e9 tokens (GPT-3's run, query.DEFAULT_TOKENS); the header printed the count but not
that it was a default, nor where it came from (review, 2026-12-02). Said now beside the result, not where --tokens
is given (even the same count)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_workload_top import _workload

NOTE = "default used: 300,000,000,000 training tokens"


def _notes(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[dict, list[str]]:
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    return doc, [n for n in doc["notes"] if n.startswith(NOTE)]


@pytest.mark.parametrize("command", [
    ["plan", "explain", "--devices", "8", "--hardware", "h100-sxm", "--model", "gpt3-125m"],
    ["plan", "--devices", "8", "--hardware", "h100-sxm", "--top", "1", "--model", "gpt3-125m"]])
def test_the_default_tokens_are_said(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    doc, said = _notes(capsys, command)
    assert len(said) == 1 and "Brown et al. 2020" in said[0]
    given, none = _notes(capsys, [*command, "--tokens", "300e9"])
    assert not none
    # the default is the figure the note names: the same result as --tokens 300e9 typed, but for the note
    def same(d: dict) -> dict:
        return {k: v for k, v in d.items() if k not in ("notes", "search_s")}

    assert same(doc) == same(given)

def test_a_workload_plan_says_the_default_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _workload(tmp_path)
    doc, said = _notes(capsys, ["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8"])
    assert len(said) == 1 and doc["tokens"] == 300e9
    _, said = _notes(capsys, ["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8",
                              "--tokens", "1e9"])
    assert not said
