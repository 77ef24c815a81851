"""simulate's MoE layers: one GEMM per routed expert, so every expert the tokens reach has its weights read.

Found by a usertest of `simulate run -m CONFIG` on Llama 4 Scout (ut_plan3): the routed experts were one GEMM of
t x (top_k + shared) rows at one expert's width, which read one expert's weights per layer: 10.2 GiB of DRAM for a
128-token prefill of a model of 107.8B int8 weights (100 GiB)."""

from __future__ import annotations

import pytest

from accelopt.simulate.design import load_preset
from accelopt.simulate.engine import simulate
from accelopt.simulate.layers import transformer_layers
from accelopt.workload.presets import get_model
from accelopt.workload.transformer import TransformerConfig


def _moe(**kw: object) -> TransformerConfig:
    base: dict[str, object] = dict(name="toy-moe", layers=4, hidden=64, heads=4, ffn=96, vocab=1000, seq_len=16,
                                   mlp="swiglu", experts=8, top_k=2)
    return TransformerConfig(**{**base, **kw})  # type: ignore[arg-type]


def _expert_weights(layers: list, tag: str = ".experts") -> int:
    """Weight elements (K x N per GEMM, x repeats) of the routed-expert GEMMs."""
    return sum(x.k * x.n * x.repeats for x in layers if tag in x.name and ".shared" not in x.name)


def test_every_routed_expert_is_its_own_gemm() -> None:
    cfg = _moe()
    layers = transformer_layers(cfg, batch=3, seq_len=16)  # 48 tokens x top-2 = 96 copies over 8 experts: 12 each
    # gate + up (2 x ffn) and down (ffn) of each of the 8 experts of each of the 4 MoE layers
    assert _expert_weights(layers) == 4 * 8 * (2 * 96 * 64 + 96 * 64)
    by_name = {x.name: x for x in layers}
    assert by_name["mlp.up.experts"].m == 12 and by_name["mlp.up.experts"].repeats == 4 * 8
    # the MACs are those of top_k experts per token, as before
    moe_macs = sum(x.macs for x in layers if x.name.startswith(("mlp.up", "mlp.down")))
    assert moe_macs == 48 * 2 * 4 * (2 * 96 * 64 + 96 * 64)


def test_uneven_split_keeps_the_macs() -> None:
    layers = transformer_layers(_moe(experts=7), batch=1, seq_len=5)  # 10 copies over 7 experts: 3 take 2, 4 take 1
    by_name = {x.name: x for x in layers}
    assert (by_name["mlp.up.experts_busier"].m, by_name["mlp.up.experts_busier"].repeats) == (2, 4 * 3)
    assert (by_name["mlp.up.experts"].m, by_name["mlp.up.experts"].repeats) == (1, 4 * 4)
    assert sum(x.macs for x in layers if x.name.startswith("mlp.up")) == 5 * 2 * 4 * 2 * 96 * 64


def test_fewer_tokens_than_experts_reach_only_that_many() -> None:
    layers = transformer_layers(_moe(experts=64, top_k=2), batch=1, seq_len=3)  # 6 copies: 6 of 64 experts
    assert _expert_weights(layers) == 4 * 6 * (2 * 96 * 64 + 96 * 64)
    assert not any(x.m == 0 for x in layers)


def test_shared_experts_run_on_every_token() -> None:
    layers = {x.name: x for x in transformer_layers(_moe(shared_experts=2), batch=1, seq_len=16)}
    up = layers["mlp.up.shared"]
    assert (up.m, up.n, up.k, up.repeats) == (16, 2 * 2 * 96, 64, 4)


def test_mixtral_prefill_reads_every_expert_once() -> None:
    # Mixtral 8x7B (Jiang et al. 2024, 46.7B parameters) at 128 tokens: top-2 of 8 experts, 32 tokens each, so the
    # prefill reads all 8 experts' weights of every layer: at int8 (tpu-v1), >= 1 B per expert weight.
    cfg = get_model("mixtral-8x7b")
    layers = [x for x in transformer_layers(cfg, batch=1, seq_len=128) if ".experts" in x.name]
    expert_weights = cfg.moe_layers * cfg.experts * 3 * cfg.hidden * cfg.ffn
    r = simulate(load_preset("tpu-v1"), layers)
    assert r.total("dram_filter_read_bytes") >= expert_weights
    assert expert_weights == pytest.approx(45.1e9, rel=0.01)  # 32 layers x 8 x 3 x 4096 x 14336
