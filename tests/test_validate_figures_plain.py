"""`validate --serving` and `validate --inference` printed the predicted figure with '.4g' / '.3g', so a throughput
came out in exponent notation beside the published one (published 19694 | predicted 2.518e+04 on the bundled
TensorRT-LLM H100 row; 3100 | 4.15e+03 for a Jetson MobileNet v2 row), on the console and the HTML page alike. Both
columns now use fmt_count, the way every other table prints a rate: 25,180 beside 19,694."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_main

SERVING = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
           "role,note\n"
           "ours-l2-7b-b768,Our bench 2026,trtllm-session,h100-sxm,llama2-7b,1,1,fp8,fp8,128,128,768,"
           "output_tok_s_per_device,19694,test,\n")
INFERENCE = ("id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"
             "ours-mnv2-orin-b8,jetson-agx-orin,mobilenet-v2,224,8,fp16,throughput_per_s,3100,test,Our bench 2026,\n")
EXPONENT = re.compile(r"\d\.?\d*e[+-]\d\d")


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, text: str, published: str) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(text, encoding="utf-8")
    page = tmp_path / "page.html"
    code, out, err = run_main(["validate", flag, "--runs", str(runs), "--html", str(page)], capsys)
    assert code == 0, err
    row = next(ln for ln in out.splitlines() if "ours-" in ln)
    assert not EXPONENT.search(row), row
    assert f" {published} " in row
    cells = [c.strip() for c in row.split("│")]
    predicted = cells[cells.index(published) + 1]
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", predicted), predicted  # a whole count with separators
    html = page.read_text(encoding="utf-8")
    assert f">{predicted}<" in html and f">{published}<" in html  # the page prints what the console does
    assert not EXPONENT.search(html.split("full result (JSON)")[0])


def test_serving_figures_print_without_exponent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check(tmp_path, capsys, "--serving", SERVING, "19,694")


def test_inference_figures_print_without_exponent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check(tmp_path, capsys, "--inference", INFERENCE, "3,100")
