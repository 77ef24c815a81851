"""`plan`, `plan explain` and `plan serve` on published config.json files no earlier trial read (a user trial, ut3hf).

The configs are in tests/data/hf_configs (README there names each source). Before these fixes:
- openai/clip-vit-large-patch14 (model_type clip) and a Stable Diffusion text encoder (clip_text_model) were read as
  a causal LM with an untied output layer: `plan serve` predicted token generation for a model with no LM head;
- google/gemma-3n-E4B was refused with 'intermediate_size = [16384, ...] is not a whole number >= 0' and the fix
  'fix intermediate_size in the config' (its published value is a per-layer list);
- Llama 3.2 11B Vision's 8 cross-attention layers (cross_attention_layers) were read as self-attention layers over
  the text, the key only in the not-modelled warning;
- Command R7B (cohere2) was read as attention then MLP with 2 norms per layer and 'has no rule in this reader',
  where Cohere2DecoderLayer is Cohere's parallel block with one LayerNorm (huggingface/transformers@64c2ae8
  src/transformers/models/cohere2/modular_cohere2.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

DATA = Path(__file__).parent / "data" / "hf_configs"


def _config(name: str) -> str:
    return str(DATA / name / "config.json")


@pytest.mark.parametrize("name, said", [
    ("clip-vit-large-patch14", "model_type 'clip' is a contrastive model"),
    ("sd15-text-encoder", "model_type 'clip_text_model' is the text encoder of 'clip'"),
    ("gemma3n-e4b", "model_type 'gemma3n_text' (Gemma 3n) has parts the predictors do not model"),
    ("llama-3.2-11b-vision", "cross_attention_layers lists 8 of the 40 layers as cross-attention layers"),
])
@pytest.mark.parametrize("command", [["plan", "serve"], ["plan"], ["plan", "explain"]])
def test_unmodelled_architectures_exit_2_naming_what(capsys: pytest.CaptureFixture[str], name: str, said: str,
                                                     command: list[str]) -> None:
    extra = ["--tp", "8", "--devices", "8"] if command == ["plan", "explain"] else []
    out, err = run_main_expect(capsys, *command, "--model", _config(name), "--hardware", "h100-sxm", *extra, code=2)
    assert said in err and "Traceback" not in err
    assert "fix: " in err and "is not a whole number" not in err
    assert out == ""


def test_clip_error_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", _config("clip-vit-large-patch14"), "--json", code=2)
    doc = json.loads(out)
    assert "no language-model head" in doc["error"] and "plan infer" in doc["fix"]


def test_gemma3n_fix_does_not_ask_to_edit_the_published_config() -> None:
    with pytest.raises(InputError) as e:
        load_hf_config(_config("gemma3n-e4b"))
    assert "altup_num_inputs" in str(e.value) and "fix intermediate_size" not in e.value.fix


def test_cohere2_parallel_block_one_norm() -> None:
    m = load_hf_config(_config("cohere2-r7b"))
    assert m.parallel_block is True and m.norms_per_layer == 1
    assert not any("has no rule" in n for n in m.config_defaults)
    # the count from the architecture (Cohere2DecoderLayer: q, k, v, o without biases, a gated MLP, one LayerNorm of
    # weights only; embed_tokens tied to the output; Cohere2Model.norm): 32 layers, hidden 4096, 32 heads x 128,
    # 8 K/V heads, MLP 14336, vocab 256000
    h, kv, ffn, layers, vocab = 4096, 8 * 128, 14336, 32, 256000
    layer = 2 * h * h + 2 * h * kv + 3 * h * ffn + h
    assert m.params_total() == vocab * h + layers * layer + h == 8_028_033_024


def test_cohere2_count_and_block_printed_alike(capsys: pytest.CaptureFixture[str]) -> None:
    said = "cohere2-r7b as read from its config: 8,028,033,024 parameters"
    serve, _ = run_main_expect(capsys, "plan", "serve", "--model", _config("cohere2-r7b"), "--hardware", "h100-sxm")
    explain, _ = run_main_expect(capsys, "plan", "explain", "--model", _config("cohere2-r7b"), "--hardware",
                                 "h100-sxm", "--devices", "8", "--tp", "8")
    for out in (serve, explain):
        words = " ".join(out.split())  # the console wraps long lines
        assert said in words and "attention and MLP in parallel, 1 norm per layer" in words
        assert "has no rule in this reader" not in words


def test_glm4_qkv_biases_four_norms() -> None:
    """GLM-4-0414 (model_type glm4) had no rule: attention_bias was listed as not modelled and 2 norms counted where
    Glm4DecoderLayer has 4 RMSNorms and q/k/v biases (huggingface/transformers@257314f models/glm4/modeling_glm4.py)."""
    m = load_hf_config(_config("glm4-9b-0414"))
    assert "attention_bias" not in m.unused_keys and m.norms_per_layer == 4 and m.qkv_bias
    assert not any("has no rule" in n for n in m.config_defaults)
    # embed_tokens and an untied lm_head (151552 x 4096); per layer q, o 4096 x 4096, k, v 4096 x 256 with q/k/v
    # biases, a gated MLP of 13696, 4 norms; the final norm
    h, kv, ffn, layers, vocab = 4096, 2 * 128, 13696, 40, 151552
    layer = 2 * h * h + 2 * h * kv + (h + 2 * kv) + 3 * h * ffn + 4 * h
    assert m.params_total() == 2 * vocab * h + layers * layer + h == 9_400_279_040


def test_llama4_scout_runtime_keys_not_listed(capsys: pytest.CaptureFixture[str]) -> None:
    """Llama 4 Scout's published config.json saves transformers' _attn_implementation_autoset in its text_config: a
    runtime backend flag, printed before as a key 'not modelled by the predictor'. The vision tower stays named."""
    m = load_hf_config(_config("llama4-scout"))
    assert "_attn_implementation_autoset" not in m.unused_keys
    _, err = run_main_expect(capsys, "plan", "serve", "--model", _config("llama4-scout"), "--hardware", "h100-sxm",
                             "--tp", "4")
    assert "vision_config" in err and "_attn_implementation_autoset" not in err


@pytest.mark.parametrize("name, mtype", [("deberta-v3-base", "deberta-v2"), ("all-mpnet-base-v2", "mpnet")])
def test_encoders_without_a_rule_are_encoders(capsys: pytest.CaptureFixture[str], name: str, mtype: str) -> None:
    """DeBERTa-v3 and MPNet (sentence-transformers) were read as causal decoders and `plan serve` predicted token
    generation for them; they are encoders (bidirectional attention, a masked-LM head)."""
    m = load_hf_config(_config(name))
    assert m.encoder_only
    note = next(n for n in m.config_defaults if "has no rule" in n)
    assert f"model_type {mtype!r}" in note and "read as a bidirectional encoder block" in note
    _, err = run_main_expect(capsys, "plan", "serve", "--model", _config(name), code=2)
    assert "is an encoder-only model" in err and "plan infer" in err


def test_a_masked_lm_architecture_is_an_encoder(tmp_path: Path) -> None:
    cfg = json.loads((DATA / "all-mpnet-base-v2" / "config.json").read_text())
    cfg["model_type"] = "some_new_encoder"  # a type no rule names, read by its MPNetForMaskedLM class
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert load_hf_config(tmp_path / "config.json").encoder_only
    cfg["architectures"] = ["SomeNewForCausalLM"]
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    assert not load_hf_config(tmp_path / "config.json").encoder_only



@pytest.mark.parametrize("mtype, arch", [("ernie", "ErnieForCausalLM"), ("roberta", "RobertaForCausalLM")])
def test_an_encoder_family_saved_as_a_decoder_is_a_decoder(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          mtype: str, arch: str) -> None:
    """A BERT-kin config saved with is_decoder true runs with a causal mask (transformers 4.31.0
    ModuleUtilsMixin.get_extended_attention_mask) and `plan infer` builds its causal head: it was read as an encoder
    and `plan serve` refused it as encoder-only (rev1, session 35). Without is_decoder it stays an encoder."""
    cfg = json.loads((DATA / "all-mpnet-base-v2" / "config.json").read_text())
    cfg.update(model_type=mtype, architectures=[arch])
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    assert load_hf_config(path).encoder_only
    cfg["is_decoder"] = True
    path.write_text(json.dumps(cfg))
    assert not load_hf_config(path).encoder_only
    out, err = run_main_expect(capsys, "plan", "serve", "--model", str(path), "--hardware", "h100-sxm", "--json")
    assert json.loads(out)["results"][0]["points"], err


def test_omni_sub_models_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Qwen2.5-Omni nests its sizes under thinker_config / talker_config; it was asked whether it was a
    generation_config.json. The message names the nested keys, and the thinker's text model alone plans."""
    _, err = run_main_expect(capsys, "plan", "serve", "--model", _config("qwen2.5-omni-7b"), code=2)
    assert "only inside talker_config, thinker_config" in err and "generation_config" not in err
    cfg = json.loads((DATA / "qwen2.5-omni-7b" / "config.json").read_text())
    text = cfg["thinker_config"]["text_config"]
    (tmp_path / "config.json").write_text(json.dumps(text))  # the fix: the language model's block on its own
    assert load_hf_config(tmp_path / "config.json").layers == 28


def test_per_layer_block_configs_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """Nemotron-NAS's block_configs (per-layer attention, some none, and MLP widths) was only listed as not modelled
    while the model was read as 80 uniform layers: 88.0B parameters for Llama-3.1-Nemotron-51B."""
    for command in (["plan", "serve"], ["plan"]):
        _, err = run_main_expect(capsys, *command, "--model", _config("nemotron-51b"), code=2)
        assert "block_configs gives each of the layers its own attention" in err and "plan infer" in err
        assert "88,0" not in err


def test_dtype_key_of_new_configs_not_listed() -> None:
    """transformers 4.56 saves torch_dtype as dtype (PR #39782); only torch_dtype was known as irrelevant."""
    m = load_hf_config(_config("qwen3-vl-30b-a3b"))
    assert "dtype" not in m.unused_keys and "vision_config" in m.unused_keys


def test_all_attention_mixer_list_read_not_listed(tmp_path: Path) -> None:
    """MiniMax-M2's attn_type_list is 62 ones (softmax attention on every layer): checked, and so not a key 'not
    modelled'; a list with a lightning-attention layer (0) is still refused."""
    m = load_hf_config(_config("minimax-m2"))
    assert "attn_type_list" not in m.unused_keys and "use_mtp" in m.unused_keys
    cfg = json.loads((DATA / "minimax-m2" / "config.json").read_text())
    cfg["attn_type_list"][0] = 0
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(InputError, match="attn_type_list lists 0 layers beside attention"):
        load_hf_config(tmp_path / "config.json")


@pytest.mark.parametrize("key, value", [("attn_type_list", [{}] * 62), ("layer_types", [["full_attention"]] * 62)])
def test_unhashable_layer_list_entries_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, key: str,
                                              value: list) -> None:
    """An object or list as a per-layer entry ended in 'TypeError: unhashable type' (a traceback)."""
    cfg = json.loads((DATA / "minimax-m2" / "config.json").read_text())
    cfg[key] = value
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    _, err = run_main_expect(capsys, "plan", "serve", "--model", str(tmp_path / "config.json"), code=2)
    assert f"{key} lists" in err and "Traceback" not in err
