"""A vision or audio Hugging Face config (google/vit-base-patch16-224: image_size, patch_size, num_channels, no
vocab_size) given to `plan`/`plan serve` is named as such, with where its inference can be planned. It said 'none of
vocab_size is set' and 'pass a llama/mistral/... config', naming neither what the model is nor a way on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# google/vit-base-patch16-224 config.json (the keys that give its shape)
VIT = {"model_type": "vit", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
       "intermediate_size": 3072, "image_size": 224, "patch_size": 16, "num_channels": 3}


@pytest.mark.parametrize("cmd", [["plan", "--devices", "8"], ["plan", "serve", "--batch", "1"]])
def test_a_vision_config_is_named_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str], cmd: list[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(VIT), encoding="utf-8")
    code, _out, err = run_main([*cmd, "--model", str(cfg)], capsys)
    assert code == 2
    assert "'vit' takes images or audio" in err and "image_size" in err and "plan infer" in err


def test_a_language_config_without_vocab_still_names_the_key(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({**VIT, "model_type": "llama", "image_size": None, "patch_size": None,
                               "num_channels": None}), encoding="utf-8")
    code, _out, err = run_main(["plan", "--devices", "8", "--model", str(cfg)], capsys)
    assert code == 2 and "vocab_size" in err


# facebook/wav2vec2-base-960h config.json (the keys that give its shape): a CTC head over 32 characters
WAV2VEC2 = {"model_type": "wav2vec2", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
            "intermediate_size": 3072, "vocab_size": 32, "conv_dim": [512] * 7, "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
            "conv_stride": [5, 2, 2, 2, 2, 2, 2], "num_feat_extract_layers": 7}


@pytest.mark.parametrize("cmd", [["plan", "--devices", "8"], ["plan", "serve", "--batch", "1"]])
def test_a_speech_ctc_config_with_a_vocab_is_named_as_audio(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           cmd: list[str]) -> None:
    """Its vocab_size 32 (characters of the CTC head) made it pass as a causal LM of 32 tokens."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(WAV2VEC2), encoding="utf-8")
    code, _out, err = run_main([*cmd, "--model", str(cfg)], capsys)
    assert code == 2, err
    flat = " ".join(err.split())
    assert "'wav2vec2' takes images or audio" in flat and "conv_dim" in flat and "vocab_size 32" in flat
