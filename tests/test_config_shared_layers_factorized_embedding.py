"""Configs whose weights the transformer model here cannot count are refused, not planned with the key in the
unused-keys warning: ALBERT shares one layer's weights across all its layers (num_hidden_groups of
num_hidden_layers; Lan et al. 2020, 'ALBERT', sec. 3.1 'Cross-layer parameter sharing') and factorizes its embedding
(embedding_size, sec. 3.1 'Factorized embedding parameterization'); ELECTRA-small's embedding is narrower than its
layers (embedding_size 128, hidden 256, projected up: transformers ElectraEmbeddings + embeddings_project).
albert-base-v2 was planned as a 131M-parameter causal decoder for the 11M of its model card, ELECTRA-small at 17.4M
for the 13.5M transformers builds (a user trial, utconfigs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_main, write_config

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# albert/albert-base-v2 config.json (the sizes; dropout and token ids left out)
ALBERT_BASE_V2 = {"architectures": ["AlbertForMaskedLM"], "model_type": "albert", "embedding_size": 128,
                  "hidden_act": "gelu_new", "hidden_size": 768, "inner_group_num": 1, "intermediate_size": 3072,
                  "max_position_embeddings": 512, "num_attention_heads": 12, "num_hidden_groups": 1,
                  "num_hidden_layers": 12, "type_vocab_size": 2, "vocab_size": 30000}
# google/electra-small-discriminator config.json (the sizes)
ELECTRA_SMALL = {"architectures": ["ElectraForPreTraining"], "model_type": "electra", "embedding_size": 128,
                 "hidden_act": "gelu", "hidden_size": 256, "intermediate_size": 1024, "max_position_embeddings": 512,
                 "num_attention_heads": 4, "num_hidden_layers": 12, "type_vocab_size": 2, "vocab_size": 30522}


@pytest.mark.parametrize(("cfg", "said"), [
    (ALBERT_BASE_V2, "shares its layers' weights"),
    ({**ALBERT_BASE_V2, "model_type": "albert_like", "embedding_size": 768}, "num_hidden_groups = 1"),
    (ELECTRA_SMALL, "embedding_size = 128"),
])
def test_weights_the_model_cannot_count_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    cfg: dict[str, Any], said: str) -> None:
    path = write_config(tmp_path, cfg)
    with pytest.raises(InputError, match=said):
        load_hf_config(path)
    code, _, err = run_main(["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8"], capsys)
    assert code == 2, err
    assert said in err and "fix:" in err


def test_an_embedding_as_wide_as_the_layers_is_read(tmp_path: Path) -> None:
    # google/electra-base-discriminator: embedding_size 768 = hidden_size, one table as BERT's
    m = load_hf_config(write_config(tmp_path, {**ELECTRA_SMALL, "embedding_size": 768, "hidden_size": 768,
                                         "intermediate_size": 3072, "num_attention_heads": 12}))
    assert m.encoder_only and "embedding_size" not in m.unused_keys


# facebook/opt-350m config.json (the sizes): its embedding and LM head are word_embed_proj_dim 512 wide, projected in
# to the layers' 1024 and out again (transformers models/opt/modeling_opt.py, OPTDecoder project_in / project_out)
OPT_350M = {"_name_or_path": "facebook/opt-350m", "activation_function": "relu", "architectures": ["OPTForCausalLM"],
            "do_layer_norm_before": False, "ffn_dim": 4096, "hidden_size": 1024, "max_position_embeddings": 2048,
            "model_type": "opt", "num_attention_heads": 16, "num_hidden_layers": 24, "vocab_size": 50272,
            "word_embed_proj_dim": 512}


@pytest.mark.parametrize("args", [["plan", "serve", "-m", "{p}", "--batch", "1"],
                                  ["plan", "explain", "--model", "{p}", "--hardware", "h100-sxm", "--devices", "1"]])
def test_a_projected_embedding_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    # counted before as a 1024-wide tied embedding: 355,617,792 parameters where transformers builds 331,196,416
    # (`plan infer` on the same file), the key named only in the unused-keys warning
    path = write_config(tmp_path, OPT_350M)
    with pytest.raises(InputError, match="word_embed_proj_dim = 512 with hidden_size 1024"):
        load_hf_config(path)
    code, _, err = run_main([a.format(p=path) for a in args], capsys)
    assert code == 2, err
    said = " ".join(err.split())
    assert "word_embed_proj_dim = 512" in said and "plan infer" in said and "Traceback" not in said


def test_a_projection_as_wide_as_the_layers_is_read(tmp_path: Path) -> None:
    # facebook/opt-125m..66b: word_embed_proj_dim = hidden_size, no projection (still listed as a key not read)
    m = load_hf_config(write_config(tmp_path, {**OPT_350M, "word_embed_proj_dim": 1024}))
    assert m.params_total() == 355_617_792


# jetmoe/jetmoe-8b config.json (the sizes; its class sets num_attention_heads = num_key_value_heads x
# num_experts_per_tok, transformers models/jetmoe/configuration_jetmoe.py)
JETMOE_8B = {"activation_function": "silu", "architectures": ["JetMoeForCausalLM"], "hidden_size": 2048,
             "intermediate_size": 5632, "kv_channels": 128, "max_position_embeddings": 4096, "model_type": "jetmoe",
             "num_experts_per_tok": 2, "num_hidden_layers": 24, "num_key_value_heads": 16, "num_local_experts": 8,
             "tie_word_embeddings": True, "vocab_size": 32000}


@pytest.mark.parametrize("extra", [{}, {"num_attention_heads": 32}])
def test_a_mixture_of_attention_experts_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   extra: dict[str, Any]) -> None:
    # as published it was told 'none of num_attention_heads, n_head, num_heads is set' and to add the value 'of the
    # model's published config.json' (which has none); with heads given, its attention experts were one dense layer
    path = write_config(tmp_path, {**JETMOE_8B, **extra})
    code, _, err = run_main(["plan", "serve", "-m", str(path), "--batch", "1"], capsys)
    said = " ".join(err.split())
    assert code == 2 and "routes its attention to experts" in said and "plan infer" in said, err
