"""--dp-bucket-params on a layout where it counts nothing says so (review of 2026-12-02's dp_bucket_params change).

training.evaluate counts the distributed optimizer's buckets only for the megatron stack's ZeRO-1/2 on NCCL / RCCL
devices with more than one data-parallel rank; elsewhere the flag was taken without a word (in_dp_buckets 0), like
the overlap flags whose no-effect notes predict.query.ignored_overlap_notes writes."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

NOTE = "--dp-bucket-params has no effect here"
BASE = ["plan", "explain", "--model", "llama3-8b", "--devices", "16", "--json", "--dp-bucket-params", "40M"]


def _explain(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run_main([*BASE, *extra], capsys)
    assert code in (0, 2), err
    return json.loads(out)


@pytest.mark.parametrize("extra", [("--hardware", "h100-sxm", "--zero", "0"),
                                   ("--hardware", "h100-sxm", "--zero", "3"),
                                   ("--hardware", "h100-sxm", "--zero", "1", "--stack", "pytorch-fsdp"),
                                   ("--hardware", "h100-sxm", "--zero", "1", "--tp", "8", "--pp", "2"),
                                   ("--hardware", "tpu-v5p", "--zero", "1")])
def test_a_bucket_that_counts_nothing_is_said(extra: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    data = _explain(capsys, *extra)
    terms = {t["name"]: t["value"] for t in data["terms"]}
    assert terms["t_dp_latency_s"] == 0  # the flag moved nothing: the premise of the note
    assert any(NOTE in n for n in data["notes"]), data["notes"]


def test_a_bucket_that_counts_has_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    data = _explain(capsys, "--hardware", "h100-sxm", "--zero", "1")
    terms = {t["name"]: t["value"] for t in data["terms"]}
    assert terms["in_dp_buckets"] > 0 and terms["t_dp_latency_s"] > 0
    assert not any(NOTE in n for n in data["notes"]), data["notes"]


def test_the_default_bucket_is_said_where_it_is_used(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --dp-bucket-params the latency term counts Megatron-Core's default bucket: a default beside the result
    (text and JSON notes), with its value; none where no bucket is counted (zero 3). Fails before: no note."""
    from conftest import run_main_expect

    base = ["plan", "explain", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "4",
            "--pp", "4", "--json"]
    notes = json.loads(run_main_expect(capsys, *base)[0])["notes"]
    said = [n for n in notes if n.startswith("default used: distributed-optimizer bucket")]
    assert len(said) == 1 and "= 40,000,000 parameters" in said[0]
    notes = json.loads(run_main_expect(capsys, *base, "--zero", "3")[0])["notes"]
    assert not any("distributed-optimizer bucket" in n for n in notes)
    notes = json.loads(run_main_expect(capsys, *base, "--dp-bucket-params", "134217728")[0])["notes"]
    assert not any("distributed-optimizer bucket" in n for n in notes)


SEARCH = ["plan", "--model", "llama3-70b", "--devices", "64", "--json", "--top", "5"]


def _search_notes(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[dict, list[str]]:
    from conftest import run_main_expect

    data = json.loads(run_main_expect(capsys, *SEARCH, *extra)[0])
    return data, [n for n in data["notes"] if "bucket" in n]


def test_the_search_says_the_default_bucket_of_its_listed_layouts(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` (the layout search) counted Megatron-Core's default bucket on its zero-1/2 layouts without a word, where
    `plan explain` said it (fails before: no note). The values are the default's for the listed layouts' dp x cp."""
    data, said = _search_notes(capsys, "--hardware", "h100-sxm")
    charged = {r["layout"]["dp"] * r["layout"]["cp"] for r in data["best"] if r["layout"]["zero"] in (1, 2)
               and r["layout"]["dp"] * r["layout"]["cp"] > 1}
    assert charged, "the premise: some listed layout has a distributed optimizer over several ranks"
    values = sorted({max(40_000_000, 1_000_000 * g) for g in charged})
    assert len(said) == 1 and said[0].startswith("default used: distributed-optimizer bucket")
    assert f"= {', '.join(f'{v:,}' for v in values)} parameters" in said[0]
    _, said = _search_notes(capsys, "--hardware", "h100-sxm", "--dp-bucket-params", "134217728")
    assert not said  # given, and counted: nothing to say


@pytest.mark.parametrize("extra", [("--hardware", "h100-sxm", "--stack", "pytorch-fsdp"),
                                   ("--hardware", "tpu-v5p")])
def test_the_search_says_a_bucket_that_counts_nothing(capsys: pytest.CaptureFixture[str],
                                                        extra: tuple[str, ...]) -> None:
    """--dp-bucket-params on a search none of whose listed layouts counts buckets (FSDP stack; a TPU, whose ICI
    collectives are not NCCL rings): said, as `plan explain` does (fails before: no note); and no default note."""
    _, said = _search_notes(capsys, *extra, "--dp-bucket-params", "40M")
    assert len(said) == 1 and said[0].startswith(NOTE)
    _, said = _search_notes(capsys, *extra)
    assert not said
