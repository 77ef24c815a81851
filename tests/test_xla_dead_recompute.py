"""An XLA program never recomputes a checkpointed region's last op (training.xla_dead_recompute).

Sources (the function's docstring quotes them): jax.checkpoint's partial evaluation dead-code-eliminates the
recomputed jaxpr to what the backward needs (jax-ml/jax jax/_src/ad_checkpoint.py remat_partial_eval @0018095); under
PyTorch/XLA torch_xla.utils.checkpoint re-runs the region and back-propagates from its outputs (pytorch/xla
torch_xla/utils/checkpoint.py @16498c3), and lazy tracing runs only what a live tensor needs. A matmul's backward
reads its inputs, not its output, so the region's last GEMM is dead: the MLP down-projection of a layer (full) or of
an MLP block, P V of a checkpointed unfused attention core (PyTorch/XLA's module checkpoint), and both output GEMMs of
a parallel block.

What is checked: the recomputed FLOPs (hw_flops_per_step - model FLOPs; device-independent counts) of the same
layout on an XLA device (TPU v5e, Trainium) against an H100 running Megatron-LM (eager CUDA, whole forward redone),
differ by exactly the dead GEMMs' FLOPs, written out from the shapes (2 x tokens x in x out per GEMM per layer)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.workload.presets import get_model

MODEL = get_model("llama3-8b")
SEQ, SEQS = 4096, 64
TOKENS = SEQ * SEQS  # tokens per step
BASE = LayoutQuery(model=MODEL, hardware="h100-sxm", devices=16, tp=4, pp=1, recompute="full", sp=True,
                   seq_len=SEQ, global_batch_seqs=SEQS)


def _recomputed_flops(q: LayoutQuery) -> float:
    terms = predict_layout(q).terms
    return terms["hw_flops_per_step"] - terms["model_flops_per_step"]


def _down_proj_flops(model=MODEL) -> float:
    """Every layer's MLP down-projection [tokens, f] x [f, h] over the step (summed over tensor-parallel ranks)."""
    return 2.0 * TOKENS * model.ffn * model.hidden * model.layers


@pytest.mark.parametrize("hardware", ["tpu-v5e", "trainium1-core"])
def test_full_recompute_under_xla_skips_every_down_projection(hardware: str) -> None:
    gpu = _recomputed_flops(BASE)
    xla = _recomputed_flops(replace(BASE, hardware=hardware))
    assert gpu - xla == pytest.approx(_down_proj_flops(), rel=1e-9)
    # nothing recomputed, nothing skipped
    none = replace(BASE, recompute="none")
    assert _recomputed_flops(none) == _recomputed_flops(replace(none, hardware=hardware)) == 0.0


def test_maxtext_on_a_gpu_is_an_xla_program_too() -> None:
    """The stack, not the device: JAX MaxText on an H100 (the A3 rows' stack) drops the same GEMMs."""
    gpu = _recomputed_flops(BASE)
    assert gpu - _recomputed_flops(replace(BASE, stack="maxtext")) == pytest.approx(_down_proj_flops(), rel=1e-9)


def test_parallel_block_skips_both_output_gemms() -> None:
    """A parallel block (PaLM sec. 2) sums the attention and MLP branches into the layer output: both output GEMMs
    (down-projection and attention out-projection [tokens, heads x head_dim] x [., h]) are dead."""
    par = replace(MODEL, parallel_block=True)
    q = replace(BASE, model=par)
    out_proj = 2.0 * TOKENS * par.o_width * par.hidden * par.layers
    assert _recomputed_flops(q) - _recomputed_flops(replace(q, hardware="tpu-v5e")) == pytest.approx(
        _down_proj_flops(par) + out_proj, rel=1e-9)


def test_mlp_recompute_under_pytorch_xla_skips_the_down_projection() -> None:
    """NxD's checkpointed LlamaMLP (the Llama 3.1 70B Trainium rows' 'mlp'): its output GEMM is the region's output."""
    q = replace(BASE, recompute="mlp")
    gpu, trn = _recomputed_flops(q), _recomputed_flops(replace(q, hardware="trainium1-core"))
    assert gpu > 0 and gpu - trn == pytest.approx(_down_proj_flops(), rel=1e-9)


def test_checkpointed_unfused_core_skips_p_v_on_pytorch_xla_only() -> None:
    """Selective recompute of an unfused core: the region (Megatron's / NxD's CoreAttention) ends at P V, whose output
    the out-projection outside saved: P V, (b x heads) x [s, s] x [s, head_dim], is dead on Trainium. MaxText's
    region is the whole layer (the out-projection's weight gradient reads 'context'), so a TPU redoes it."""
    q = replace(BASE, recompute="selective", flash=False)
    gpu = _recomputed_flops(q)
    p_v = 2.0 * TOKENS * SEQ * MODEL.heads * MODEL.v_head_dim * MODEL.layers
    assert gpu - _recomputed_flops(replace(q, hardware="trainium1-core")) == pytest.approx(p_v, rel=1e-9)
    assert _recomputed_flops(replace(q, hardware="tpu-v5e")) == pytest.approx(gpu, rel=1e-12)
    # a fused kernel is one op whose softmax statistics the backward reads: nothing skipped
    fused = replace(q, flash=True)
    assert _recomputed_flops(replace(fused, hardware="trainium1-core")) == pytest.approx(_recomputed_flops(fused),
                                                                                         rel=1e-12)
