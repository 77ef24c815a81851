"""DistilBERT's config.json names its sizes dim, n_layers, n_heads, hidden_dim and activation (transformers
DistilBertConfig): `plan --model` refused it as 'holds no model sizes ... not a model's config.json (a
generation_config.json or tokenizer_config.json?)', while `plan infer` planned the same file. It is read as the
BERT-style encoder it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.workload.presets import load_hf_config

# distilbert/distilbert-base-uncased's config.json (its size keys)
DISTILBERT = {"architectures": ["DistilBertForMaskedLM"], "model_type": "distilbert", "dim": 768, "hidden_dim": 3072,
              "n_layers": 6, "n_heads": 12, "vocab_size": 30522, "max_position_embeddings": 512,
              "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "qa_dropout": 0.1,
              "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "tie_weights_": True, "pad_token_id": 0}


def _write(tmp_path: Path, cfg: dict[str, object]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def test_distilbert_sizes_are_read(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, DISTILBERT))
    assert (m.layers, m.hidden, m.heads, m.ffn, m.mlp) == (6, 768, 12, 3072, "gelu")
    assert m.encoder_only and m.tied_embeddings and m.learned_positions == 512
    assert m.unused_keys == ()  # every DistilBERT key is read or of no cost


def test_distilbert_counts_what_transformers_builds(tmp_path: Path) -> None:
    """Against DistilBertForMaskedLM built by transformers from the same sizes (meta device): its weights without
    biases, less the masked-LM head's transform (vocab_transform's dense + vocab_layer_norm's weight), which the
    reader names in a note and does not count, as for BERT (tests/test_encoder_positions.py)."""
    transformers = pytest.importorskip("transformers")
    import torch

    sizes = {k: v for k, v in DISTILBERT.items() if k not in ("model_type", "architectures")}
    with torch.device("meta"):
        hf = transformers.DistilBertForMaskedLM(transformers.DistilBertConfig(**sizes))
    weights = sum(p.numel() for n, p in hf.named_parameters() if not n.endswith("bias"))
    h = 768
    assert load_hf_config(_write(tmp_path, DISTILBERT)).params_total() == weights - (h * h + h)  # 66,311,424
