"""K/V heads per tensor-parallel rank when tp exceeds the KV-head count (GQA / MQA), issue 10.

The serving engines give every rank at least one whole K/V head: vLLM QKVParallelLinear ('if tp_size >=
self.total_num_kv_heads: self.num_kv_heads = 1') and ModelConfig.get_num_kv_heads ('max(1, total_num_kv_heads //
tensor_parallel_size)'); TensorRT-LLM's llama/convert.py duplicates the K/V heads up to tensor_parallel before the
split; transformers-neuronx switches to GQA.REPLICATED_HEADS and NxD Inference to GQA.REPLICATE_TO_TP_DEGREE. So the
K/V projection weights, the K/V GEMMs and the KV cache of one device are those of max(kv_heads / tp, 1) heads.
Numbers below are written out by hand from that rule (Llama 3 70B: hidden 8192, 64 heads of 128, 8 KV heads, ffn
28672, vocab 128256, 80 layers, 2 norms per layer, untied embeddings).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.compute import Device, flash_attention_bytes, qkv_gemms_s
from accelopt.predict.memory import stage_params
from accelopt.workload.presets import get_model

L70 = get_model("llama3-70b")
H, LAYERS, FFN, VOCAB, HEAD = 8192, 80, 28672, 128256, 128
TP = 16  # twice the 8 KV heads: each K/V head on two ranks


def test_preset_is_the_model_written_out_here() -> None:
    assert (L70.hidden, L70.layers, L70.ffn, L70.vocab, L70.head_dim, L70.heads, L70.n_kv_heads) == \
        (H, LAYERS, FFN, VOCAB, HEAD, 64, 8)
    assert (L70.norms_per_layer, L70.tied_embeddings, L70.mla, L70.sliding_window) == (2, False, None, None)


@pytest.mark.parametrize(("kv", "tp", "heads_dev"), [(8, 1, 8.0), (8, 4, 2.0), (8, 8, 1.0), (8, 16, 1.0),
                                                     (8, 32, 1.0), (1, 12, 1.0), (16, 16, 1.0)])
def test_kv_heads_per_device_is_vllms_rule(kv: int, tp: int, heads_dev: float) -> None:
    # tp 12: multi-query over 48 heads of 128 (PaLM's layout)
    mdl = replace(L70, kv_heads=kv) if tp != 12 else replace(L70, kv_heads=kv, heads=48, attn_head_dim=128)
    assert mdl.kv_heads_per_device(tp) == heads_dev == max(1, kv // tp)  # vLLM ModelConfig.get_num_kv_heads
    # the layout search passes arrays of tp
    assert np.array_equal(mdl.kv_heads_per_device(np.array([1.0, tp])), np.array([float(kv), heads_dev]))


def test_serving_weights_and_kv_cache_per_device_by_hand() -> None:
    # one rank at tp 16: Wq, Wo and the MLP split 16 ways, Wk and Wv one whole head (8192 x 128 each), embeddings
    # vocab-parallel; bf16, 2 bytes
    attn = H * (8192 + 8192) / 16 + 2 * H * HEAD * 1
    per_layer = attn + 3 * H * FFN / 16 + 2 * H / 16
    weights = 2 * (LAYERS * per_layer + H / 16 + 2 * VOCAB * H / 16)
    kv_per_token = 2 * LAYERS * 1 * HEAD * 2  # K and V, 80 layers, one head of 128, 2 bytes
    p = serving.predict_serving(L70, get_device("h100-sxm"), tp=TP, batch=1, prompt_len=1000, output_len=24)
    assert p.weights_bytes_per_device == pytest.approx(weights, rel=1e-12)
    assert p.kv_cache_bytes_per_device == pytest.approx(1024 * kv_per_token, rel=1e-12)
    # the replicated half head of Wk and Wv per layer, beyond the 1/16 share: 80 x 2 x 8192 x 128 x (1 - 8/16) x 2 B
    assert serving.kv_replica_weight_bytes(L70, TP, "bf16", serving.DEFAULT_CALIBRATION) == \
        pytest.approx(80 * 2 * 8192 * 128 * 0.5 * 2)


def test_training_weights_per_device_by_hand() -> None:
    # the same rank in training (Megatron TP, no pipeline): parameters per device, embeddings vocab-parallel
    attn = H * (8192 + 8192) / 16 + 2 * H * HEAD * 1
    dense = LAYERS * (attn + 3 * H * FFN / 16 + 2 * H / 16) + (2 * VOCAB * H + H) / 16
    prm = stage_params(L70, np.array(1), np.array(1), np.array(float(TP)), np.array(1))
    assert float(prm.dense) == pytest.approx(dense, rel=1e-12)
    assert float(prm.layer_full) == pytest.approx(attn + 3 * H * FFN / 16 + 2 * H / 16, rel=1e-12)


def _device() -> Device:
    return Device(peak_flop_per_s=1e15, bw_byte_per_s=3e12, cal=load_calibrations()["default"])


def test_one_kv_head_per_rank_whatever_the_kv_count() -> None:
    """At tp 16, 8 KV heads (each on 2 ranks) and 16 KV heads (one each) leave every rank the same work and memory:
    one K/V head's weights, GEMMs, cache and attention traffic. Dividing 8 heads by 16 gave the 8-head model half a
    head: less of each than the 16-head model."""
    gqa8, gqa16 = L70, replace(L70, kv_heads=16)
    spec = get_device("h100-sxm")
    a, b = (serving.predict_serving(m, spec, tp=TP, batch=8, prompt_len=2048, output_len=256) for m in (gqa8, gqa16))
    for field in ("weights_bytes_per_device", "kv_cache_bytes_per_device", "ttft_s", "tpot_s"):
        assert getattr(a, field) == pytest.approx(getattr(b, field), rel=1e-12), field
    pa, pb = (stage_params(m, np.array(1), np.array(1), np.array(float(TP)), np.array(1)) for m in (gqa8, gqa16))
    assert float(pa.dense) == pytest.approx(float(pb.dense), rel=1e-12)
    dev = _device()
    assert qkv_gemms_s(gqa8, 4096.0, float(TP), 2.0, dev)[1] == pytest.approx(
        qkv_gemms_s(gqa16, 4096.0, float(TP), 2.0, dev)[1], rel=1e-12)
    assert flash_attention_bytes(gqa8, 1.0, 4096.0, 4096.0, float(TP), 2.0) == pytest.approx(
        flash_attention_bytes(gqa16, 1.0, 4096.0, 4096.0, float(TP), 2.0), rel=1e-12)


@pytest.mark.parametrize("tp", [1, 2, 4, 8])
def test_no_replication_up_to_the_kv_head_count(tp: int) -> None:
    # tp <= kv_heads: the ranks together hold each weight once
    assert L70.kv_replica_params_per_device(tp) == 0
    assert L70.attn_params_per_device(tp) * tp == pytest.approx(L70.attn_params_per_layer(), rel=1e-12)


def test_replicated_heads_counted_once_per_rank() -> None:
    # tp 32 over 8 KV heads: the 32 ranks hold 32 K/V heads, 24 more than the model has
    extra = L70.attn_params_per_device(32) * 32 - L70.attn_params_per_layer()
    assert extra == pytest.approx((32 - 8) * 2 * H * HEAD, rel=1e-12)


def test_mla_keeps_its_rule() -> None:
    # MLA: K and V per query head in the up-projected form (heads / tp), projections split by tp in training memory,
    # no K/V-head replication; its cached latent stays whole on every rank. A serving rank holds the
    # down-projections W^DQ [h, d_c'] and W^DKV,W^KR [h, d_c + rope] (and the two latent norms) whole (vLLM
    # DeepseekV2Attention: q_a_proj, kv_a_proj_with_mqa ReplicatedLinear): 61 x (7168 x (1536 + 576) + 1536 + 512)
    ds = get_model("deepseek-v3")
    assert ds.mla is not None
    assert ds.kv_heads_per_device(16) == ds.heads / 16
    assert ds.kv_replica_params_per_device(16) == pytest.approx(61 * (7168 * (1536 + 576) + 1536 + 512) * 15 / 16)
    assert ds.kv_replica_params_per_device(1) == 0
    assert ds.attn_params_per_device(16) == pytest.approx(ds.attn_params_per_layer() / 16)
    assert serving._kv_bytes_per_token_per_device(ds, 16, 1, "bf16") == \
        serving._kv_bytes_per_token_per_device(ds, 1, 1, "bf16")


@pytest.mark.parametrize(("recompute", "code"), [("selective", 1), ("minimal", 3)])
def test_training_activations_keep_one_kv_head_per_rank_by_hand(recompute: str, code: int) -> None:
    """Training activations follow the same rule as the weights and the K/V GEMM: at tp 16 a rank stores the K and V
    of one whole (replicated) head per token, not 8 / 16 of one. Selective recompute with sequence parallel and flash
    attention, no dropout, one sequence of 4096 (Korthikanti et al. 2022 eq. 2's terms, as memory.py writes them):
    Q, out-projection input (2 B each, split 16 ways), K and V (one head of 128 each, 2 B), the SwiGLU MLP's 6 s f
    (split 16 ways) and 8 s h of norm / QKV / MLP inputs over the 16 sequence-parallel ranks. 'minimal' keeps Q, K, V,
    the out-projection output, the MLP's up GEMMs' outputs split 16 ways and 2 s h over the sequence-parallel ranks.
    Before the K/V heads were counted per rank, K and V were 8 x 128 / 16 = 64 wide each: 1 MiB less per layer."""
    from accelopt.predict.memory import activation_bytes_per_layer
    s, tp = 4096.0, 16.0
    one = np.array([1.0])

    def act(model_kv: int) -> float:
        mdl = replace(L70, kv_heads=model_kv)
        return float(activation_bytes_per_layer(mdl, one, np.array([s]), np.array([tp]), np.array([True]),
                                                np.array([code]), True, False, dropout=False)[0])

    kv_bytes = 2 * s * (HEAD + HEAD)  # one K head and one V head per rank, 2 bytes
    if code == 1:
        by_hand = 2 * s * (8192 + 8192) / tp + kv_bytes + 6 * s * FFN / tp + 8 * s * H / tp
    else:
        by_hand = 2 * s * (8192 + H + 2 * FFN) / tp + kv_bytes + 2 * s * H / tp
    assert act(8) == pytest.approx(by_hand, rel=1e-12)
    assert act(8) == act(16)  # 8 KV heads replicated to 16 ranks keep what 16 KV heads keep: one per rank


def test_training_first_gemm_and_ring_attention_blocks_use_one_kv_head_per_rank() -> None:
    """Training's time terms follow the same rule: at tp 16 the fused QKV GEMM (the first GEMM, whose size sets the
    overlap of the first all-gather) and ring attention's K/V blocks (context parallel 2) carry one K/V head per rank
    for 8 and for 16 KV heads alike. Before, both divided 8 KV heads by 16: half a head, a smaller GEMM and block.
    By hand for one micro-batch of 8192 tokens: first GEMM 2 T h (q / tp + k + v of one head)."""
    from accelopt.predict.query import LayoutQuery, predict_layout
    seq = 8192

    def terms(kv: int) -> dict[str, float]:
        q = LayoutQuery(model=replace(L70, kv_heads=kv), hardware="h100-sxm", devices=64, tp=TP, cp=2, pp=1,
                        seq_len=seq, global_batch_seqs=32)
        return predict_layout(q).terms

    t8, t16 = terms(8), terms(16)
    tokens = t8["in_tokens_per_microbatch"]
    assert t8["in_first_gemm_flops"] == pytest.approx(2 * tokens * H * (8192 / TP + 2 * HEAD), rel=1e-12)
    for key in ("in_first_gemm_flops", "t_cp_comm_raw_s"):
        assert t8[key] == pytest.approx(t16[key], rel=1e-12), key
    assert t8["t_cp_comm_raw_s"] > 0
