"""Fused kernels in inference: an eval-mode nn.TransformerEncoder runs each layer as one op
(_transformer_encoder_layer_fwd) with no GEMM shape. `simulate run --model` simulated only the layers around the
encoder (its one output Linear); a --workload holding such ops said "N non-GEMM ops not simulated" of what was
nearly all its work; and `profile --mode inference` of an encoder with a padding mask failed inside accelopt's own
op recorder (a nested tensor has no .shape), reported as the model's error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

torch = pytest.importorskip("torch")

ENCODER = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Enc(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2)
        self.out = nn.Linear(16, 2)

    def forward(self, tokens):
        return self.out(self.enc(self.emb(tokens), src_key_padding_mask=tokens == 0).mean(1))


def build(batch_size=2):
    tokens = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])  # the second sequence is padded after 2 tokens
    return ModelBundle(name="enc", model=Enc(), batches=lambda: iter([(tokens, torch.tensor([0, 1]))]),
                       loss_fn=nn.functional.cross_entropy, batch_size=2)
'''
DESIGN = ["-d", "edge-npu"]


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "enc.py"
    path.write_text(ENCODER)
    return path


def test_simulate_model_runs_the_encoder_layers_gemms(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["simulate", "run", *DESIGN, "--model", f"{model_file}:build", "--json"], capsys)
    assert code == 0, err
    names = [layer["name"] for layer in json.loads(out)["layers"]]
    assert "enc.layers.0.linear1" in names and "enc.layers.1.linear2" in names, names  # only 'out' before
    assert torch.backends.mha.get_fastpath_enabled()  # set back after the capture


def test_profile_inference_with_padding_then_simulate_its_workload(model_file: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "w.json"
    code, out, err = run_main(["profile", f"{model_file}:build", "--mode", "inference", "--steps", "3", "--warmup",
                               "1", "--json", "--save-workload", str(saved)], capsys)
    assert code == 0, err  # "NestedTensorImpl doesn't support sizes", blamed on the model, before
    d = json.loads(out)
    assert not d["unmodeled_ops"]
    code, out, err = run_main(["simulate", "run", *DESIGN, "--workload", str(saved)], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "NOT SIMULATED: 99." in text and "aten._transformer_encoder_layer_fwd x2" in text, text
    assert "--model FILE.py:factory" in text


def test_a_workload_of_fused_kernels_only_is_refused_with_the_way_out(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload.types import Op, Workload

    op = Op(name="aten._transformer_encoder_layer_fwd", kind="matmul", flops=1e6, bytes_read=1e3,
            bytes_written=1e3, dtype="fp32", shapes=((2, 4, 16), (48, 16)), module="enc.layers.0", phase="forward")
    path = tmp_path / "fused.json"
    Workload(name="fused", ops=[op]).save(path)
    code, _, err = run_main(["simulate", "run", *DESIGN, "--workload", str(path)], capsys)
    text = " ".join(err.split())
    assert code == 2 and "in ops with no GEMM shape recorded" in text and "--model FILE.py:factory" in text


def test_simulate_model_keeps_a_dilated_grouped_conv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "net.py"
    path.write_text("from torch import nn\n\nclass Net(nn.Sequential):\n    def __init__(self):\n"
                    "        super().__init__(nn.Conv2d(3, 8, 3),\n"
                    "                         nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2))\n")
    code, out, err = run_main(["simulate", "run", *DESIGN, "--model", f"{path}:Net", "--input-shape", "3,12,12",
                               "--json"], capsys)
    assert code == 0, err
    macs = json.loads(out)["totals"]["macs"]
    assert macs == 10 * 10 * 8 * 3 * 9 + 10 * 10 * 8 * 4 * 9  # the dilated conv (second term) was left out


def test_a_train_workloads_conv_backward_is_said_not_simulated(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload.types import Conv, Op, Workload

    conv = Conv(n=1, c_in=3, h_in=8, w_in=8, c_out=4, kh=3, kw=3)
    ops = [Op(name="aten.convolution", kind="conv", flops=2.0 * conv.macs, bytes_read=1e3, bytes_written=1e3,
              dtype="fp32", shapes=(), module="c", phase="forward", conv=conv),
           Op(name="aten.convolution_backward", kind="conv", flops=4.0 * conv.macs, bytes_read=1e3,
              bytes_written=1e3, dtype="fp32", shapes=(), module="c", phase="backward")]
    path = tmp_path / "train.json"
    Workload(name="train", ops=ops, meta={"mode": "train", "batch_size": 1}).save(path)
    code, out, err = run_main(["simulate", "run", *DESIGN, "--workload", str(path)], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    assert "NOT SIMULATED: 66.67% of the workload's matmul FLOPs" in text and "convolution_backward x1" in text
    assert "1 forward ops with MACs simulated" in text and "--model FILE.py" not in text


def test_a_workload_of_unmapped_conv_backwards_only_names_their_flops_not_a_model_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A convolution_backward whose flops fit neither gradient was refused with 'no GEMM shape recorded' and the fix
    'simulate the model file instead', which captures inference and would not run it either."""
    from accelopt.workload.types import Op, Workload

    # grad_out (1, 4, 4, 4), input (1, 4, 6, 6), weight (4, 4, 3, 3): 2 x 2304 FLOPs per gradient, not 100
    op = Op(name="aten.convolution_backward", kind="conv", flops=100.0, bytes_read=1e3, bytes_written=1e3,
            dtype="fp32", shapes=((1, 4, 4, 4), (1, 4, 6, 6), (4, 4, 3, 3)), module="c", phase="backward")
    path = tmp_path / "bwd.json"
    Workload(name="bwd", ops=[op]).save(path)
    code, _, err = run_main(["simulate", "run", *DESIGN, "--workload", str(path)], capsys)
    text = " ".join(err.split())
    assert code == 2 and "convolution_backward x1" in text, text
    assert "flops fit neither" in text and "--mode inference --save-workload" in text, text
    assert "no GEMM shape recorded" not in text and "simulate the model file instead" not in text, text
