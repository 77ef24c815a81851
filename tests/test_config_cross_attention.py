"""A decoder config with add_cross_attention = true (the decoder half of an encoder-decoder model, e.g. the GPT-2 of
nlpconnect/vit-gpt2-image-captioning) was read as a plain decoder: the key sat among those 'that change nothing', so
each block's cross-attention (transformers GPT2Block: crossattention + ln_cross_attn) was dropped without a word —
124,439,808 parameters counted of the 152,806,656 transformers builds from the same file (issue 10: no config key
silently dropped). It now stops as the encoder-decoder models do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# openai-community/gpt2's config.json keys (GPT-2 124M), as a decoder of a VisionEncoderDecoder saves them
GPT2 = {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_ctx": 1024,
        "n_embd": 768, "n_head": 12, "n_inner": None, "n_layer": 12, "n_positions": 1024, "vocab_size": 50257}


def _write(tmp_path: Path, cfg: dict[str, object]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def test_a_decoder_with_cross_attention_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="add_cross_attention = true") as e:
        load_hf_config(_write(tmp_path, {**GPT2, "add_cross_attention": True, "is_decoder": True}))
    assert "decoder-only" in e.value.fix


@pytest.mark.parametrize("cmd", [["plan", "--devices", "8"], ["plan", "serve", "--hardware", "h100-sxm"]])
def test_the_commands_exit_2_with_a_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str], cmd: list[str]) -> None:
    p = _write(tmp_path, {**GPT2, "add_cross_attention": True})
    code, _, err = run_main([*cmd, "--model", str(p)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "error:" in err and "add_cross_attention = true" in err and "fix:" in err


def test_cross_attention_off_is_the_plain_decoder(tmp_path: Path) -> None:
    """add_cross_attention false (GPT2Config's default) reads as GPT-2 124M, with no unused-key warning for it."""
    m = load_hf_config(_write(tmp_path, {**GPT2, "add_cross_attention": False}))
    assert m.params_total() == 124_439_808  # transformers GPT2LMHeadModel without biases (wte tied, wpe 1024 rows)
    assert "add_cross_attention" not in m.unused_keys


def test_a_cross_attention_flag_that_is_not_a_bool_is_named(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, {**GPT2, "add_cross_attention": "yes"}))
    assert "add_cross_attention" in m.unused_keys


def test_plan_infer_refuses_it_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan infer` built the model with transformers, counted the cross-attention weights (58,288,896 parameters at
    2 layers) and ran it on token ids alone, which skips cross-attention: FLOPs and time of a model without it."""
    pytest.importorskip("transformers")
    p = _write(tmp_path, {**GPT2, "n_layer": 2, "add_cross_attention": True})
    code, _, err = run_main(["plan", "infer", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "add_cross_attention = true" in err and "fix:" in err
