"""`validate --runs FILE`'s notes on cells that read otherwise than `accelopt plan` assumes (blank flash / overlap /
zero, recompute without +sp at tp > 1, an uneven global batch) went to stderr only: `--json` and `--html` had no
trace of them, so a script or a page reader saw 12.3 s predicted for a run `plan` puts at 5.8 s without the reason.
They are ValidateResult.input_notes now (schema version 5), printed on stderr as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import schema

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,cp,vp,dtype,recompute,"
          "tflops_per_gpu,mfu_pct,step_s,mlp,kv_heads")
ROW = "my-run,our cluster,h100-sxm,64,32,4096,32,14336,128256,8192,{batch},8,1,8,1,1,bf16,selective,,,13.0,swiglu,8"


def test_notes_are_in_the_json_and_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER}\n{ROW.format(batch=63)}\n", encoding="utf-8")
    page = tmp_path / "v.html"
    code, out, err = run_main(["validate", "--runs", str(runs), "--json", "--html", str(page)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 6
    notes = doc["input_notes"]
    said = " ".join(err.split())  # stderr as before (the console wraps long lines)
    for start in ("note: blank flash in 1 run(s) (my-run)", "note: blank zero in 1 run(s) (my-run)",
                  "note: recompute without +sp in 1 run(s) (my-run) with tp > 1",
                  "note: run my-run: uneven global batch: 63 sequences over 8 data-parallel ranks"):
        line = next((n for n in notes if n.startswith(start)), None)
        assert line is not None, (start, notes)
        assert " ".join(line.split()) in said, start
    html = " ".join(page.read_text(encoding="utf-8").split())
    assert "note: blank flash in 1 run(s) (my-run)" in html and "uneven global batch: 63 sequences" in html


def test_cells_written_as_plan_reads_them_give_no_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER},flash,overlap,zero\n{ROW.format(batch=64).replace('selective', 'selective+sp')},1,1,1\n",
                    encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["input_notes"]
    # the notes left: the distributed optimizer's default bucket, which `plan explain --zero 1` prints too
    # (test_validate_cell_effects_said.py), and utleft2's selective recompute under flash attention (what the model
    # charges, not a cell read otherwise)
    left = [n for n in notes if "default used: distributed-optimizer bucket" not in n
            and "recompute selective with a fused (flash) attention kernel" not in n]
    assert left == [], notes


def test_a_version_4_document_still_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER}\n{ROW.format(batch=64)}\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    v4 = {k: v for k, v in json.loads(out).items() if k != "input_notes"}
    v4["schema_version"] = 4
    assert schema.load("validate", v4).input_notes == []


def test_a_model_cells_unmodelled_config_keys_are_in_the_json(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # the warning `plan explain --model CONFIG` prints, given once per config a model cell names, was stderr only too
    from test_validate_model_column import NEOX, _files

    runs = _files(tmp_path)
    (tmp_path / "neox" / "config.json").write_text(json.dumps({**NEOX, "word_embed_proj_dim": 6144}), "utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    said = [n for n in json.loads(out)["input_notes"] if "not modelled by the predictor" in n]
    assert len(said) == 1 and said[0].endswith("ignored: word_embed_proj_dim"), said
    assert said[0] in " ".join(err.split())
