"""`plan infer` of one small transformer encoder differed ~4x by how it was captured, unsaid: `profile --mode
inference --save-workload` records each nn.TransformerEncoderLayer as one fused aten._transformer_encoder_layer_fwd
(torch's eval fast path), while `plan infer FILE.py:factory` captures on the meta device, where the fast path is
off, and prices each of the layer's unfused ops with a per-op overhead. Each path now says so in its notes (console,
JSON, HTML render the same plan.notes); a model without such modules gets no such note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from conftest import run_main  # noqa: E402

MODEL_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = {body}
        self.head = nn.Linear(32, 4)

    def forward(self, x):
        return self.head(self.body(x).mean(1))


def build(batch_size: int = 4) -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(batch_size, 8, 32), torch.randint(0, 4, (batch_size,)))]
    return ModelBundle(name="tiny", model=Tiny(), batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy,
                       batch_size=batch_size)
'''
ENCODER = "nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0)"
PLAIN = "nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 32))"
ARGS = ["--hardware", "jetson-agx-orin", "--batch", "4", "--json"]


def _model(tmp_path: Path, body: str) -> str:
    f = tmp_path / "tiny.py"
    f.write_text(MODEL_FILE.format(body=body))
    return f"{f}:build"


def _notes(capsys: pytest.CaptureFixture[str], model: str) -> list[str]:
    code, out, err = run_main(["plan", "infer", model, *ARGS], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if "fast path" in n]


def test_the_meta_capture_says_the_fast_path_is_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (note,) = _notes(capsys, _model(tmp_path, ENCODER))
    assert note.startswith("1 nn.TransformerEncoderLayer:") and "meta device" in note
    assert "aten._transformer_encoder_layer_fwd" in note and "--save-workload" in note
    ops = int(note.split("captured as ")[1].split()[0])
    assert ops > 5  # projections, attention, feed-forward, norms, adds: far more than the one fused op


def test_the_saved_fused_workload_says_what_one_op_stands_for(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The workload as profile saves it: captured on the CPU in eval mode under no_grad, the fast path on."""
    from accelopt.workload.capture import capture_workload
    from accelopt.workload.userfile import load_user_factory

    wl = capture_workload(load_user_factory(_model(tmp_path, ENCODER)), mode="inference", device="cpu")
    assert any(op.name == "aten._transformer_encoder_layer_fwd" for op in wl.ops)
    path = tmp_path / "w.json"
    wl.save(path)
    (note,) = _notes(capsys, str(path))
    assert note.startswith("aten._transformer_encoder_layer_fwd x1:") and "FILE.py:factory" in note


def test_a_model_without_fast_path_modules_has_no_such_note(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert _notes(capsys, _model(tmp_path, PLAIN)) == []


def test_an_encoder_layers_own_attention_is_not_counted_twice() -> None:
    """The layer's fused op covers its self_attn; a MultiheadAttention outside any layer has its own fast path."""
    from torch import nn

    from accelopt.workload.fast_path import fast_path_modules

    model = nn.ModuleDict({"attn": nn.MultiheadAttention(32, 4, batch_first=True),
                           "enc": nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64), 2,
                                                        enable_nested_tensor=False)})
    assert fast_path_modules(model) == {"nn.MultiheadAttention": ["attn"],
                                        "nn.TransformerEncoderLayer": ["enc.layers.0", "enc.layers.1"]}
