"""Hugging Face config.json -> ModelBundle -> captured Workload (random weights, nothing downloaded)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from accelopt.errors import InputError, UnsupportedError  # noqa: E402
from accelopt.workload.capture import capture_workload  # noqa: E402
from accelopt.workload.hf import build_from_hf_config  # noqa: E402

GPT2 = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 2, "n_embd": 32, "n_head": 2,
        "vocab_size": 100, "n_positions": 64}
LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 32,
         "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
         "vocab_size": 100, "max_position_embeddings": 64}
BERT = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": 100, "max_position_embeddings": 64}


def _write(tmp_path: Path, d: dict[str, object]) -> Path:
    pytest.importorskip("transformers")
    (tmp_path / "config.json").write_text(json.dumps(d), encoding="utf-8")
    return tmp_path


def _linear_macs_per_token(hidden: int, ffn: int, kv: int, vocab: int, layers: int, gated: bool) -> int:
    per_layer = hidden * hidden * 2 + 2 * hidden * kv + (3 if gated else 2) * hidden * ffn
    return layers * per_layer + hidden * vocab


@pytest.mark.parametrize(("cfg", "kv", "gated"), [(GPT2, 32, False), (LLAMA, 16, True)])
def test_causal_lm_forward_matmul_flops(tmp_path: Path, cfg: dict[str, object], kv: int, gated: bool) -> None:
    b = build_from_hf_config(str(_write(tmp_path, cfg)), batch_size=2, seq_len=16)
    assert b.meta["head"] == "causal" and b.meta["seq_len"] == 16
    w = capture_workload(b)
    hidden, ffn = 32, (64 if gated else 128)  # GPT-2's MLP is 4 * n_embd
    linear = 2 * 2 * 16 * _linear_macs_per_token(hidden, ffn, kv, 100, 2, gated)
    # attention scores and weighted sum: 2 GEMMs of B*S*S*hidden MACs per layer
    attn = 2 * 2 * 2 * 16 * 16 * hidden * 2
    assert w.total_flops("forward", ["matmul", "attention"]) == linear + attn
    assert w.total_flops("backward") > w.total_flops("forward")
    assert any(o.module.endswith(".0.mlp.c_fc") or o.module.endswith(".0.mlp.up_proj") for o in w.ops)


def test_masked_lm(tmp_path: Path) -> None:
    b = build_from_hf_config(str(_write(tmp_path, BERT) / "config.json"), seq_len=8)
    assert b.meta["head"] == "masked"
    w = capture_workload(b, mode="inference")
    assert w.total_flops(kinds=["matmul", "attention"]) > 0


def test_missing_transformers_is_unsupported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # import raises ImportError
    with pytest.raises(UnsupportedError, match=r"accelopt\[hf\]"):
        build_from_hf_config(str(tmp_path))


def test_missing_config(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    with pytest.raises(InputError, match="does not exist"):
        build_from_hf_config(str(tmp_path))


def test_bad_configs(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    p = tmp_path / "config.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        build_from_hf_config(str(p))
    p.write_text(json.dumps({"hidden_size": 8}), encoding="utf-8")
    with pytest.raises(InputError, match="model_type"):
        build_from_hf_config(str(p))
    p.write_text(json.dumps({"model_type": "no-such-arch"}), encoding="utf-8")
    with pytest.raises(InputError, match="no-such-arch"):
        build_from_hf_config(str(p))


@pytest.mark.parametrize(("key", "value", "match"), [
    ("num_hidden_layers", -2, "num_hidden_layers = -2"),  # built as a model without layers, exit 0
    ("num_hidden_layers", 0, "num_hidden_layers = 0"),
    ("n_head", 1.5, "n_head = 1.5"),
    ("hidden_size", 2**31, "hidden_size = 2147483648"),
    ("hidden_size", 2_000_000, "cannot be built here"),  # 2e6 x 2e6 weights: the allocator refuses (was a traceback)
])
def test_sizes_past_any_model_are_refused(tmp_path: Path, key: str, value: object, match: str) -> None:
    cfg = {**(GPT2 if key.startswith("n_") else LLAMA), key: value}
    with pytest.raises(InputError, match=match):
        build_from_hf_config(str(_write(tmp_path, cfg)))


def test_seq_len_beyond_positions(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="64 positions"):
        build_from_hf_config(str(_write(tmp_path, GPT2)), seq_len=65)


def test_head_chosen_without_architectures(tmp_path: Path) -> None:
    bert = {k: v for k, v in BERT.items() if k != "architectures"}
    assert build_from_hf_config(str(_write(tmp_path, bert)), seq_len=8).meta["head"] == "masked"
    gpt2 = {k: v for k, v in GPT2.items() if k != "architectures"}
    assert build_from_hf_config(str(_write(tmp_path, gpt2)), seq_len=8).meta["head"] == "causal"


def test_encoder_decoder_unsupported(tmp_path: Path) -> None:
    t5 = {"model_type": "t5", "d_model": 16, "d_ff": 32, "num_layers": 1, "num_heads": 2, "d_kv": 8,
          "vocab_size": 50}
    with pytest.raises(UnsupportedError, match="encoder-decoder"):
        build_from_hf_config(str(_write(tmp_path, t5)))


@pytest.mark.parametrize("base", [BERT, LLAMA])
def test_sequence_classification_head_is_built(tmp_path: Path, base: dict[str, object]) -> None:
    """"architectures": ["...ForSequenceClassification"] was built as the masked/causal LM without a word; it is now
    the classification head over num_labels classes, trained on class ids (a decoder's head reads the last
    non-padding token: the inputs never draw the pad id, the last id where the config names none)."""
    arch = str(base["architectures"][0]).replace("ForMaskedLM", "ForSequenceClassification")  # type: ignore[index]
    arch = arch.replace("ForCausalLM", "ForSequenceClassification")
    cfg = {**base, "architectures": [arch], "num_labels": 3,
           "id2label": {"0": "a", "1": "b", "2": "c"}, "label2id": {"a": 0, "b": 1, "c": 2}}
    b = build_from_hf_config(str(_write(tmp_path, cfg)), batch_size=4, seq_len=8)
    assert type(b.model).__name__ == arch and b.meta["head"] == "classify"
    assert b.name.endswith(f"({arch}, 3 labels)")  # what every report prints names the head that was built
    x, y = next(b.batches())
    assert x.shape == (4, 8) and y.shape == (4,) and int(y.max()) < 3
    assert not bool((x == b.model.config.pad_token_id).any())  # the head reads each sequence at its end
    out = b.model(x)
    assert out.logits.shape == (4, 3)
    assert float(b.loss_fn(out, y)) == pytest.approx(float(torch.nn.functional.cross_entropy(out.logits, y)))
    w = capture_workload(b)
    assert w.total_flops("backward") > 0
