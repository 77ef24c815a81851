"""`plan infer` refused a Hugging Face ViTConfig config.json ('takes no token ids ... write a model file'), though
transformers builds the model from it: a patch embedding (a Conv2d of kernel and stride patch_size) and the encoder
over (image_size / patch_size)^2 patches + [CLS] (Dosovitskiy et al. 2021, sec. 3.1, eq. 1). The config is now built
on the meta device and fed pixel_values. ViT-B/16 at 224: 86.6 M parameters with its 1000-class head (the
google/vit-base-patch16-224 model card) and 17.6 G multiply-adds (Touvron et al. 2021, DeiT, Table 1: ViT-B 86M,
17.6 GFLOPs counted as multiply-adds), 2 FLOPs each here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

pytest.importorskip("transformers")

VIT_B16 = {"model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": 768,
           "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu",
           "image_size": 224, "patch_size": 16, "num_channels": 3, "qkv_bias": True,
           "id2label": {str(i): f"c{i}" for i in range(1000)}}


def _write(tmp_path: Path, cfg: dict[str, object]) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return str(path)


def test_vit_b16_config_is_planned_with_its_published_size(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", _write(tmp_path, VIT_B16), "--hardware", "h100-sxm", "--batch", "1",
                               "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["params"] == pytest.approx(86.6e6, rel=0.005)
    assert doc["flops_per_inference"] == pytest.approx(2 * 17.6e9, rel=0.03)
    (point,) = doc["devices"][0]["points"]
    assert point["fits"] and point["latency_s"] > 0


def test_a_sequence_length_is_refused_for_an_image_model(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "infer", _write(tmp_path, VIT_B16), "--hardware", "h100-sxm",
                             "--input-size", "128"], capsys)
    assert code == 2 and "reads images" in err and "196 patches" in err


def test_plan_names_plan_infer_for_the_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", _write(tmp_path, VIT_B16), "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "run `accelopt plan infer` on this config.json" in err


def test_the_refusal_names_the_flag_the_user_gave(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fix said 'leave the sequence length out' without naming the flag: plan infer's is --input-size,
    profile's and optimize's --seq-len."""
    cfg = _write(tmp_path, VIT_B16)
    code, _, err = run_main(["plan", "infer", cfg, "--hardware", "h100-sxm", "--input-size", "128"], capsys)
    assert code == 2 and "leave --input-size out" in err and "--seq-len" not in err
    code, _, err = run_main(["profile", cfg, "--seq-len", "128"], capsys)
    assert code == 2 and "leave --seq-len out" in err and "--input-size" not in err
