"""`plan infer FILE.py:factory` and `simulate run` of a zoo model, a built-in example or a model file built the
model's weights (random initialisation, or whatever the factory does) on the CPU, though both read only shapes;
`plan infer CONFIG.json` / zoo and `simulate run --hf` already built on PyTorch's meta device. They now build on
meta too; a factory that cannot run there (it reads a value: `.item()`) is built as usual, and the note (plan infer)
or the source line (simulate) says why. The counts are the same either way: plan infer's FLOPs, bytes and
parameters; simulate's layers (every GEMM: M, N, K, repeats). simulate's capture on meta runs attention as the CPU
runs it (one fused op; meta alone takes the math path: 16.19 vs 16.06 MFLOP on gpt:tiny). Before the change the
meta-build tests fail (the bundles hold real weights; the source lines say nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.cli.profile import _load_bundle
from accelopt.simulate.models import _captured, model_layers
from accelopt.workload.inference_zoo import capture_inference

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "my_model.py") + ":build"
ATTENTION_FACTORY = '''
import torch
from torch import nn
import torch.nn.functional as F
from accelopt.workload.userfile import ModelBundle


class Block(nn.Module):
    """One pre-norm attention + MLP block over (B, T, 64), causal SDPA."""

    def __init__(self, d: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.heads, self.norm, self.qkv = heads, nn.LayerNorm(d), nn.Linear(d, 3 * d)
        self.out, self.mlp = nn.Linear(d, d), nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm(x)).view(b, t, 3, self.heads, d // self.heads).unbind(2)  # (B, T, nh, hs)
        y = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True)
        x = x + self.out(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(x)


def build(batch_size: int = 2, seq_len: int = 16) -> ModelBundle:
    model = nn.Sequential(Block(), Block())

    def batches():
        yield torch.randn(batch_size, seq_len, 64), torch.zeros(batch_size, dtype=torch.long)

    return ModelBundle(name="attention", model=model, batches=batches, loss_fn=lambda out, y: out.sum(),
                       batch_size=batch_size, meta={"seq_len": seq_len})


def reads_a_value(batch_size: int = 2) -> ModelBundle:
    """A factory that sizes its model from a tensor's value: .item() has no answer on meta."""
    width = int(torch.tensor(32).item())
    model = nn.Sequential(nn.Linear(8, width), nn.ReLU(), nn.Linear(width, 4))

    def batches():
        yield torch.randn(batch_size, 8), torch.zeros(batch_size, dtype=torch.long)

    return ModelBundle(name="reads-a-value", model=model, batches=batches, loss_fn=lambda out, y: out.sum(),
                       batch_size=batch_size)
'''


def _factory_file(tmp_path: Path) -> Path:
    path = tmp_path / "attention_model.py"
    path.write_text(ATTENTION_FACTORY, encoding="utf-8")
    return path


def _counts(wl: Any) -> tuple[float, float, int, list[Any]]:
    moved = sum((op.bytes_read + op.bytes_written) * op.count for op in wl.ops)
    return wl.total_flops(), moved, int(wl.meta["params"]), wl.ops


@pytest.mark.parametrize("which", ["example", "attention"])
def test_plan_infer_builds_a_factory_on_meta_with_the_same_counts(which: str, tmp_path: Path) -> None:
    spec = EXAMPLE if which == "example" else f"{_factory_file(tmp_path)}:build"

    def make(meta: bool = False) -> Any:
        return _load_bundle(spec, size=None, batch_size=2, seq_len=None, meta=meta)

    meta_bundle = make(meta=True)
    assert all(p.is_meta for p in meta_bundle.model.parameters())  # no weight memory, no initialisation
    real_bundle = make()
    assert not any(p.is_meta for p in real_bundle.model.parameters())
    on_meta, real = capture_inference(meta_bundle, rebuild=make), capture_inference(real_bundle, rebuild=make)
    flops, moved, params, ops = _counts(on_meta)
    assert (flops, moved, params, ops) == _counts(real) and flops > 0 and moved > 0 and params > 0


def test_plan_infer_says_why_a_factory_is_built_on_the_cpu(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    spec = f"{_factory_file(tmp_path)}:reads_a_value"
    code, out, err = run_main(["plan", "infer", spec, "--hardware", "h100-sxm", "--batch", "2", "--json"], capsys)
    assert code == 0, err
    said = [n for n in json.loads(out)["notes"] if n.startswith("built on the CPU as its factory builds it")]
    assert len(said) == 1 and "does not run on PyTorch's meta device (RuntimeError: " in said[0], said
    assert not any(p.is_meta for p in _load_bundle(spec, size=None, batch_size=2, seq_len=None,
                                                   meta=True).model.parameters())


@pytest.mark.parametrize("name", ["gpt:tiny", "resnet:tiny", "mobilenet-v2"])
def test_simulate_builds_zoo_and_examples_on_meta_with_the_same_layers(name: str) -> None:
    from accelopt.workload import inference_zoo, zoo

    layers, source = model_layers(name, batch=2)
    zname, _, size = name.partition(":")
    real_bundle = (zoo.build(zname, size, batch_size=2) if size else inference_zoo.build_example(name, 2))
    real, _ = _captured(real_bundle, "with weights")  # captured on the CPU, as simulate did before
    assert layers == real and len(layers) > 0
    assert source.endswith("; built on PyTorch's meta device: shapes only"), source
    if name == "gpt:tiny":  # attention is one fused op on the CPU; on meta alone it was bmm, softmax, bmm
        assert sum(x.kind == "attention" for x in layers) == sum(x.kind == "attention" for x in real) > 0


def test_simulate_builds_a_model_file_on_meta_with_the_same_layers(tmp_path: Path) -> None:
    from accelopt.workload.userfile import load_user_factory

    spec = f"{_factory_file(tmp_path)}:build"
    layers, source = model_layers(spec, batch=2)
    real, _ = _captured(load_user_factory(spec, batch_size=2), "with weights")
    assert layers == real and any(x.kind == "attention" for x in layers)
    assert source.endswith("; built on PyTorch's meta device: shapes only"), source


def test_simulate_says_why_a_model_file_is_built_on_the_cpu(tmp_path: Path) -> None:
    spec = f"{_factory_file(tmp_path)}:reads_a_value"
    layers, source = model_layers(spec)
    assert len(layers) == 2
    assert "; its own weights: it cannot be built on the meta device (RuntimeError: " in source, source
