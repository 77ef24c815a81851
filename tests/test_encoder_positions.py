"""BERT-family encoders have a learned position table (transformers BertEmbeddings.position_embeddings =
nn.Embedding(max_position_embeddings, hidden)), counted for GPT-2 and GPT-Neo but left out for BERT (bert-base:
108,394,752 parameters, 393,216 below what the config builds). The masked-LM head's transform, still not counted,
is said in a note instead of nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.workload.presets import get_model, load_hf_config

# google-bert/bert-base-uncased's config.json (the size keys)
BERT = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 768, "intermediate_size": 3072,
        "num_hidden_layers": 12, "num_attention_heads": 12, "vocab_size": 30522, "max_position_embeddings": 512,
        "type_vocab_size": 2, "hidden_act": "gelu"}


def _write(tmp_path: Path, cfg: dict[str, object]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def test_bert_counts_its_position_table_as_transformers_builds_it(tmp_path: Path) -> None:
    """Against BertForMaskedLM built by transformers from the same file (meta device): its weights without biases,
    less what the reader does not model and names (the MLM transform's dense + LayerNorm weight) or could not matter
    (2 token-type rows)."""
    transformers = pytest.importorskip("transformers")
    import torch

    with torch.device("meta"):
        hf = transformers.BertForMaskedLM(transformers.BertConfig(**{k: v for k, v in BERT.items()
                                                                      if k != "model_type"}))
    weights = sum(p.numel() for n, p in hf.named_parameters() if not n.endswith("bias"))
    h = 768
    m = load_hf_config(_write(tmp_path, BERT))
    assert m.params_total() == weights - (h * h + h) - 2 * h  # 108,787,968
    assert m.position_params() == 512 * h


def test_bert_presets_are_their_configs(tmp_path: Path) -> None:
    assert get_model("bert-base").params_total() == load_hf_config(_write(tmp_path, BERT)).params_total()
    large = {**BERT, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24,
             "num_attention_heads": 16}
    assert get_model("bert-large").params_total() == load_hf_config(_write(tmp_path, large)).params_total()


def test_roberta_table_has_its_514_rows(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, {**BERT, "model_type": "roberta", "architectures": ["RobertaForMaskedLM"],
                                         "vocab_size": 50265, "max_position_embeddings": 514}))
    assert m.learned_positions == 514


def test_modernbert_rotates_and_has_no_table(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, {**BERT, "model_type": "modernbert", "architectures": ["ModernBertForMaskedLM"],
                                         "max_position_embeddings": 8192}))
    assert m.learned_positions == 0


def test_the_mlm_transform_left_out_is_said(tmp_path: Path) -> None:
    notes = load_hf_config(_write(tmp_path, BERT)).config_defaults
    assert any("masked-LM head's transform" in n and "591,360 weights" in n for n in notes), notes
    llama = {"model_type": "llama", "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
             "num_attention_heads": 4, "vocab_size": 1000, "max_position_embeddings": 512}
    assert not any("masked-LM" in n for n in load_hf_config(_write(tmp_path, llama)).config_defaults)


def test_the_count_says_what_it_leaves_out_as_transformers_builds_it() -> None:
    """bert-base printed 108,787,968 parameters against the published 110M with no word why: the text now names the
    biases and token-type table left out, and count + both is transformers' BertModel (random weights, CPU) without
    its pooler; + the pooler (hidden x hidden + hidden) is its num_parameters() with it, 109,482,240."""
    import re

    transformers = pytest.importorskip("transformers")
    from accelopt.workload.presets import preset_params_text

    m = get_model("bert-base")
    text = preset_params_text(m)
    assert text is not None
    left = re.search(r"not counted: ([\d,]+) biases .* BERT's 2 types ([\d,]+)\)", text)
    assert left is not None, text
    biases, token_types = (int(g.replace(",", "")) for g in left.groups())
    cfg = transformers.BertConfig(**{k: v for k, v in BERT.items() if k != "model_type"})
    bare = transformers.BertModel(cfg, add_pooling_layer=False)
    assert m.params_total() + biases + token_types == bare.num_parameters()
    h = m.hidden
    assert m.params_total() + biases + token_types + h * h + h == transformers.BertModel(cfg).num_parameters()
    assert "not counted" not in (preset_params_text(get_model("llama2-7b")) or "")
