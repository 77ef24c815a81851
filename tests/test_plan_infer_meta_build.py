"""`plan infer CONFIG.json` builds the model on PyTorch's meta device (infer_meta, 2026-12-02).

A user review: `plan infer` of a 3.2B-parameter config.json took minutes (97 s at one batch on 2 cores, three
builds for the default batches 1,8,64), building the weights with transformers' random initialisation on the CPU
before a capture that reads only shapes (and moves the model to the meta device for it anyway); a config past this
machine's memory was refused. The built-in examples already built theirs on meta. A config's model and a zoo model
are now built on meta, with the same counts; the timing figure is benchmarks/bench_meta_build.py's, not a test's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

pytest.importorskip("transformers")

from accelopt.cli.profile import _load_bundle
from accelopt.workload.inference_zoo import capture_inference

LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 176,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 320,
         "max_position_embeddings": 128}
GPT2 = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4,
        "vocab_size": 320, "n_positions": 128}  # tied LM head, Conv1D projections, learned positions
LLAMA_CLASSIFIER = {**LLAMA, "architectures": ["LlamaForSequenceClassification"], "num_labels": 3}
# meta-llama/Llama-3.2-3B config.json, sizes as published; its llama3 rope_scaling is left out (transformers 4.31
# refuses it; it changes no size)
LLAMA_32_3B = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
               "hidden_size": 3072, "intermediate_size": 8192, "max_position_embeddings": 131072,
               "num_attention_heads": 24, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
               "tie_word_embeddings": True, "vocab_size": 128256}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> str:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(("model", "cfg"), [("config", LLAMA), ("config", GPT2), ("config", LLAMA_CLASSIFIER),
                                            ("gpt", None), ("bert", None), ("resnet", None)])
def test_counts_are_the_same_built_on_meta_and_with_weights(tmp_path: Path, model: str,
                                                           cfg: dict[str, Any] | None) -> None:
    name = _write(tmp_path, cfg) if cfg is not None else model
    size = None if cfg is not None else "small"

    def make(meta: bool = False) -> Any:
        return _load_bundle(name, size=size, batch_size=2, seq_len=None, meta=meta)

    meta_bundle = make(meta=True)
    assert all(p.is_meta for p in meta_bundle.model.parameters())  # nothing materialised
    on_meta = capture_inference(meta_bundle, rebuild=make)
    real_bundle = make()
    assert not any(p.is_meta for p in real_bundle.model.parameters())
    materialised = capture_inference(real_bundle, rebuild=make)
    assert on_meta.meta["capture_device"] == materialised.meta["capture_device"] == "meta"
    assert on_meta.meta["params"] == materialised.meta["params"] > 0
    assert on_meta.total_flops() == materialised.total_flops() > 0
    assert on_meta.ops == materialised.ops  # every op: kind, FLOPs, bytes read and written, shapes, module


def test_a_3b_config_is_planned_without_building_its_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Llama 3.2 3B: 12.9 GB of fp32 random weights, initialised on the CPU before; this machine is made to have 1 GB
    available, so building them is refused (exit 2, as `profile` refuses it) where the meta build needs none."""
    import accelopt.workload.hf as hf

    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 10**9)
    path = _write(tmp_path, LLAMA_32_3B)
    code, out, err = run_main(["plan", "infer", path, "--hardware", "h100-sxm", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["params"] == 3_212_749_824  # the model card's 3.21B; each tied embedding counted once
    assert not any("random weights" in n for n in data["notes"])


def test_a_model_transformers_cannot_build_on_meta_is_built_with_weights_and_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    import transformers

    build = transformers.AutoModelForCausalLM.from_config

    def refuses_meta(config: Any, **kw: Any) -> Any:
        if torch.empty(0).device.type == "meta":  # inside the torch.device("meta") context
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        return build(config, **kw)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", refuses_meta)
    code, out, err = run_main(["plan", "infer", _write(tmp_path, LLAMA), "--hardware", "h100-sxm", "--batch", "2",
                               "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    said = [n for n in data["notes"] if n.startswith("built with random weights on the CPU")]
    assert len(said) == 1 and "Tensor.item() cannot be called on meta tensors" in said[0], data["notes"]
    wl = capture_inference(_load_bundle(_write(tmp_path, LLAMA), size=None, batch_size=2, seq_len=None, meta=True))
    monkeypatch.undo()
    on_meta = capture_inference(_load_bundle(_write(tmp_path, LLAMA), size=None, batch_size=2, seq_len=None,
                                             meta=True))
    assert wl.meta["weights"] == "random (from_config)" and on_meta.meta["weights"].startswith("none: built on")
    assert wl.ops == on_meta.ops


def test_a_config_whose_forward_does_not_run_on_meta_says_why_it_is_captured_on_the_cpu(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """BERT's forward asks whether the pad token is in input_ids (transformers' warn_if_padding_and_no_attention_mask,
    a Tensor.item()), which the meta device cannot answer: rebuilt with random weights and captured on the CPU. The
    note said '(data-dependent code)' without saying which."""
    bert = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 320, "max_position_embeddings": 128}
    code, out, err = run_main(["plan", "infer", _write(tmp_path, bert), "--hardware", "h100-sxm", "--batch", "2",
                               "--json"], capsys)
    assert code == 0, err
    said = [n for n in json.loads(out)["notes"] if n.startswith("captured on the CPU")]
    assert said == ["captured on the CPU, with random weights: the model does not run on PyTorch's meta device "
                    "(RuntimeError: Tensor.item() cannot be called on meta tensors)"]
    # said on stderr before the rebuild, which is slow for a large model (pythia-2.8b's config ran ten minutes on
    # a busy 2-core machine without a word, as if hung). BertForMaskedLM's weights by hand: embeddings 320 x 64 +
    # 128 x 64 + 2 x 64 + LayerNorm 128 = 28,928; 2 layers x (4 x (64^2 + 64) + 128 + (64 x 128 + 128) + (128 x 64
    # + 64) + 128) = 66,944; MLM head 64^2 + 64 + 128 + 320 (decoder bias, weight tied) = 4,608: 100,480
    assert ("note: the model does not run on PyTorch's meta device: building its 100,480 parameters with random "
            "weights on the CPU and capturing batch 2 there") in " ".join(err.split()), err


def test_profile_still_runs_real_weights(tmp_path: Path) -> None:
    """`profile` (and `optimize`, which loads through the same function) measure: their model keeps its weights."""
    bundle = _load_bundle(_write(tmp_path, LLAMA), size=None, batch_size=1, seq_len=8)
    assert bundle.meta["weights"] == "random (from_config)"
    assert not any(p.is_meta for p in bundle.model.parameters())
    assert not any(p.is_meta for p in _load_bundle("gpt", size="tiny", batch_size=1, seq_len=None).model.parameters())
