"""`plan serve --batch max --requests N` over several waves: the 'decode tok/s' figure is the run's, as throughput,
$/M tokens and J/token are (utleftplan, 2026-12-05; utserve3's leftover). It was the steady wave's rate beside the
run's throughput, so a run whose last wave is small printed a decode rate no part of it reached with that many
requests. The run's rate: its output tokens over its waves' decode time (each wave's tokens / that wave's rate).
Tolerance: 1e-9 relative (the same arithmetic, recomputed); the text table and the page render the same object."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main, write_config

from accelopt.units import fmt_count

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
          "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
          "vocab_size": 128256, "max_position_embeddings": 8192, "rms_norm_eps": 1e-5}
FLAGS = ["--hardware", "l4", "--batch", "max", "--prompt", "1000", "--output", "200"]


def _point(model: str, extra: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    code, out, err = run_main(["plan", "serve", "-m", model, *FLAGS, *extra, "--json"], capsys)
    assert code == 0, err
    return json.loads(out)["results"][0]["points"][0]


def test_a_finite_run_reports_its_own_decode_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(write_config(tmp_path, CONFIG))
    steady = _point(model, [], capsys)
    c = steady["batch"]
    assert c > 2  # a wave of several requests (the KV cache of an L4 sets it)
    requests, rest = 2 * c + 1, 1
    last = _point(model, ["--requests", str(rest)], capsys)  # a wave of one request, predicted on its own
    run = _point(model, ["--requests", str(requests)], capsys)
    out = 200
    want = requests * out / (2 * c * out / steady["decode_tokens_per_s"] + rest * out / last["decode_tokens_per_s"])
    assert run["decode_tokens_per_s"] == pytest.approx(want, rel=1e-9)
    assert run["decode_tokens_per_s"] < steady["decode_tokens_per_s"]  # the one-request wave decodes slower
    page = tmp_path / "run.html"
    code, text, err = run_main(["plan", "serve", "-m", model, *FLAGS, "--requests", str(requests), "--html",
                                str(page)], capsys)
    assert code == 0, err
    flat = " ".join(text.split())
    assert fmt_count(run["decode_tokens_per_s"]) in flat  # the table's column is the run's too
    assert fmt_count(steady["decode_tokens_per_s"]) not in flat
    assert re.search(r"decode tok/s, throughput, cost and energy per output token are the whole run's", flat)
    assert "decode tok/s = batch / decode step per replica (a --requests run's: its output tokens over its waves' " \
           "decode time)" in flat
    html = page.read_text()  # the page's table too
    assert fmt_count(run["decode_tokens_per_s"]) in html
    assert fmt_count(steady["decode_tokens_per_s"]) not in html
