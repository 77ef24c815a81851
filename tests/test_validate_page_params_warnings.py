"""`validate --runs FILE --html PAGE` shows the params_b warnings the console prints, among the page's 'warnings and
defaults used as the console prints them'.

Before: the console warned on stderr that a run's architecture cells count other parameters than its params_b
('warning: run 'gemma2b': its architecture cells count 2.11 B parameters, its params_b 2.6 B ...'), the JSON carried
params_mismatches, and the page, whose warnings table says it holds the lines 'as the console prints them', had none
of them: a reader of the page saw the run's error without the sign that its model cells are mistyped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main

HEADER = ("id,source,hardware,devices,params_b,layers,hidden,heads,kv_heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,"
          "recompute,step_s,flash,overlap,tied")
# Gemma 2 2B (2.61 B) with its gated GeGLU MLP written as 'gelu' (2 matrices, not 3) and without its head_dim
# column: the cells count 2.11 B
ROWS = ["gemma2b,our lab,h100-sxm,16,2.6,26,2304,8,4,9216,256000,8192,gelu,512,2,1,8,selective+sp,15,1,1,1",
        "tinyllama,our lab,h100-sxm,8,1.1,22,2048,32,4,5632,32000,2048,swiglu,1024,1,1,8,none,3.1,1,1,0"]


def _text(page: Path) -> str:
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_page_holds_the_console_params_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    runs = tmp_path / "runs.csv"
    runs.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    page = tmp_path / "v.html"
    code, _, err = run_main(["validate", "--runs", str(runs), "--html", str(page)], capsys)
    assert code == 0, err
    said = [ln for ln in err.replace("\n", " ").split("warning: ")[1:] if ln.startswith("run ")]
    assert len(said) == 1 and "'gemma2b'" in said[0] and "2.11 B" in said[0], err
    warning = " ".join(("warning: " + said[0]).split()[:14])  # up to the published count
    assert warning in _text(page), warning
