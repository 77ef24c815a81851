"""A runs-file row whose tied cell is wrong (left blank, read as untied, for a model that ties its embedding and LM
head) was told that another cell may be mistyped: Qwen2.5 1.5B (tied; 1.54 B) untied counts 1.78 B, and the warning
said 'the layers cell may be mistyped (23 would count 1.54 B)', a digit slip whose count lands 3.05 M nearer than the
tied flip's 3.66 M. Acting on it would corrupt a right cell. The tied flip is now named first when it lands within
the tolerance; digit slips of the other cells are named as before (tests/test_runs_params.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.validation import check_params, read_runs

HEADER = ("id,source,hardware,devices,params_b,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,"
          "step_s,mbs,zero,flash,overlap,kv_heads,mlp,tied,note")
# Qwen/Qwen2.5-1.5B config.json: hidden 1536, 28 layers, 12 heads, 2 KV heads, intermediate 8960, vocab 151936,
# tie_word_embeddings true; model card: 1.54B parameters
QWEN = "ours-qwen,Our logbook,a100-80gb,8,1.54,28,1536,12,8960,151936,4096,256,1,1,8,none,6.5,2,1,1,1,2,swiglu,{tied},"
# Meta Llama 3 8B: 32 layers, hidden 4096, 32 heads, 8 KV heads, ffn 14336, vocab 128256, untied: 8.03 B
LLAMA = ("ours-llama,Our logbook,h100-sxm,8,8.03,32,4096,32,14336,128256,8192,128,1,1,8,none,9.1,1,1,1,1,8,swiglu,"
         "{tied},")


def _file(tmp_path: Path, row: str) -> Path:
    p = tmp_path / "runs.csv"
    p.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    return p


@pytest.mark.parametrize(("row", "typed", "true"), [(QWEN, "", 1), (QWEN, "0", 1), (LLAMA, "1", 0)])
def test_a_wrong_tied_cell_is_named(tmp_path: Path, row: str, typed: str, true: int) -> None:
    (m,) = check_params(read_runs(_file(tmp_path, row.format(tied=typed))))
    assert (m.likely_cell, m.likely_value) == ("tied", true)
    assert abs(m.likely_counted_params - m.published_params) <= m.tolerance_params


def test_the_warning_names_the_tied_cell_not_layers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, QWEN.format(tied="0"))
    code, out, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 0, err
    flat = " ".join(err.split())
    assert "count 1.78 B parameters, its params_b 1.54 B" in flat
    assert "the tied cell may be mistyped (1 would count 1.54 B)" in flat and "layers cell" not in flat
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    (m,) = json.loads(out)["params_mismatches"]
    assert (m["likely_cell"], m["likely_value"]) == ("tied", 1)


def test_right_tied_cells_pass_and_a_layers_slip_is_still_named(tmp_path: Path) -> None:
    assert not check_params(read_runs(_file(tmp_path, QWEN.format(tied="1"))))
    assert not check_params(read_runs(_file(tmp_path, LLAMA.format(tied="0"))))
    (m,) = check_params(read_runs(_file(tmp_path, LLAMA.format(tied="0").replace(",32,4096,", ",23,4096,", 1))))
    assert (m.likely_cell, m.likely_value) == ("layers", 32)
