"""The model figures `plan`, `plan explain`, `plan serve`, `plan infer` and `profile` print, against published ones.

Tolerances, stated before comparing:
- parameter counts: exact where the publisher gives the exact count (a model card's full figure, torchvision's
  `num_params`) or where transformers builds the model here (the count of its own module on the meta device); half a
  unit of the last printed digit where the publisher rounds (Mixtral's "46.7B / 12.9B").
- FLOPs: one convention, said: 2 FLOP per multiply-accumulate. torchvision's "GFLOPS" column is its `_ops` figure,
  which counts multiply-accumulates of the conv / linear / attention matmuls (4.089 for ResNet-50: 8.18e9 FLOP in
  accelopt's count); compared with accelopt's matmul + conv FLOPs / 2 within half a unit of the third decimal. A
  transformer's training FLOPs per token: PaLM's Appendix B formula (Chowdhery et al. 2022, arXiv 2204.02311),
  6 N + 12 L h s, as nanoGPT's estimate_mfu writes it (karpathy/nanoGPT@04a1d697ddc57aadb2edbe95816bf86c6b8918b0
  model.py: `flops_per_token = 6*N + 12*L*H*Q*T`), with N the weights a token multiplies (the input embedding, a
  lookup, and the norm weights and biases, elementwise, left out; the output layer in) and the attention term over
  the full sequence (not halved for causal masking): exact (relative 1e-12), recomputed from the published
  architecture. For GPT-3 also Narayanan et al. 2021 (arXiv 2104.04473) eq. (3) without its recompute pass.
- KV-cache bytes per token: exact. Kwon et al. 2023 (vLLM, arXiv 2309.06180) sec. 3: OPT-13B holds "2 (key and value
  vectors) x 5120 (hidden state size) x 40 (number of layers) x 2 (bytes per FP16) = 800 KB" per token; Llama-2-7B
  2 x 32 layers x 4096 x 2 B = 512 KiB; Mistral-7B's 8 KV heads (grouped-query attention, Jiang et al. 2023 Table
  1: n_kv_heads 8, head_dim 128) 2 x 32 x 8 x 128 x 2 B = 128 KiB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.predict.compute import model_flops_per_token
from accelopt.predict.serving import kv_cache_bytes_per_token
from accelopt.workload.presets import get_model, load_hf_config

# name -> (total, active or None, source). Exact counts: the Hugging Face model card (Llama-2-7b-hf lists
# 6,738,415,616) or transformers' own module (test_llama_family_counts_equal_transformers below).
EXACT_PARAMS = {
    "llama2-7b": (6_738_415_616, None, "meta-llama/Llama-2-7b-hf model card: 6,738,415,616"),
    "mistral-7b": (7_241_732_096, None, "transformers' module of mistralai/Mistral-7B-v0.1's dimensions "
                   "(model card: 7.24B)"),
    "mixtral-8x7b": (46_702_792_704, 12_879_925_248, "Mistral AI, 'Mixtral of experts' (2023-12-11): 46.7B total, "
                     "12.9B per token"),
    "qwen2.5-0.5b": (494_032_768, None, "Qwen/Qwen2.5-0.5B model card: 0.49B (0.36B non-embedding)"),
}
ROUNDED = {"mixtral-8x7b": (46.7e9, 12.9e9), "mistral-7b": (7.24e9, None), "qwen2.5-0.5b": (0.49e9, None)}


@pytest.mark.parametrize("name", sorted(EXACT_PARAMS))
def test_preset_parameter_counts(name: str) -> None:
    total, active, _ = EXACT_PARAMS[name]
    m = get_model(name)
    assert m.params_total() == total
    assert m.params_active() == (active if active is not None else total)
    if name in ROUNDED:  # the published rounded figure, within half a unit of its last digit
        r_total, r_active = ROUNDED[name]
        half = 0.05e9 if r_total >= 1e10 else 0.005e9
        assert abs(m.params_total() - r_total) <= half
        if r_active is not None:
            assert abs(m.params_active() - r_active) <= half


def test_qwen25_non_embedding_count() -> None:
    # the card's 0.36B non-embedding: total less the (tied) 151,936 x 896 table
    m = get_model("qwen2.5-0.5b")
    assert abs(m.params_total() - m.vocab * m.hidden - 0.36e9) <= 0.005e9


def test_llama_family_counts_equal_transformers() -> None:
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    # Llama-2-7b-hf's config and Mistral-7B-v0.1's dimensions (a Llama block with 8 KV heads and a 14,336-wide MLP;
    # the sliding window changes no weight)
    for name, kw in (("llama2-7b", {"intermediate_size": 11008, "num_key_value_heads": 32}),
                     ("mistral-7b", {"intermediate_size": 14336, "num_key_value_heads": 8})):
        cfg = tf.LlamaConfig(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, vocab_size=32000,
                             tie_word_embeddings=False, **kw)
        with torch.device("meta"):
            n = sum(p.numel() for p in tf.LlamaForCausalLM(cfg).parameters())
        assert get_model(name).params_total() == n == EXACT_PARAMS[name][0]


def _palm_training_flops(L: int, h: int, s: int, n_matmul: float) -> float:
    """PaLM App. B: 6 N + 12 L H Q T (H Q = h) per token, N the matmul weights a token uses."""
    return 6 * n_matmul + 12 * L * h * s


# name -> the matmul weights one token multiplies, from the published architecture (q, k, v, o; the MLP's
# matrices; the routed experts a token uses and the router; the output layer)
def _llama_like(L: int, h: int, kv: int, f: int, V: int, experts_used: int = 1, router: int = 0) -> int:
    head = 128  # head dimension of all three (32 heads on hidden 4,096)
    return L * (2 * h * h + 2 * h * kv * head + experts_used * 3 * h * f + router * h) + V * h


MATMUL_WEIGHTS = {
    "llama2-7b": _llama_like(32, 4096, 32, 11008, 32000),  # Touvron et al. 2023 / Llama-2-7b-hf config.json
    "mistral-7b": _llama_like(32, 4096, 8, 14336, 32000),  # Jiang et al. 2023, Table 1
    "mixtral-8x7b": _llama_like(32, 4096, 8, 14336, 32000, experts_used=2, router=8),  # Jiang et al. 2024 sec. 2
}


@pytest.mark.parametrize("name", sorted(MATMUL_WEIGHTS))
def test_training_flops_per_token_is_palm_formula(name: str) -> None:
    m = get_model(name)
    s = 4096
    assert 3 * model_flops_per_token(m, s) == pytest.approx(
        _palm_training_flops(m.layers, m.hidden, s, MATMUL_WEIGHTS[name]), rel=1e-12)


def test_llama2_7b_training_flops_per_token_figure() -> None:
    # the figure `plan` prints: 6 x 6,607,077,376 matmul weights + 12 x 32 x 4096 x 4096 = 46.08e9 at sequence 4,096
    # (6 N with N = every parameter, 6 x 6.74e9 = 40.4e9, is 12% lower: it leaves attention out; nanoGPT's
    # 6 N + 12 L h s with N including the input embedding is 1.7% higher)
    m = get_model("llama2-7b")
    assert MATMUL_WEIGHTS["llama2-7b"] == 6_607_077_376
    assert 3 * model_flops_per_token(m, 4096) == 6 * 6_607_077_376 + 12 * 32 * 4096 * 4096 == 46_084_915_200


def test_gpt3_175b_narayanan_eq3() -> None:
    # Narayanan et al. 2021 eq. (3) is 96 B s l h^2 (1 + s/(6h) + V/(16 l h)) with the recompute forward; without
    # it 72 B s l h^2 (1 + s/(6h) + V/(12 l h)) per batch of B sequences of s tokens
    m = get_model("gpt3-175b")
    s, l_, h, V = 2048, m.layers, m.hidden, m.vocab
    per_token = 72 * l_ * h**2 * (1 + s / (6 * h) + V / (12 * l_ * h))
    assert 3 * model_flops_per_token(m, s) == pytest.approx(per_token, rel=1e-12)


# facebook/opt-13b config.json (the keys that set sizes)
OPT_13B = {"architectures": ["OPTForCausalLM"], "model_type": "opt", "activation_function": "relu",
           "do_layer_norm_before": True, "ffn_dim": 20480, "hidden_size": 5120, "max_position_embeddings": 2048,
           "num_attention_heads": 40, "num_hidden_layers": 40, "vocab_size": 50272, "word_embed_proj_dim": 5120}


def test_kv_cache_bytes_per_token_published(tmp_path: Path) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(OPT_13B), encoding="utf-8")
    assert kv_cache_bytes_per_token(load_hf_config(p), "fp16") == 2 * 5120 * 40 * 2 == 800 * 1024  # vLLM's 800 KB
    assert kv_cache_bytes_per_token(get_model("llama2-7b"), "fp16") == 2 * 32 * 4096 * 2 == 512 * 1024
    assert kv_cache_bytes_per_token(get_model("mistral-7b"), "bf16") == 2 * 32 * 8 * 128 * 2 == 128 * 1024
    assert kv_cache_bytes_per_token(get_model("mixtral-8x7b"), "bf16") == 128 * 1024  # the same attention as Mistral
    assert kv_cache_bytes_per_token(get_model("llama2-7b"), "fp8") == 256 * 1024


# torchvision 0.28 model docs (each model's Weights meta: "_ops" = GFLOPS column = multiply-accumulates, and
# "num_params"), printed to three decimals (VGG-16 two: 15.47): resnet.py, mobilenetv2.py, vgg.py
TORCHVISION = {"resnet50": (4.089, 25_557_032), "resnet152": (11.514, 60_192_808),
               "mobilenet-v2": (0.301, 3_504_872), "vgg16": (15.47, 138_357_544), "vgg19": (19.632, 143_667_240)}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_inference_examples_equal_torchvision_docs(name: str) -> None:
    pytest.importorskip("torch")
    from accelopt.workload.inference_zoo import build_example, capture_inference

    gmacs, params = TORCHVISION[name]
    bundle = build_example(name, meta=True)
    wl = capture_inference(bundle)
    assert sum(p.numel() for p in bundle.model.parameters()) == params
    assert abs(wl.matmul_flops() / 2 / 1e9 - gmacs) <= 0.0005  # half a unit of the docs' last digit


# What the console prints (before: `plan` / `plan explain` of a preset printed no parameter count nor FLOPs per token,
# only the JSON's model_figures held them; `plan serve` printed neither the KV-cache bytes per token nor the weight
# bytes, only the JSON's kv_cache_bytes_per_token / weights_bytes_per_device did).
def _flat(text: str) -> str:
    return " ".join(text.split())


def test_plan_prints_a_presets_count_and_flops_per_token(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "plan", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8",
                             "--top", "1", "--seq-len", "4096")
    out = _flat(out)
    assert "llama2-7b preset: 6,738,415,616 parameters (published: 6.74B;" in out
    assert "46,084,915,200 training FLOPs per token at sequence 4,096" in out
    assert "not halved for causal masking" in out and "6N + 12LHQT" in out


def test_plan_explain_prints_mixtral_total_and_active(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm",
                             "--devices", "64", "--ep", "8", "--zero", "3")
    out = _flat(out)
    assert ("mixtral-8x7b preset: 46,702,792,704 parameters, 12,879,925,248 active per token (2 of 8 experts"
            in out)
    assert "(published: 46.7B total, 12.9B active;" in out


@pytest.mark.parametrize(("model", "kv_dtype", "line"), [
    ("llama2-7b", "fp16", "KV cache 512 KiB (524,288 B) per token of context, whole model, at --kv-dtype fp16 = 2 "
                          "(K and V) x 32 layers x 32 KV heads x 128 head dim x 2 B;"),
    ("mistral-7b", "bf16", "KV cache 128 KiB (131,072 B) per token of context, whole model, at --kv-dtype bf16 = 2 "
                           "(K and V) x 32 layers x 8 KV heads x 128 head dim x 2 B, before a sliding window"),
])
def test_plan_serve_prints_kv_bytes_per_token(capsys: pytest.CaptureFixture[str], model: str, kv_dtype: str,
                                              line: str) -> None:
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", model, "--hardware", "h100-sxm", "--batch", "1",
                             "--kv-dtype", kv_dtype)
    out = _flat(out)
    assert line in out
    weights = 2 * EXACT_PARAMS[model][0]  # bf16 weights, one device
    assert f"({weights:,} B) per device at --weight-dtype bf16" in out


# `profile` printed FLOPs at 2 per multiply-accumulate with no parameter count and no per-sample figure: a user
# comparing ResNet-50's 8.18 GFLOP with torchvision's 4.09 "GFLOPS" had to know the factor 2 (the doc table's unit
# is multiply-accumulates). The work table now says both, per sample, and the parameter count.
SMALL_NET = """
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build(batch_size: int = 2) -> ModelBundle:
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))

    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(4):
            yield torch.randn(batch_size, 3, 8, 8, generator=g), torch.randint(0, 10, (batch_size,), generator=g)

    return ModelBundle(name="small", model=model, batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=batch_size)
"""


def test_profile_prints_macs_per_sample_and_the_parameter_count(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    p = tmp_path / "small.py"
    p.write_text(SMALL_NET, encoding="utf-8")
    out, _ = run_main_expect(capsys, "profile", f"{p}:build", "--mode", "inference", "--steps", "3", "--warmup", "0",
                             "--threads", "1")
    out = _flat(out.replace("│", " "))  # the table's cells, borders dropped
    # by hand: conv 8 x (3 x 3 x 3) x (6 x 6) = 7,776 MAC + linear 288 x 10 = 2,880 MAC = 10,656 MAC a sample;
    # parameters 8 x 27 + 8 + 288 x 10 + 10 = 3,114; batch 2: 2 x 2 x 10,656 = 42,624 matmul FLOP a step
    assert "10.66 kMAC per sample: multiply-accumulates, what torchvision's model docs list as 'GFLOPS'" in out
    assert "42.6 kFLOP" in out
    assert "parameters 3,114 numel summed over model.parameters()" in out
    assert "per sample" in out and "FLOPs per step / batch 2" in out
    # a training step counts the backward pass too: its MACs are not the forward figure torchvision lists
    out, _ = run_main_expect(capsys, "profile", f"{p}:build", "--mode", "train", "--steps", "3", "--warmup", "0",
                             "--threads", "1")
    out = _flat(out.replace("│", " "))
    assert "what torchvision's model docs list" not in out
    assert "multiply-accumulates of the training step (forward and backward)" in out, out
    assert "--mode inference gives that figure" in out
