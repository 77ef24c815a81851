"""`plan serve --pp 2 --pp-microbatches 16 --batch 8,1` ran batch 8 as 8 micro-batches and batch 1 as one
(serving.microbatches_in_flight: a micro-batch holds at least one request), but said nothing: the title read
'x 8 micro-batches' for the 16 asked, and the default's note ('--pp 4 keeps 4 micro-batches in flight') stood over a
batch of 1. A note (console and JSON) now names the batches that run fewer micro-batches than asked, and why."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

_RUN = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--prompt", "128", "--output", "16"]


def _notes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, err = run_main([*_RUN, *argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {p["batch"]: p["pp_microbatches"] for p in doc["results"][0]["points"]}  # the typed points it rests on
    return [n for n in doc["notes"] if "one micro-batch per request" in n]


def test_a_given_count_above_the_batch_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    (note,) = _notes(["--pp", "2", "--pp-microbatches", "16", "--batch", "8,1,32"], capsys)
    assert note.startswith("--pp-microbatches 16 is more than the requests of batch 1, 8:")
    code, out, _ = run_main([*_RUN, "--pp", "2", "--pp-microbatches", "16", "--batch", "8,1,32"], capsys)
    assert code == 0 and "--pp-microbatches 16 is more than the requests of batch 1, 8" in " ".join(out.split())


def test_the_default_count_above_the_batch_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    (note,) = _notes(["--pp", "4", "--batch", "1,2,8"], capsys)
    assert note.startswith("4 micro-batches (one per --pp stage) is more than the requests of batch 1, 2:")


def test_no_note_where_every_batch_fills_its_micro_batches(capsys: pytest.CaptureFixture[str]) -> None:
    assert not _notes(["--pp", "4", "--batch", "4,8"], capsys)
    assert not _notes(["--batch", "1"], capsys)
