"""A user's runs file that leaves flash / overlap blank is predicted with both off (the bundled file's default, its
Megatron-LM 2021 rows), the opposite of `plan`'s: Llama 3 8B on 64 H100 at 512 x 8192 tokens came out 12.3 s a step
instead of 5.8 s without a word. `validate --runs` now names those runs on stderr (uplan3, 2026-12-01)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,cp,vp,dtype,recompute,"
          "tflops_per_gpu,mfu_pct,step_s,mlp,kv_heads")
ROW = "my-run-{i},our cluster,h100-sxm,64,32,4096,32,14336,128256,8192,512,1,1,64,1,1,bf16,none,,,13.0,swiglu,8"


def _runs(tmp_path: Path, extra_header: str = "", extra_cells: tuple[str, ...] = ("",)) -> Path:
    path = tmp_path / "runs.csv"
    lines = [HEADER + extra_header] + [ROW.format(i=i) + cells for i, cells in enumerate(extra_cells)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_blank_flash_and_overlap_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--runs", str(_runs(tmp_path)), "--json"], capsys)
    assert code == 0, err
    json.loads(out)  # the note is on stderr: stdout stays one JSON document
    assert "blank flash in 1 run(s) (my-run-0): read as 0" in err
    assert "blank overlap in 1 run(s) (my-run-0)" in err and "`accelopt plan` assumes both on" in err


def test_given_cells_say_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _runs(tmp_path, ",flash,overlap", (",1,1", ",0,1"))
    code, _, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 0, err
    assert "blank flash" not in err and "blank overlap" not in err


# Sequence parallelism comes from the recompute cell's '+sp' suffix only, while `plan` / `plan explain` turn it on
# whenever tp > 1: a Megatron run written 'selective' with tp 8 (Llama 3 70B on 64 H100, tp 8 pp 4) was predicted
# with sp off, 19.1 s and 102.1 GiB per device (over the H100's 79.6), against 17.9 s and 58.3 GiB as
# 'selective+sp', without a word.
SP_HEADER = ("id,source,hardware,devices,layers,hidden,heads,kv_heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,"
             "recompute,step_s,flash,overlap,zero")
SP_ROW = "{id},our lab,h100-sxm,64,80,8192,64,8,28672,128256,8192,swiglu,128,{tp},{pp},2,{rec},20,1,1,1"


def test_tp_without_sp_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "runs.csv"
    rows = [SP_ROW.format(id="no-sp", tp=8, pp=4, rec="selective"),
            SP_ROW.format(id="with-sp", tp=8, pp=4, rec="selective+sp"),
            SP_ROW.format(id="tp1", tp=1, pp=32, rec="full")]
    path.write_text("\n".join([SP_HEADER, *rows]) + "\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    assert code == 0, err
    json.loads(out)
    err = " ".join(err.split())  # the console wraps long lines
    assert "recompute without +sp in 1 run(s) (no-sp) with tp > 1: read as sequence parallelism off" in err
    sp_note = err.split("recompute without +sp")[1].split("note:")[0]  # other notes may name them (the bucket's)
    assert "with-sp" not in sp_note and "tp1" not in sp_note
    assert "write selective+sp" in err or "+sp to the recompute cell" in err


# A blank zero cell reads as ZeRO 0 (docs/runs_files.md), where `plan explain --zero` defaults to 1: the 8B run above
# with flash 1 and overlap 1 was predicted at 161.9 of 79.6 GiB per H100 (every rank holding all 8B x 12 B of Adam
# state), as if it could not run, without a word on the cell (user trial utval, 2026-12-05, valzero).
def test_blank_zero_is_named_with_the_runs_it_puts_over_memory(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = _runs(tmp_path, ",flash,overlap,zero", (",1,1,", ",1,1,1", ",1,1,0"))
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    over = {r["id"] for r in doc["runs"] if r["fits"] is False}
    assert over == {"my-run-0", "my-run-2"}  # zero 1 shards the optimizer state over dp 64; 0, blank or written, not
    err = " ".join(err.split())  # the console wraps long lines
    assert "note: blank zero in 1 run(s) (my-run-0): read as 0" in err
    assert "1 of them predicted over their devices' memory (my-run-0)" in err
    assert "`accelopt plan explain` assumes --zero 1" in err and "write 1 in the zero cell" in err
    zero_note = err.split("note: blank zero")[1].split("note:")[0]  # other notes may name them (the bucket's)
    assert "my-run-1" not in zero_note and "my-run-2" not in zero_note  # a written zero cell, 1 or 0, is the user's


def test_blank_zero_in_text_mode_and_without_the_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--runs", str(_runs(tmp_path, ",flash,overlap", (",1,1",)))], capsys)
    assert code == 0, err
    assert "my-run-0 (161.9 of 79.6 GiB)" in " ".join(out.split())
    err = " ".join(err.split())
    assert "note: blank zero in 1 run(s) (my-run-0): read as 0" in err
    assert "blank flash" not in err and "blank overlap" not in err
