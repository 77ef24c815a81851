"""A model whose modules share a weight (GPT-2's input embedding and LM head) counts it once: capture counted the
parameters after Module.to(device), which gives each module its own new Parameter, so `plan infer` on a stock GPT-2
config.json printed 163,037,184 parameters (124,439,808 + the 50257 x 768 table again)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from accelopt.workload.capture import capture_workload
from accelopt.workload.userfile import ModelBundle


class _Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 8)
        self.head = nn.Linear(8, 100, bias=False)
        self.head.weight = self.emb.weight  # tied: one (100, 8) tensor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.emb(x))


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_tied_weight_counts_once(device: str) -> None:
    def batches():  # type: ignore[no-untyped-def]
        return iter([(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long))])

    bundle = ModelBundle(name="tied", model=_Tied(), batches=batches, loss_fn=lambda out, y: out.sum(), batch_size=2)
    wl = capture_workload(bundle, mode="inference", device=device)
    assert wl.meta["params"] == 100 * 8


def test_plan_infer_gpt2_config_counts_the_tied_head_once(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from typer.testing import CliRunner

    from accelopt.cli.main import app

    cfg = tmp_path / "config.json"  # the stock GPT-2 small config (tie_word_embeddings by default)
    cfg.write_text(json.dumps({"model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12,
                               "vocab_size": 50257, "n_positions": 1024, "n_ctx": 1024}), encoding="utf-8")
    r = CliRunner().invoke(app, ["plan", "infer", str(cfg), "--hardware", "edge-tpu", "--batch", "1"])
    assert r.exit_code == 0, r.output
    assert "124,439,808 parameters" in r.output  # the HF model card's 124M; tests/test_gpt2_params.py
