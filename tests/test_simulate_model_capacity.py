"""`simulate run` / `sweep`: a model whose weights exceed the design's DRAM (`dram_bytes`) is said, as a layer that
does is. Before (ut4sim, 2026-12-06) only one layer's own tensors were checked against it: DeepSeek-V3 (671B
parameters, 625 GiB at int8) ran on tpu-v1's 8 GiB of DDR3 (Jouppi et al. 2017) and printed a 19.8 s latency
without a word, each of its layers fitting on its own.

The weights counted are each convolution's and linear layer's B operand over its repeats (Layer.weights); attention's
QK^T / AV, a batched matmul and a train step's backward GEMMs multiply activations and are not counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

from accelopt.simulate.layers import Layer, from_workload, transformer_layers, weight_elems
from accelopt.workload.presets import get_model
from accelopt.workload.types import Gemm, Op, Workload

NOTE = "the model's weights this run reads"


def _design(tmp_path: Path, dram_bytes: float) -> Path:
    p = tmp_path / "d.toml"
    p.write_text(SMALL_DESIGN_TOML + f"dram_bytes = {dram_bytes:g}\n")
    return p


def _topology(tmp_path: Path, rows: int) -> Path:
    """`rows` GEMMs of one token through a 256 x 256 int8 weight: 64 KiB each, rows x 64 KiB in all."""
    p = tmp_path / "g.csv"
    p.write_text("Layer, M, N, K,\n" + "".join(f"fc{i}, 1, 256, 256,\n" for i in range(rows)))
    return p


@pytest.mark.parametrize("rows, said", [(30, True), (10, False)])
def test_weights_over_dram_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch, rows: int, said: bool) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    # 1 MB of DRAM: every layer's own tensors (64 KiB + 257 B) fit; 30 layers' weights (1.97 MB) do not, 10 (655 kB) do
    argv = ["simulate", "run", "-d", str(_design(tmp_path, 1e6)), "--topology", str(_topology(tmp_path, rows))]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert not any(n.startswith("layer ") and "dram_bytes" in n for n in notes)  # the per-layer note stays silent
    model_notes = [n for n in notes if n.startswith(NOTE)]
    assert bool(model_notes) is said, notes
    if said:
        assert f"{NOTE}, 1.97 MB (" in model_notes[0] and "exceed the design's dram_bytes 1 MB" in model_notes[0]
    code, out, err = run_main(argv, capsys)
    assert code == 0 and (NOTE in out) is said, err
    code, out, err = run_main(["simulate", "sweep", "-d", str(_design(tmp_path, 1e6)), "--topology",
                               str(_topology(tmp_path, rows)), "--rows", "8,16", "--cols", "16", "--json"], capsys)
    assert code == 0, err
    assert any(n.startswith(NOTE) for n in json.loads(out)["notes"]) is said


@pytest.mark.parametrize("name", ["llama3-8b", "mixtral-8x7b"])
def test_a_transformers_weights_are_its_linear_parameters(name: str) -> None:
    """At 128 tokens every expert of Mixtral gets tokens (256 copies over 8 experts), so the weights read are all the
    model's parameters but the input embedding (a lookup, no GEMM) and the norms' (elementwise)."""
    cfg = get_model(name)
    layers = transformer_layers(cfg, 1, 128)
    norms = cfg.layers * cfg.norms_per_layer * cfg.norm_params + cfg.norm_params
    assert weight_elems(layers) == cfg.params_total() - cfg.vocab * cfg.hidden - norms
    assert not any(x.weights for x in layers if x.kind == "attention")


def test_a_workloads_batched_and_backward_gemms_are_not_weights() -> None:
    zero = {"bytes_read": 0.0, "bytes_written": 0.0}
    ops = [Op(name="aten.mm", kind="matmul", flops=2 * 8 * 16 * 32, module="fc", phase="forward",
              gemm=Gemm(m=8, n=16, k=32), **zero),
           Op(name="aten.bmm", kind="matmul", flops=2 * 4 * 8 * 8 * 16, module="attn", phase="forward",
              gemm=Gemm(m=8, n=8, k=16, batch=4), **zero),
           Op(name="aten.mm", kind="matmul", flops=2 * 16 * 32 * 8, module="fc", phase="backward",
              gemm=Gemm(m=16, n=32, k=8), **zero)]
    layers, _ = from_workload(Workload(name="w", ops=ops))
    assert [(x.name, x.weights) for x in layers] == [("fc", True), ("attn", False), ("fc.backward", False)]
    assert weight_elems(layers) == 16 * 32
    assert Layer(name="x", kind="gemm", m=1, n=2, k=3, ifmap_elems=3).weights  # the default: a weight


@pytest.mark.parametrize("mode", ["inference", "train"])
def test_a_cnn_train_steps_weights_are_its_parameters(mode: str) -> None:
    """A train step's convolution_backward (dX reads the weight again, dW multiplies activations) counts no weight,
    as a Linear's backward GEMMs do not: a captured CNN train step counted 12,184 weight elements for its 2,976
    parameters (4.1x: each conv's dX and its im2col-sized dW), so a design holding the model was told it did not
    (rev3, 2026-12-06)."""
    import torch
    from torch import nn

    from accelopt.workload.capture import capture_workload
    from accelopt.workload.userfile import ModelBundle

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.ReLU(), nn.Conv2d(8, 8, 3, groups=8, bias=False),
                          nn.Conv2d(8, 16, 1, bias=False), nn.Flatten(), nn.Linear(16 * 4 * 4, 10, bias=False))
    x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 10, (4,))
    bundle = ModelBundle(name="cnn", model=model, batches=lambda: iter([(x, y)]),
                         loss_fn=nn.functional.cross_entropy, make_optimizer=None, batch_size=4)
    layers, _ = from_workload(capture_workload(bundle, mode=mode))
    params = sum(p.numel() for p in model.parameters())  # 216 + 72 + 128 + 2560
    assert params == 2976
    assert weight_elems(layers) == params
    if mode == "train":  # the backward's GEMMs were mapped (dX / dW rows), not left out
        assert any(x.name.endswith(".dW") and x.kind == "conv" for x in layers)
