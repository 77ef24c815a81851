"""`plan --schedule zb-h1|zb-h2` keeps the layouts without a pipeline (ut3plan, 2026-12-06).

A zero-bubble schedule (Qi et al. 2024) orders a pipeline's passes; a layout with pp = 1 has no pipeline, so the
schedule does not touch it. `plan --schedule zb-h1` set the schedule on every enumerated layout and the structural
rule 'a zero-bubble schedule needs pp > 1' then dropped every unpipelined one, unsaid: Llama 3 8B on 8 H100s went
from 1,395 layouts to 358 and its best from pp 1 (3.05 s) to pp 2 (3.38 s), slower than the layout it hid."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

ARGS = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--seq-len", "4096",
        "--global-batch", "64seq", "--tokens", "1e12", "--json"]


@pytest.mark.parametrize("schedule", ["zb-h1", "zb-h2"])
def test_zero_bubble_search_keeps_unpipelined_layouts(schedule: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(ARGS, capsys)
    assert code == 0, err
    plain = json.loads(out)
    code, out, err = run_main([*ARGS, "--schedule", schedule], capsys)
    assert code == 0, err
    zb = json.loads(out)
    rows = zb["best"] + zb["pareto_front"]
    assert any(r["layout"]["pp"] == 1 for r in rows)
    # an unpipelined row has no schedule to run: it is listed as 1f1b (no bubble either way); pipelined rows take zb
    assert all(r["layout"]["schedule"] == ("1f1b" if r["layout"]["pp"] == 1 else schedule) for r in rows)
    # here the plain search's best has no pipeline: the zero-bubble search finds it too
    assert plain["best"][0]["layout"]["pp"] == 1
    assert zb["best"][0]["step_time_s"] == pytest.approx(plain["best"][0]["step_time_s"], rel=1e-12)
    assert any("pp 1" in n and schedule in n for n in zb["notes"])


def test_explain_of_a_listed_pp1_row_names_the_schedule_it_was_listed_under(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain` of the pp 1 row a zero-bubble search lists, given the search's --schedule, is refused (no
    pipeline to order); its fix named only '--pp > 1', though plan had listed that very layout: it names the 1f1b the
    row was listed under, and explain under 1f1b gives the row's step (rev1, session 35)."""
    code, out, err = run_main([*ARGS, "--schedule", "zb-h1"], capsys)
    assert code == 0, err
    row = next(r for r in json.loads(out)["best"] if r["layout"]["pp"] == 1)
    lay = row["layout"]
    explain = ["plan", "explain", *ARGS[1:-1], "--tp", str(lay["tp"]), "--pp", "1", "--cp", str(lay["cp"]),
               "--mbs", str(lay["mbs"]), "--zero", str(lay["zero"]), "--recompute", str(lay["recompute"])]
    code, out, err = run_main([*explain, "--schedule", "zb-h1"], capsys)
    assert code == 2
    assert "--schedule 1f1b with --pp 1" in " ".join(err.split())
    code, out, err = run_main([*explain, "--schedule", "1f1b", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["prediction"]["step_time_s"] == pytest.approx(row["step_time_s"], rel=1e-9)
