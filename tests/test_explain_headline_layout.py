"""`plan explain`'s first line printed the Python repr of its layout, "Layout(tp=2, pp=2, ..., sp=True,
overlap=True, schedule='1f1b', ...)"; it now prints the layout as the layout errors do, "tp=2 pp=2 dp=4 ...
recompute=selective", with --no-sp / --no-overlap named when given. The JSON document holds no repr."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect

EXPLAIN = ["plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "16", "--tp", "2",
           "--pp", "2"]


def test_headline_reads_as_a_layout(capsys: pytest.CaptureFixture[str]) -> None:
    head = run_main_expect(capsys, *EXPLAIN)[0].splitlines()[0]
    assert "Layout(" not in head and "True" not in head and "'1f1b'" not in head, head
    assert "llama2-7b on 16 x h100-sxm: tp=2 pp=2 dp=4 cp=1 ep=1 vp=1 mbs=1 m=256 zero=1 recompute=selective" in head
    assert "sp=off" not in head and "overlap=off" not in head  # the defaults are not spelled out


def test_headline_names_the_choices_turned_off(capsys: pytest.CaptureFixture[str]) -> None:
    head = run_main_expect(capsys, *EXPLAIN, "--no-sp", "--no-overlap", "--hsdp", "2")[0].splitlines()[0]
    assert "recompute=selective hsdp=2 sp=off overlap=off" in head, head


def test_json_holds_no_repr(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_main_expect(capsys, *EXPLAIN, "--json")[0]
    assert "Layout(" not in out
    assert json.loads(out)["prediction"]["layout"]["sp"] is True
