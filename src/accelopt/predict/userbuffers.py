"""Transformer Engine userbuffers: what tensor-parallel communication overlap costs a layer (Setup.tp_comm_overlap).

With sequence parallelism each tensor-parallel linear layer all-gathers its input (column-parallel: QKV, MLP up) or
reduce-scatters its output (row-parallel: out-projection, MLP down). Transformer Engine's userbuffers overlap each
of those collectives with a GEMM by one of three methods, chosen per GEMM by a named config (TE
transformer_engine/pytorch/module/base.py initialize_ub; NVIDIA/TransformerEngine at
fecb10bdf13c26a213807bc310b0ec438462614e; the kernels in transformer_engine/common/comm_gemm_overlap/
comm_gemm_overlap.cpp at 4757bfa7ed23f3965fc7332a297b2d97372c40a9):

- ring_exchange (CommOverlapP2PBase::split_overlap_ag / split_overlap_rs): the GEMM runs as tp chunks of T/tp
  tokens (aggregate: tp/2 chunks of 2T/tp); while one chunk computes, the next chunk's inputs (all-gather) or the
  previous chunk's partial outputs (reduce-scatter) move to the ring neighbour by copy engine. All-gather:
  t = c + (n-1) max(c, p); reduce-scatter: the last chunk's send is exposed, t = c + (n-1) max(c, p) + p.
- pipeline (CommOverlapBase::split_overlap_rs, reduce-scatter only): the GEMM runs as num_splits chunks; each
  chunk's reduce-scatter runs on num_sm SMs while the next chunk computes; the last one is exposed.
- bulk (CommOverlapBase::bulk_overlap, backward only): a collective of another tensor (the input re-gather for the
  weight gradient, the input gradient's reduce-scatter) runs on num_sm SMs beside an unrelated GEMM; the step
  waits for both.

SMs: with set_sm_margin the GEMM is launched on (SMs - num_sm) SMs (CommOverlapCore: _math_sms = sm_count -
num_comm_sm), so it runs at (SMs - num_sm) / SMs of its rate for its whole duration. Without it the GEMM is
launched on every SM but the communication kernel holds num_sm of them while it runs: the GEMM loses
num_sm x t_comm SM-seconds, i.e. it takes min(t_comm, t_gemm) x num_sm / SMs longer (work shared evenly over the
SMs left; no published measurement of the slowdown was found, so this is the arithmetic of the SMs, not a fit).
The simplest formulation that keeps what each config sets: which method, how many SMs, whether the GEMM gives them
up for its whole duration, and into how many chunks it is cut. Chunk times come from the model's own GEMM curve at
the chunk's size (the caller passes them). Not modelled: the userbuffers kernels' bandwidth at few SMs (the link
model's time is used) and the final reduction kernel of a ring reduce-scatter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelopt.errors import DeviceUnsupportedError, InputError
from accelopt.hardware.spec import AcceleratorSpec

Arr = np.ndarray

RING, PIPELINE, BULK = "ring_exchange", "pipeline", "bulk"


@dataclass(frozen=True)
class UbLayer:
    """One GEMM's overlap: method, communication SMs (num_sm), set_sm_margin, num_splits (pipeline), aggregate
    (ring exchange: chunks of 2 T / tp)."""

    method: str
    num_sm: int
    sm_margin: bool = False
    num_splits: int = 4
    aggregate: bool = False


@dataclass(frozen=True)
class UbConfig:
    """The ten GEMMs' overlaps of a transformer layer (TransformerLayerTPOverlapCfg's fields) and where they come
    from."""

    name: str
    source: str
    qkv_fprop: UbLayer
    proj_fprop: UbLayer
    fc1_fprop: UbLayer
    fc2_fprop: UbLayer
    qkv_dgrad: UbLayer
    fc1_dgrad: UbLayer
    proj_dgrad: UbLayer
    fc2_dgrad: UbLayer
    qkv_wgrad: UbLayer
    fc1_wgrad: UbLayer


def _ring(aggregate: bool = False, num_sm: int = 1, margin: bool = False) -> UbLayer:
    return UbLayer(RING, num_sm, margin, aggregate=aggregate)


def _pipe(num_sm: int, margin: bool = True, splits: int = 4) -> UbLayer:
    return UbLayer(PIPELINE, num_sm, margin, splits)


def _bulk(num_sm: int) -> UbLayer:
    return UbLayer(BULK, num_sm, False)


COPY_ENGINE_RING = UbLayer(RING, 0)
"""A ring exchange whose peer-to-peer copies run on copy engines with no communication SMs and no SM margin:
PyTorch's symmetric-memory micro-pipelined all-gather / reduce-scatter matmuls (torchtitan async TP,
training._tp_async_tp_layer_s)."""

_NEMO = ("NVIDIA/NeMo nemo/collections/llm/recipes/tp_overlap_configs/userbuffers.py at "
         "0594a700a7d4c17384982e4be3847f8ef2865f67 (the same values in NVIDIA-NeMo/Megatron-Bridge "
         "src/megatron/bridge/training/comm_overlap.py at 0685ff5d5e636e06193291eb13b6bae531e958b4)")


def _named(name: str, bulk: tuple[int, int, int, int], proj: UbLayer, fc2: UbLayer, aggregate: bool = False,
           source: str = _NEMO) -> UbConfig:
    """A config of the NeMo / Megatron-Bridge table: bulk SMs of (qkv_dgrad, qkv_wgrad, fc1_dgrad, fc1_wgrad), the
    two row-parallel forward GEMMs' overlaps, and the four ring exchanges (aggregate or not, 1 SM, no margin)."""
    r = _ring(aggregate)
    return UbConfig(name, source, qkv_fprop=r, proj_fprop=proj, fc1_fprop=r, fc2_fprop=fc2,
                    qkv_dgrad=_bulk(bulk[0]), qkv_wgrad=_bulk(bulk[1]), fc1_dgrad=_bulk(bulk[2]),
                    fc1_wgrad=_bulk(bulk[3]), proj_dgrad=r, fc2_dgrad=r)


_TE = ("TE initialize_ub's defaults when the recipe names no config (NVIDIA/TransformerEngine "
       "transformer_engine/pytorch/module/base.py at fecb10bdf13c26a213807bc310b0ec438462614e: add_ub(num_sm=16, "
       "cga_size=2, set_sm_margin=0, num_splits=4 for pipeline, use_ce=True); ring_exchange for qkv_fprop, fc1_fprop, "
       "proj_dgrad, fc2_dgrad; pipeline for proj_fprop, fc2_fprop; bulk for the rest)")
TE_DEFAULT = UbConfig("te-default", _TE, qkv_fprop=_ring(num_sm=16), proj_fprop=_pipe(16, False),
                      fc1_fprop=_ring(num_sm=16), fc2_fprop=_pipe(16, False), qkv_dgrad=_bulk(16),
                      fc1_dgrad=_bulk(16), proj_dgrad=_ring(num_sm=16), fc2_dgrad=_ring(num_sm=16),
                      qkv_wgrad=_bulk(16), fc1_wgrad=_bulk(16))

_R1 = _ring(num_sm=1, margin=True)  # RingExchangeOverlapCfg(num_sm=1, set_sm_margin=True)
_FP8_B200_340B = ("NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/training/comm_overlap.py at "
                  "0685ff5d5e636e06193291eb13b6bae531e958b4, userbuffers_fp8_b200_h18432_tp8_mbs1_seqlen4096 (a later "
                  "config than NeMo's 0594a70 table: bulk 8/32/2/8 SMs, proj_fprop and fc2_fprop ring exchange with "
                  "num_sm 1 and set_sm_margin; NeMo scripts/performance/llm/pretrain_nemotron4_340b.py names it for "
                  "FP8 on B200 / GB200)")
CONFIGS: dict[str, UbConfig] = {c.name: c for c in (
    TE_DEFAULT,
    _named("bf16_h100_h8192_tp4_mbs1_seqlen8192", (4, 24, 2, 4), _pipe(24), _pipe(16)),
    _named("fp8_h100_h8192_tp4_mbs1_seqlen8192", (4, 24, 2, 4), _pipe(24), _pipe(16)),
    _named("bf16_b200_h8192_tp2_mbs1_seqlen8192", (16, 24, 2, 4), _pipe(32), _pipe(16)),
    _named("fp8_b200_h8192_tp2_mbs1_seqlen8192", (4, 24, 2, 4), _R1, _R1),
    _named("bf16_h100_h16384_tp8_cp2_mbs1_seqlen8192", (2, 24, 2, 2), _pipe(24), _pipe(8), aggregate=True),
    _named("fp8_h100_h16384_tp8_cp2_mbs1_seqlen8192", (2, 24, 2, 2), _pipe(24), _pipe(8), aggregate=True),
    _named("bf16_b200_h16384_tp4_cp2_mbs1_seqlen8192", (8, 24, 2, 2), _pipe(32), _pipe(8), aggregate=True),
    _named("fp8_b200_h16384_tp4_cp2_mbs1_seqlen8192", (8, 32, 2, 8), _R1, _R1, aggregate=True),
    _named("bf16_h100_h6144_tp2_mbs2_seqlen2048", (8, 16, 4, 16), _pipe(16), _pipe(24)),
    _named("fp8_h100_h6144_tp2_mbs2_seqlen2048", (8, 16, 4, 16), _pipe(16), _pipe(24)),
    _named("bf16_h100_h12288_tp4_mbs1_seqlen2048", (4, 4, 2, 4), _pipe(24), _R1),
    _named("fp8_h100_h12288_tp4_mbs1_seqlen2048", (4, 4, 2, 4), _pipe(24), _R1),
    _named("bf16_b200_h12288_tp4_mbs1_seqlen2048", (4, 16, 2, 8), _R1, _R1),
    _named("fp8_b200_h12288_tp4_mbs1_seqlen2048", (4, 16, 2, 8), _R1, _R1),
    _named("bf16_b200_h6144_tp2_mbs1_seqlen4096", (8, 32, 2, 8), _R1, _R1),
    _named("bf16_b200_h18432_tp8_mbs1_seqlen4096", (8, 32, 2, 8), _R1, _pipe(24)),
    _named("fp8_b200_h18432_tp8_mbs1_seqlen4096", (8, 32, 2, 8), _R1, _R1, source=_FP8_B200_340B),
)}
"""Named configs: NeMo's userbuffers_<name> (Megatron-Bridge carries the same names and values, except its
fp8_h100_h8192_tp4 and fp8_h100_h16384_tp8 configs, which use ring exchange (num_sm 1, margin) for proj_fprop and
fc2_fprop; those are 'mb-' entries below)."""
CONFIGS.update({c.name: c for c in (
    _named("mb-fp8_h100_h8192_tp4_mbs1_seqlen8192", (4, 24, 2, 4), _R1, _R1,
           source="NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/training/comm_overlap.py at "
                  "0685ff5d5e636e06193291eb13b6bae531e958b4, userbuffers_fp8_h100_h8192_tp4_mbs1_seqlen8192"),
    _named("mb-fp8_h100_h16384_tp8_cp2_mbs1_seqlen8192", (2, 24, 2, 2), _R1, _R1,
           source="NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/training/comm_overlap.py at "
                  "0685ff5d5e636e06193291eb13b6bae531e958b4, userbuffers_fp8_h100_h16384_tp8_cp2_mbs1_seqlen8192"),
)})

_DGXC_175B = ("NVIDIA/dgxc-benchmarking nemo_megatron/gpt3_175b_hydra.yaml (stored 35a9aec and 8f5cbb3, the same "
              "values in both) model.ub_tp_comm_overlap_cfg, written out in the yaml itself: bulk qkv_dgrad 4, "
              "qkv_wgrad 8, fc1_dgrad 2, fc1_wgrad 4 SMs (set_sm_margin 0); qkv_fprop, proj_dgrad, fc1_fprop ring "
              "exchange, fc2_dgrad ring exchange aggregate 1 (num_sm and set_sm_margin not given: TE's default "
              "margin 0); proj_fprop pipeline 24 SMs, fc2_fprop pipeline 20 SMs, both num_splits 4 and "
              "set_sm_margin 1. NeMo hands that mapping to TE as it stands (megatron_gpt_model.py "
              "initialize_ub_func: ub_cfgs = self.cfg.get('ub_tp_comm_overlap_cfg'), passed to "
              "te_module.base.initialize_ub), so no launcher file name applies")
CONFIGS["dgxc-gpt3_175b_hydra"] = UbConfig(
    "dgxc-gpt3_175b_hydra", _DGXC_175B, qkv_fprop=_ring(), proj_fprop=_pipe(24), fc1_fprop=_ring(),
    fc2_fprop=_pipe(20), qkv_dgrad=_bulk(4), qkv_wgrad=_bulk(8), fc1_dgrad=_bulk(2), fc1_wgrad=_bulk(4),
    proj_dgrad=_ring(), fc2_dgrad=_ring(aggregate=True))
"""A recipe's own config, bundled under the recipe's name: the dgxc-benchmarking GPT-3 175B yaml (BF16 and FP8 alike;
H100, TP 4, MBS 1, seq 2048) carries its userbuffers settings inline rather than naming a NeMo config."""


def config(name: str) -> UbConfig:
    """The named config ('' = TE's defaults); InputError naming the choices otherwise."""
    if not name:
        return TE_DEFAULT
    if name not in CONFIGS:
        raise InputError(f"--tp-overlap-cfg {name!r} is not a bundled userbuffers config",
                         f"give one of {', '.join(sorted(CONFIGS))}, or leave it out for TE's defaults")
    return CONFIGS[name]


def sm_count(spec: AcceleratorSpec) -> int:
    """SMs of a device (its catalog spec's cited streaming_multiprocessors); InputError for one without the figure
    (userbuffers takes some of them)."""
    if spec.streaming_multiprocessors is None:
        raise DeviceUnsupportedError(
            f"--tp-comm-overlap on {spec.name!r}: the userbuffers model needs the device's SM count, and its spec "
            "cites none (streaming_multiprocessors)",
            'add streaming_multiprocessors = [N, "source"] to its spec TOML (--catalog), use a device whose catalog '
            "entry has it (accelopt catalog show h100-sxm), or leave --tp-comm-overlap out", option="--tp-comm-overlap")
    return spec.streaming_multiprocessors


def with_sms(t_gemm: Arr, t_comm: Arr, ub: UbLayer, sms: int) -> Arr:
    """A GEMM of t_gemm s beside a communication kernel of t_comm s on ub.num_sm of `sms` SMs: with set_sm_margin
    the GEMM runs on the SMs left for its whole duration (t_gemm x sms / (sms - num_sm)); without it, it loses the
    kernel's SM-seconds while both run (t_gemm + min(t_comm, t_gemm) x num_sm / sms)."""
    if ub.sm_margin:
        return t_gemm * sms / (sms - ub.num_sm)
    return t_gemm + np.minimum(t_comm, t_gemm) * ub.num_sm / sms


def ring_s(t_chunk: Arr, t_p2p: Arr, tp: Arr, ub: UbLayer, sms: int, reduce_scatter: bool) -> Arr:
    """A GEMM overlapped by ring exchange: n chunks (tp; aggregate: tp / 2 chunks of twice the size, after an
    exposed first exchange of one chunk between neighbour pairs; t_chunk and t_p2p given for ONE tp-th), each chunk's
    p2p hidden behind a chunk's GEMM: c + (n-1) max(c, p), plus the last send for a reduce-scatter. The p2p runs on
    copy engines (use_ce); with set_sm_margin the GEMM gives up num_sm."""
    k = 2.0 if ub.aggregate else 1.0
    n = np.maximum(tp / k, 1.0)
    c = k * t_chunk * (sms / (sms - ub.num_sm) if ub.sm_margin else 1.0)
    p = k * t_p2p
    first = t_p2p if ub.aggregate else 0.0  # split_overlap_ag's 'Initial 1X input chunk exchange'
    return first + c + (n - 1.0) * np.maximum(c, p) + (p if reduce_scatter else 0.0)


def pipeline_s(t_chunk: Arr, t_rs: Arr, ub: UbLayer, sms: int) -> Arr:
    """A GEMM whose reduce-scatter is pipelined: num_splits chunks (t_chunk: one chunk's GEMM), each chunk's
    reduce-scatter (t_rs / n) on num_sm SMs beside the next chunk; the last one exposed (TE runs it on 32 SMs)."""
    n = float(ub.num_splits)
    r = t_rs / n
    c = with_sms(t_chunk, r, ub, sms)
    return c + (n - 1.0) * np.maximum(c, r) + r


def bulk_s(t_gemm: Arr, t_comm: Arr, ub: UbLayer, sms: int) -> Arr:
    """A GEMM with an unrelated collective beside it (bulk): the step waits for both."""
    return np.maximum(with_sms(t_gemm, t_comm, ub, sms), t_comm)


def layer_s(g: tuple[Arr, ...], c_ring: tuple[Arr, ...], c_pipe: tuple[Arr, ...], tp: Arr, t_ag: Arr, t_rs: Arr,
            p_ag: Arr, p_rs: Arr, ub: UbConfig, sms: int, parallel_block: bool) -> tuple[Arr, Arr, Arr, Arr]:
    """(forward, backward, MLP forward, all-gathered forward) time one layer's tensor-parallel GEMMs take beyond
    the GEMM times already counted (g: QKV, out-projection, MLP up, MLP down; the backward's data- and
    weight-gradient GEMMs each take g), overlapped by `ub`. c_ring / c_pipe: the same GEMMs at one ring chunk
    (T / tp tokens) and one pipeline chunk (T / num_splits). t_ag / t_rs: one whole all-gather (FP8 in FP8 runs:
    TE gathers FP8 buffers) / 16-bit reduce-scatter; p_ag / p_rs: one chunk's p2p of each. A parallel block has one
    column-parallel GEMM (QKV + MLP up, qkv's overlaps) and one row-parallel (out + MLP down, proj's)."""
    qkv, out, up, down = g
    cq, co, cu, cd = c_ring
    _, po, _, pd = c_pipe  # only the reduce-scatter GEMMs are pipelined
    cols: tuple[tuple[Arr, Arr, UbLayer, UbLayer, UbLayer], ...]
    rows: tuple[tuple[Arr, Arr, Arr, UbLayer, UbLayer], ...]
    if parallel_block:
        cols = ((qkv + up, cq + cu, ub.qkv_fprop, ub.qkv_dgrad, ub.qkv_wgrad),)
        rows = ((out + down, co + cd, po + pd, ub.proj_fprop, ub.proj_dgrad),)
    else:
        cols = ((qkv, cq, ub.qkv_fprop, ub.qkv_dgrad, ub.qkv_wgrad),
                (up, cu, ub.fc1_fprop, ub.fc1_dgrad, ub.fc1_wgrad))
        rows = ((out, co, po, ub.proj_fprop, ub.proj_dgrad), (down, cd, pd, ub.fc2_fprop, ub.fc2_dgrad))
    fwd_col = [ring_s(c, p_ag, tp, f, sms, False) - t for t, c, f, _, _ in cols]
    fwd_row = [(ring_s(c, p_rs, tp, f, sms, True) if f.method == RING else pipeline_s(pc, t_rs, f, sms)) - t
               for t, c, pc, f, _ in rows]
    bwd = sum(bulk_s(t, t_ag, d, sms) - t + bulk_s(t, t_rs, w, sms) - t for t, _, _, d, w in cols)
    bwd = bwd + sum(ring_s(c, p_ag, tp, d, sms, False) - t for t, c, _, _, d in rows)
    fwd = sum(fwd_col) + sum(fwd_row)
    return fwd, bwd, fwd_col[-1] + fwd_row[-1], sum(fwd_col)


assert all(getattr(c, f).num_splits == 4 for c in CONFIGS.values() for f in ("proj_fprop", "fc2_fprop")), \
    "every bundled pipeline config cuts its GEMM in 4 (training.evaluate times one chunk at T / 4)"
PIPELINE_SPLITS = 4
