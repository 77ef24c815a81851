"""A config with one routed expert (or none) is read as a dense model; the keys of the experts' layout it does not
read are listed with the unused keys. Before utserve (s33, 2026-12-06) they were dropped without a word: a Qwen3-MoE
config with num_experts 1 came out as a 6,144-wide dense MLP with its moe_intermediate_size 768 neither used nor
listed. Since utcfg (s33) a qwen2_moe / qwen3_moe config with one expert on every layer is read as transformers builds
it: Qwen3MoeDecoderLayer / Qwen2MoeDecoderLayer make their SparseMoeBlock whenever num_experts > 0 (and the layer is
sparse by mlp_only_layers / decoder_sparse_step; models/qwen3_moe/modeling_qwen3_moe.py @00d4b3d), i.e. ONE expert of
moe_intermediate_size, not a dense MLP of intermediate_size; these tests pinned the dense 6,144 read before and now
pin the expert's width. A layout that mixes dense layers (decoder_sparse_step 2) keeps the dense read and its list."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main, write_hf_config

from accelopt.workload.presets import get_model

QWEN3_MOE = {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 2048,
             "intermediate_size": 6144, "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8,
             "num_hidden_layers": 48, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128,
             "vocab_size": 151936, "max_position_embeddings": 40960, "tie_word_embeddings": False,
             "decoder_sparse_step": 1, "mlp_only_layers": []}


def test_one_expert_on_every_layer_is_the_experts_width(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "one-expert", {**QWEN3_MOE, "num_experts": 1,
                                                                  "num_experts_per_tok": 1})))
    assert cfg.experts == 1 and cfg.ffn == 768
    assert not {"moe_intermediate_size", "decoder_sparse_step"} & set(cfg.unused_keys), cfg.unused_keys
    (note,) = [n for n in cfg.config_defaults if n.startswith("one routed expert")]
    assert "moe_intermediate_size 768" in note and "98,304 parameters" in note, note  # 48 routers of 2048 x 1


def test_one_expert_lists_the_moe_keys_it_does_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every other layer sparse (decoder_sparse_step 2): two widths, which the dense read cannot hold."""
    path = write_hf_config(tmp_path, "one-expert", {**QWEN3_MOE, "num_experts": 1, "num_experts_per_tok": 1,
                                                    "decoder_sparse_step": 2})
    cfg = get_model(str(path))
    assert cfg.experts == 1 and cfg.ffn == 6144  # the dense read the note describes
    assert {"moe_intermediate_size", "decoder_sparse_step"} <= set(cfg.unused_keys)
    assert "mlp_only_layers" not in cfg.unused_keys  # an empty list says nothing
    (note,) = [n for n in cfg.config_defaults if "routed expert(s)" in n]
    assert "6,144 wide" in note and "moe_intermediate_size" in note, note
    code, _, err = run_main(["plan", "serve", "--model", str(path), "--batch", "1"], capsys)
    assert code == 0 and "ignored: decoder_sparse_step, moe_intermediate_size" in err, err


def test_an_moe_model_reads_them(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "moe", QWEN3_MOE)))
    assert cfg.experts == 128 and cfg.ffn == 768
    assert not {"moe_intermediate_size", "decoder_sparse_step"} & set(cfg.unused_keys)
    assert not [n for n in cfg.config_defaults if "routed expert(s)" in n]


def test_one_expert_without_the_width_gets_the_class_default_once(tmp_path: Path) -> None:
    """One expert without moe_intermediate_size: the class's 768, said once (before rvB, s33, the note said 'the
    defaults ... used' and the next one that key is 'not used', with the key listed as ignored)."""
    cfg_dict = {k: v for k, v in QWEN3_MOE.items() if k not in ("moe_intermediate_size", "decoder_sparse_step",
                                                                   "mlp_only_layers")}
    cfg = get_model(str(write_hf_config(tmp_path, "one-expert", {**cfg_dict, "num_experts": 1,
                                                                  "num_experts_per_tok": 1})))
    assert cfg.experts == 1 and cfg.ffn == 768
    assert "moe_intermediate_size" not in cfg.unused_keys, cfg.unused_keys
    (note,) = [n for n in cfg.config_defaults if "moe_intermediate_size" in n]
    assert "leaves out moe_intermediate_size 768: the default of transformers Qwen3MoeConfig" in note, note


def test_one_expert_does_not_list_a_width_it_was_never_given(tmp_path: Path) -> None:
    """A one-expert Qwen3-MoE config without moe_intermediate_size had the class's 768 filled in (_MOE_CLASS_DEFAULTS,
    for an MoE read) and was then told both 'the defaults ... used' and 'moe_intermediate_size ... not used', with
    the key listed as ignored though the file never held it (rvA, s33)."""
    body = {k: v for k, v in QWEN3_MOE.items() if k != "moe_intermediate_size"}
    cfg = get_model(str(write_hf_config(tmp_path, "one-expert", {**body, "num_experts": 1, "num_experts_per_tok": 1,
                                                                  "decoder_sparse_step": 2})))  # the dense read
    assert cfg.experts == 1 and cfg.ffn == 6144
    assert "moe_intermediate_size" not in cfg.unused_keys
    assert not [n for n in cfg.config_defaults if "moe_intermediate_size" in n]
    (note,) = [n for n in cfg.config_defaults if "routed expert(s)" in n]
    assert "decoder_sparse_step" in note, note  # the key the file does give
