"""`simulate run` prints no two rows of one name. A Hugging Face Llama (eager attention: softmax(QK^T)V as two
torch.matmul calls inside `self_attn`) printed two 'model.layers.0.self_attn' rows per layer, nothing saying which
was the scores and which the weighted sum; a train step's backward GEMMs shared 'fc.backward'; a module called twice
printed its name twice. simulate/layers.unique_names names them from their shapes, else numbers them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.simulate.layers import Layer, from_gemm, unique_names
from accelopt.workload.types import Gemm

ROOT = Path(__file__).resolve().parents[1]


def test_hf_llama_attention_rows_read_qk_and_av(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--hf", str(ROOT / "examples/hf_tiny_llama"),
                             "--json")
    layers = json.loads(out)["layers"]
    names = [x["name"] for x in layers]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    shapes = {x["name"]: (x["m"], x["n"], x["k"]) for x in layers}
    # hf_tiny_llama: 128 tokens, 4 heads of 32: scores 128 x 128 over 32, weighted sum 128 x 32 over 128
    assert shapes["model.layers.0.self_attn.qk"] == (128, 128, 32)
    assert shapes["model.layers.3.self_attn.av"] == (128, 32, 128)
    assert "model.layers.0.self_attn" not in names


def _g(name: str, m: int, n: int, k: int, repeats: int = 1) -> Layer:
    return from_gemm(name, Gemm(m=m, n=n, k=k, batch=repeats))


def test_rows_the_shapes_do_not_name_are_numbered_in_order() -> None:
    fc, fc2 = _g("fc", 8, 16, 16), _g("fc", 8, 16, 16)  # one square Linear called twice: not attention's pair
    assert [x.name for x in unique_names([fc, fc2])] == ["fc (1 of 2)", "fc (2 of 2)"]
    # a square Linear (T = in = out): dX and dW have one shape, so neither is named as such
    sq = [_g("sq", 64, 64, 64), _g("sq.backward", 64, 64, 64), _g("sq.backward", 64, 64, 64)]
    got = [x.name for x in unique_names(sq, backward={1, 2})]
    assert got == ["sq", "sq.backward (1 of 2)", "sq.backward (2 of 2)"]
    # an attention module's backward GEMMs: its two forward matmuls have no weight, so no dW / dX
    att = [_g("attn", 128, 128, 32, 4), _g("attn", 128, 32, 128, 4), _g("attn.backward", 32, 128, 128, 4),
           _g("attn.backward", 128, 32, 128, 4)]
    got = [x.name for x in unique_names(att, backward={2, 3}, batched={0, 1, 2, 3})]
    assert got == ["attn.qk", "attn.av", "attn.backward (1 of 2)", "attn.backward (2 of 2)"]


def test_unique_names_keep_every_figure() -> None:
    rows = [_g("a", 8, 8, 8), _g("a", 8, 4, 8)]
    renamed = unique_names(rows)
    assert [(x.m, x.n, x.k, x.repeats) for x in renamed] == [(8, 8, 8, 1), (8, 4, 8, 1)]
