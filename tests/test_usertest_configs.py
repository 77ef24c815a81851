"""Configs a demanding new user typed at the command line (issue 10, usertest pass): each test is one thing the reader
got wrong on a published config.json it had not seen, checked against the model's published size or the CLI's words.

Sizes are those of the published configs (Qwen/Qwen-7B, answerdotai/ModernBERT-base, deepseek-ai/DeepSeek-V2-Lite,
mistralai/Mixtral-8x7B-v0.1 config.json files on the Hugging Face hub).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import run_main
from conftest import write_config as _write

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

QWEN_7B = {"architectures": ["QWenLMHeadModel"], "model_type": "qwen", "hidden_size": 4096, "intermediate_size": 22016,
           "kv_channels": 128, "max_position_embeddings": 32768, "no_bias": True, "num_attention_heads": 32,
           "num_hidden_layers": 32, "seq_length": 8192, "tie_word_embeddings": False, "use_dynamic_ntk": True,
           "use_flash_attn": "auto", "use_logn_attn": True, "vocab_size": 151936, "layer_norm_epsilon": 1e-06}
MODERNBERT_BASE = {"architectures": ["ModernBertForMaskedLM"], "model_type": "modernbert", "hidden_size": 768,
                   "intermediate_size": 1152, "num_hidden_layers": 22, "num_attention_heads": 12, "vocab_size": 50368,
                   "max_position_embeddings": 8192, "hidden_activation": "gelu", "global_attn_every_n_layers": 3,
                   "local_attention": 128, "tie_word_embeddings": True, "norm_bias": False, "mlp_bias": False,
                   "attention_bias": False}
DSV2_LITE = {"model_type": "deepseek_v2", "num_hidden_layers": 27, "hidden_size": 2048, "num_attention_heads": 16,
             "num_key_value_heads": 16, "vocab_size": 102400, "intermediate_size": 10944,
             "max_position_embeddings": 163840, "n_routed_experts": 64, "num_experts_per_tok": 6,
             "moe_intermediate_size": 1408, "n_shared_experts": 2, "first_k_dense_replace": 1, "moe_layer_freq": 1,
             "kv_lora_rank": 512, "q_lora_rank": None, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
             "v_head_dim": 128}
MIXTRAL = {"model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8, "num_experts_per_tok": 2,
           "vocab_size": 32000, "max_position_embeddings": 32768, "hidden_act": "silu"}


def test_qwen_v1_mlp_is_a_swiglu_of_half_its_intermediate_size(tmp_path: Path) -> None:
    # Qwen/Qwen-7B modeling_qwen.py QWenMLP: w1, w2 = Linear(hidden, intermediate_size // 2), c_proj back. Read as a
    # plain MLP of 22016 with the unknown-type note, it counted 9.16B. The checkpoint holds 7,721,324,544 parameters
    # (model.safetensors.index.json total_size 15,442,649,088 bytes, bf16); the 32 x 12,288 c_attn biases are the
    # only weights the reader leaves out (it counts no biases).
    model = load_hf_config(_write(tmp_path, QWEN_7B))
    assert model.mlp == "swiglu" and model.ffn == 11008
    assert model.params_total() == 7_721_324_544 - 32 * 12288
    assert not any("no rule" in n for n in model.config_defaults)
    assert "kv_channels" not in model.unused_keys and "use_logn_attn" not in model.unused_keys


def test_qwen_v1_odd_intermediate_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="intermediate_size = 22017 is odd"):
        load_hf_config(_write(tmp_path, {**QWEN_7B, "intermediate_size": 22017}))


def test_modernbert_is_a_gated_encoder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # transformers models/modernbert/modeling_modernbert.py: ModernBertMLP's Wi is Linear(hidden, 2 x intermediate)
    # chunked into input and gate (GeGLU), its layers bidirectional. ModernBERT-base's ModernBertModel holds
    # 149,014,272 weights (embeddings 50368 x 768 + 22 x (Wqkv 768 x 2304 + Wo 768^2 + Wi 768 x 2304 + Wo 1152 x 768)
    # + 44 LayerNorms less layer 0's + the embedding and final norms); read as a causal decoder with a plain MLP it
    # counted 130M and `plan serve` predicted token generation for it.
    p = _write(tmp_path, MODERNBERT_BASE)
    model = load_hf_config(p)
    assert model.encoder_only and model.mlp == "swiglu"
    assert model.params_total() == 149_014_272
    assert "local_attention" in model.unused_keys  # its 128-token local layers are not modelled: listed
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--batch", "1"], capsys)
    assert code == 2 and "encoder-only" in err and "fix:" in err


def test_kv_lora_rank_zero_is_an_error_not_multi_head_attention(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # DeepSeek-V2-Lite with kv_lora_rank 0 was planned as multi-head attention without a word (+82M parameters,
    # 7 x the KV cache per token).
    p = _write(tmp_path, {**DSV2_LITE, "kv_lora_rank": 0})
    code, _, err = run_main(["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"], capsys)
    assert code == 2 and "kv_lora_rank = 0" in err and "fix:" in err and "Traceback" not in err


def test_mla_width_past_any_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # kv_lora_rank 1e12 ended in 'no feasible layout ... does not fit memory', not naming the field
    p = _write(tmp_path, {**DSV2_LITE, "kv_lora_rank": 10**12})
    code, _, err = run_main(["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"], capsys)
    assert code == 2 and "kv_lora_rank = 1000000000000" in err and "fix:" in err


@pytest.mark.parametrize("positions", [10**30, 1e30])
def test_context_length_past_any_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  positions: float) -> None:
    # max_position_embeddings 1e30 was read, and printed as a context of 1,000,000,000,000,000,019,884,624,838,656
    # positions (exit 0)
    p = _write(tmp_path, {**MIXTRAL, "max_position_embeddings": positions})
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--tp", "8",
                             "--batch", "1"], capsys)
    assert code == 2 and "max_position_embeddings" in err and "past any model" in err and "fix:" in err


@pytest.mark.parametrize("act", [["silu"], 1, {"name": "silu"}])
def test_activation_that_is_not_a_name_is_refused(tmp_path: Path, act: object) -> None:
    # hidden_act ["silu"] was read as 'not silu' without a word
    with pytest.raises(InputError, match=r"hidden_act .* is not the name of an activation"):
        load_hf_config(_write(tmp_path, {**MIXTRAL, "model_type": "zzz", "hidden_act": act}))


# A small BERT (the keys of google-bert/bert-base-uncased's config.json, fewer and narrower layers so that transformers
# builds it fast) for `plan infer`, which builds the model with transformers rather than reading the sizes itself.
SMALL_BERT = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 128, "intermediate_size": 512,
              "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 30522, "max_position_embeddings": 512,
              "type_vocab_size": 2, "hidden_act": "gelu", "pad_token_id": 0}


def _infer_json(p: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    pytest.importorskip("transformers")
    code, out, err = run_main(["plan", "infer", str(p), "--hardware", "h100-sxm", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_plan_infer_says_which_config_keys_transformers_ignored(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # A misspelt num_hiden_layers: transformers set it as an attribute no module reads and built BertConfig's default
    # 12 layers; `plan infer` planned that model (6x the layers asked) and said nothing of either.
    cfg = {k: v for k, v in SMALL_BERT.items() if k != "num_hidden_layers"}
    doc = _infer_json(_write(tmp_path, {**cfg, "num_hiden_layers": 2}), capsys)
    notes = " | ".join(doc["notes"])
    assert "does not define, ignored when the model was built: num_hiden_layers" in notes, notes
    assert "no num_hidden_layers" in notes and "num_hidden_layers 12" in notes, notes


def test_plan_infer_on_a_complete_config_adds_no_such_note(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    notes = " | ".join(_infer_json(_write(tmp_path, SMALL_BERT), capsys)["notes"])
    assert "does not define" not in notes and "default(s) used" not in notes, notes


@pytest.mark.parametrize("key", ["hidden_size", "sliding_window"])
def test_a_lone_nan_size_is_named_as_not_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  key: str) -> None:
    # Python's json reads NaN; hidden_size NaN was told it 'name[s] the same figure with different values' and to
    # 'keep one of hidden_size' (NaN != NaN in the check of alternative keys)
    p = _write(tmp_path, {**MIXTRAL, key: float("nan")})
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and f"{key} = nan is not" in err and "different values" not in err, err


@pytest.mark.parametrize(("extra", "still_listed"), [
    ({"model_type": "nemotron", "norm_eps": 1e-05, "hidden_act": "relu2"}, ()),
    ({"model_type": "starcoder2", "norm_epsilon": 1e-05, "embedding_dropout": 0.1, "residual_dropout": 0.1,
      "use_bias": True, "norm_type": "layer_norm"}, ("norm_type", "use_bias")),
    ({"model_type": "opt", "dropout": 0.1, "activation_dropout": 0.1, "init_std": 0.02,
      "word_embed_proj_dim": 4096}, ("word_embed_proj_dim",)),
    # CohereForCausalLM multiplies its logits by logit_scale; GPT-BigCode's softmax scaling in fp32 (utmodels)
    ({"model_type": "cohere", "logit_scale": 0.0625, "use_qk_norm": False}, ()),
    ({"model_type": "gpt_bigcode", "scale_attention_softmax_in_fp32": True, "attention_softmax_in_fp32": True}, ()),
])
def test_numerics_and_dropout_keys_are_not_listed_as_unmodelled(tmp_path: Path, extra: dict[str, Any],
                                                                still_listed: tuple[str, ...]) -> None:
    # A norm's epsilon, dropout and the initialiser's scale change no FLOPs, bytes or memory at the predictors' level
    # (as rms_norm_eps, hidden_dropout and initializer_range already were not listed); a key that is a real
    # difference (StarCoder2's biases, OPT's projection width) stays listed.
    model = load_hf_config(_write(tmp_path, {**MIXTRAL, "num_local_experts": None, "num_experts_per_tok": None,
                                             **extra}))
    assert model.unused_keys == still_listed


def test_a_reward_model_config_is_said_to_be_a_classifier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A reward model's config.json (Skywork/Skywork-Reward-Llama-3.1-8B: architectures LlamaForSequenceClassification,
    # num_labels 1) was read as the causal LM: its vocab x hidden LM head counted without a word, and `plan serve`
    # predicted token generation for a model that outputs one score per sequence.
    llama = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
             "max_position_embeddings": 131072, "hidden_act": "silu", "tie_word_embeddings": False}
    p = _write(tmp_path, {**llama, "architectures": ["LlamaForSequenceClassification"], "num_labels": 1})
    model = load_hf_config(p)
    assert model.classifier_head == "LlamaForSequenceClassification"
    assert any("classification head" in n and f"{128256 * 4096:,}" in n for n in model.config_defaults)
    code, _, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "is a classifier" in err and "fix:" in err, err
    lm = load_hf_config(_write(tmp_path, {**llama, "architectures": ["LlamaForCausalLM"]}))
    assert lm.classifier_head == "" and not any("classification head" in n for n in lm.config_defaults)


@pytest.mark.parametrize("command", ["plan", "infer"])
def test_a_key_given_twice_with_different_values_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           command: str) -> None:
    # json keeps the last of two equal keys without a word: "hidden_size": 128, ..., "hidden_size": 256 was planned
    # at 256 (Python's json and transformers' config reading alike)
    text = json.dumps(SMALL_BERT).replace('"hidden_size": 128', '"hidden_size": 128, "hidden_size": 256')
    p = tmp_path / "config.json"
    p.write_text(text, encoding="utf-8")
    argv = {"plan": ["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"],
            "infer": ["plan", "infer", str(p), "--hardware", "h100-sxm", "--batch", "1"]}[command]
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "'hidden_size' is given twice, 128 and then 256" in err and "fix:" in err, err
    p.write_text(json.dumps(SMALL_BERT).replace('"hidden_size": 128', '"hidden_size": 128, "hidden_size": 128'),
                 encoding="utf-8")  # the same value twice says one thing: read
    assert load_hf_config(p).hidden == 128


def test_config_notes_say_when_the_class_defaults_cannot_be_built() -> None:
    # a config class that needs sub-configs to be built alone (cls() raises) must not turn plan infer into a traceback
    from accelopt.workload.hf import _config_notes

    class NeedsParts:
        attribute_map: ClassVar[dict[str, str]] = {}

        def __init__(self, parts: object) -> None:
            self.parts = parts

    notes = _config_notes(NeedsParts(1), {"hidden_size": 8}, "x")
    assert len(notes) == 1 and "were not checked against NeedsParts's" in notes[0]


@pytest.mark.parametrize("other", [{"bos_token_id": 1, "eos_token_id": 2, "do_sample": True, "temperature": 0.6},
                                   {"add_bos_token": True, "model_max_length": 8192,
                                    "tokenizer_class": "LlamaTokenizer"}])
def test_a_checkpoints_other_json_is_named_as_not_the_models_config(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    other: dict[str, Any]) -> None:
    # generation_config.json / tokenizer_config.json passed as --model were told to 'add num_hidden_layers to the
    # config, with the value of the model's published config.json'
    p = _write(tmp_path, other, "generation_config.json")
    code, _, err = run_main(["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8"], capsys)
    assert code == 2 and "holds no model sizes" in err and "pass the model's config.json" in err, err


def test_phi3_small_reads_its_geglu_width(tmp_path: Path) -> None:
    # microsoft/Phi-3-small-8k-instruct config.json sizes; its MLP is up_proj Linear(hidden, 2 x ff_intermediate_size)
    # (GeGLU) + down_proj, logits through the tied embedding (mlx-lm mlx_lm/models/phi3small.py @2090daa). Read
    # without a rule: a plain MLP of the 4 x hidden default, 6.05B against the model card's 7.4B.
    cfg = {"model_type": "phi3small", "hidden_size": 4096, "ff_intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 100352, "max_position_embeddings": 8192,
           "hidden_act": "gegelu", "gegelu_limit": 20.0, "mup_width_multiplier": 8.0,
           "dense_attention_every_n_layers": 2, "blocksparse_vert_stride": 8, "tie_word_embeddings": True}
    model = load_hf_config(_write(tmp_path, cfg))
    assert (model.mlp, model.ffn, model.tied_embeddings) == ("swiglu", 14336, True)
    # 100352 x 4096 tied + 32 x (q, o 4096^2 + k, v 4096 x 1024 + 3 x 4096 x 14336 + 2 norms) + final norm
    assert model.params_total() == 7_390_629_888
    assert abs(model.params_total() / 7.4e9 - 1) < 0.01
    assert not any("no rule" in n or "assumed" in n for n in model.config_defaults)
    assert "dense_attention_every_n_layers" in model.unused_keys  # the block-sparse layers are not modelled: listed


def test_num_labels_is_not_named_as_ignored(tmp_path: Path) -> None:
    # PretrainedConfig reads num_labels (a property: it builds id2label from it) but to_dict() keeps only id2label, so
    # `profile` of a 3-label BertForSequenceClassification config said "does not define, ignored when the model was
    # built: num_labels" while it built the 3-way head (hidden x 3 + 3 classifier parameters)
    from accelopt.workload.hf import build_from_hf_config

    cfg = {**SMALL_BERT, "architectures": ["BertForSequenceClassification"], "num_labels": 3, "num_hiden_layers": 2}
    b = build_from_hf_config(str(_write(tmp_path, cfg)), batch_size=2, seq_len=8)
    assert b.model.classifier.out_features == 3
    notes = " | ".join(b.meta["config_notes"])
    assert "ignored when the model was built: num_hiden_layers" in notes, notes  # a misspelt key is still named
    assert "num_labels" not in notes, notes
