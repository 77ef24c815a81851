"""Ring attention (context parallel) over FlashAttention-2 runs below the kernel's own rate (issue 10, rcp).

Source: zhuzilin/ring-flash-attention README.md at 01c8baf5eafc95c1a255690bcdb5359b600d765a, 'The current performance'
(batch api, 8xH800, Llama-3.1-8B's attention, 8K tokens per GPU): the kernel alone ('theoretic flash_attn') 591.5 / 8
iter/s forward only and 154.7 / 8 forward + backward; the load-balanced zigzag ring 63.0 and 17.4 iter/s. Step 0 of
the ring is the kernel itself (1/cp of the work); the cp - 1 later steps (half blocks, fp32 merges) carry the loss.

Unseen check (not fitted): torchtitan's Table 2, pytorch/torchtitan@31a17bf benchmarks/llama3_h100_202412_torchtitan.md
(Llama 3.1 8B, 8 H100, FSDP + CP + compile + Float8, full AC; TPS/GPU 2,540 / 1,071 / 548 at CP 2 / 4 / 8 and
65,536 / 131,072 / 262,144 tokens), whose context parallel is PyTorch's ring attention over SDPA's flash backend."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import explain_terms, run_main

from accelopt.predict import training
from accelopt.predict.compute import ring_attention_step_shares, ring_attention_time_factors
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

TT_ARGS = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3",
           "--mbs", "1", "--recompute", "full", "--stack", "torchtitan", "--attention-kernel", "flash2",
           "--eager-cross-entropy", "--dtype", "fp8", "--fp8-recipe", "current", "--json"]
# cp -> (sequence length, global batch in sequences, published TPS/GPU), Table 2
TABLE2 = {2: (65536, 4, 2540.0), 4: (131072, 2, 1071.0), 8: (262144, 1, 548.0)}


def _explain(capsys: pytest.CaptureFixture[str], cp: int) -> dict[str, float]:
    seq, seqs, _ = TABLE2[cp]
    code, out, err = run_main([*TT_ARGS, "--cp", str(cp), "--seq-len", str(seq), "--global-batch", f"{seqs}seq"],
                              capsys)
    assert code == 0, err
    return explain_terms(json.loads(out))


def test_factors_reproduce_the_published_ring_times_at_cp_8() -> None:
    fwd_th, fwd_zz = 8 / 591.5, 1 / 63.0
    bwd_th = 8 / 154.7 - fwd_th
    k_f, k_b = ring_attention_time_factors(np.array([8.0]), "flash2")
    assert k_f[0] == pytest.approx(fwd_zz / fwd_th, rel=1e-12)
    assert fwd_th * k_f[0] + bwd_th * k_b[0] == pytest.approx(1 / 17.4, rel=1e-12)
    # the README's percentages from its rounded iter/s: 85.2% forward; 90.0% forward + backward (it prints 90.2%)
    assert round(fwd_th / fwd_zz, 3) == 0.852 and round((8 / 154.7) * 17.4, 3) == 0.900
    e_f, e_b = ring_attention_step_shares()
    assert (round(e_f, 3), round(e_b, 3)) == (0.834, 0.907)


def test_factors_by_cp_and_kernel() -> None:
    k_f, k_b = ring_attention_time_factors(np.array([1.0, 2.0, 4.0, 8.0]), "flash2")
    assert k_f[0] == k_b[0] == 1.0
    assert np.all(np.diff(k_f) > 0) and np.all(np.diff(k_b) > 0)  # more off-diagonal steps, more loss
    assert [round(x, 3) for x in k_f] == [1.0, 1.099, 1.149, 1.174]
    for kernel in ("fused", "triton", "unfused", "nki_flash"):
        f, b = ring_attention_time_factors(np.array([8.0]), kernel)
        assert f[0] == b[0] == 1.0


def test_cp_core_charged_the_factors_forward_and_backward(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """t_fwd_s grows by (k_f - 1) x the forward attention core, t_bwd_s by (k_b - 1) x the backward core: the core's
    share is read by charging it once more (factor 2) with the ring's factors off."""
    real = _explain(capsys, 8)
    k_f, k_b = (float(x[0]) for x in ring_attention_time_factors(np.array([8.0]), "flash2"))

    def factors(f: float, b: float) -> None:
        monkeypatch.setattr(training, "ring_attention_time_factors",
                            lambda cp, kernel: (np.full_like(np.asarray(cp, float), f),
                                                np.full_like(np.asarray(cp, float), b)))
    factors(1.0, 1.0)
    base = _explain(capsys, 8)
    factors(2.0, 1.0)
    core_f = _explain(capsys, 8)["t_fwd_s"] - base["t_fwd_s"]
    factors(1.0, 2.0)
    core_b = _explain(capsys, 8)["t_bwd_s"] - base["t_bwd_s"]
    # plan explain shows both factors it charged
    assert (real["in_ring_attention_fwd_factor"], real["in_ring_attention_bwd_factor"]) == pytest.approx((k_f, k_b))
    assert core_f > 0.5 * base["t_fwd_s"]  # 256K tokens: the attention core is most of the forward
    assert real["t_fwd_s"] - base["t_fwd_s"] == pytest.approx((k_f - 1) * core_f, rel=1e-9)
    assert real["t_bwd_s"] - base["t_bwd_s"] == pytest.approx((k_b - 1) * core_b, rel=1e-9)


def test_runs_file_cp_rows_fused_kernel_unmoved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs file's context-parallel rows (Megatron-Core / TE p2p rings on the fused kernel) keep their step."""
    rows = [r for r in read_runs() if int(r["cp"] or 1) > 1]
    assert len(rows) >= 30
    for row in rows[:3]:
        q = run_query(row)
        assert q.attention_kernel != "flash2"
        now = predict_layout(q).terms["step_time_s"]
        monkeypatch.setattr(training, "ring_attention_time_factors",
                            lambda cp, kernel: (np.ones_like(np.asarray(cp, float)),) * 2)
        assert predict_layout(q).terms["step_time_s"] == now
        monkeypatch.undo()


def test_torchtitan_table2_closer_but_still_too_fast(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Unseen check (not fitted): each CP row of Table 2 is predicted closer to its published TPS/GPU with the ring's
    factors than without, and still faster than published (the residual, +23% / +62% / +68%, is not explained:
    notes rcp.md)."""
    with_ring = {cp: _explain(capsys, cp)["tokens_per_s"] / 8 for cp in TABLE2}
    monkeypatch.setattr(training, "ring_attention_time_factors",
                        lambda cp, kernel: (np.ones_like(np.asarray(cp, float)),) * 2)
    without = {cp: _explain(capsys, cp)["tokens_per_s"] / 8 for cp in TABLE2}
    for cp, (_, _, published) in TABLE2.items():
        assert published < with_ring[cp] < without[cp], cp
