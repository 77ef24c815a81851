"""A published serving run's launch command sets the engine's memory share (vLLM --gpu-memory-utilization, SGLang
--mem-fraction-static); `plan serve --memory-fraction` takes it, but a serving runs file could not: the column was
refused as unknown, so a run launched at another share than the engine rule's could only be written down at the
wrong one (SGLang's rule was then the MI355X rows' 0.578, which put a published DeepSeek-R1 TP8 H200 run at batch
32 over memory; sglmem made it SGLang's own per-device default and gave those rows the cell). Issue 10, found
typing unseen runs (unseen, 2026-12-02): the optional column memory_fraction now reaches the same figure as
the flag. These tests fail before the change (exit 2: unknown column)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
          "published,role,note,memory_fraction")
ROW = "mine-1,my lab,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1024,1024,max,output_tok_s,9000,test,,{frac}"
SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--tp", "1", "--pp", "1",
         "--weight-dtype", "bf16", "--kv-dtype", "bf16", "--prompt", "1024", "--output", "1024",
         "--engine", "vllm", "--batch", "max", "--json"]


def _validated(tmp_path: Path, capsys: pytest.CaptureFixture[str], frac: str) -> dict:
    p = tmp_path / "serving.csv"
    p.write_text(f"{HEADER}\n{ROW.format(frac=frac)}\n")
    out, _ = _cli(capsys, "validate", "--serving", "--runs", str(p), "--json")
    (run,) = json.loads(out)["runs"]
    return run


def test_the_cell_gives_the_flags_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _validated(tmp_path, capsys, "0.5")
    out, _ = _cli(capsys, *SERVE, "--memory-fraction", "0.5")
    point = json.loads(out)["results"][0]["points"][0]
    assert run["batch"] == point["batch"]
    assert run["predicted"] == pytest.approx(point["output_tokens_per_s"], rel=1e-12)


def test_the_cell_is_not_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Half the memory holds fewer requests at max load than vLLM's 0.9 (the engine's rule, a blank cell)."""
    half = _validated(tmp_path, capsys, "0.5")
    engine = _validated(tmp_path, capsys, "")
    assert half["batch"] < engine["batch"]
    out, _ = _cli(capsys, *SERVE)
    assert engine["batch"] == json.loads(out)["results"][0]["points"][0]["batch"]


@pytest.mark.parametrize("frac", ["0", "1.5", "nan", "ninety"])
def test_a_bad_cell_is_named_with_its_fix(frac: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "serving.csv"
    p.write_text(f"{HEADER}\n{ROW.format(frac=frac)}\n")
    _, err = _cli(capsys, "validate", "--serving", "--runs", str(p), code=2)
    assert "'mine-1'" in err and "memory_fraction" in err and "(0, 1]" in err and "fix:" in err
