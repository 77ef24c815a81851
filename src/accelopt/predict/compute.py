"""Per-op roofline compute time of one transformer layer, vectorised over layouts.

Each op's time is the roofline bound (Williams, Waterman & Patterson 2009, 'Roofline', CACM 52(4)):
    t = max(F / (peak * eff(F)), bytes / (BW * memory_eff)) + kernel_overhead
with eff(F) the op-size-dependent GEMM efficiency of the device family (calibration.py).
FLOPs count 2 per multiply-accumulate. A GEMM [M,K] x [K,N] reads M*K + K*N and writes M*N elements.
Backward GEMMs (data and weight gradients) are two GEMMs of the forward's size, so t_bwd = 2 t_fwd
(Narayanan et al. 2021, sec. 5.1: 'backward pass ... twice the FLOPs of the forward pass').
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from accelopt.errors import DeviceUnsupportedError, InputError, case_hint
from accelopt.predict.calibration import Calibration
from accelopt.workload.transformer import TransformerConfig

Arr = Any  # numpy arrays over layouts, or scalars that broadcast against them


@dataclass(frozen=True)
class LinearPrecision:
    """How the linear layers' GEMMs (QKV, out-projection, MLP, experts) run when they use another precision than
    the rest of the model (FP8 training; FP8/FP4 weights). Everything else stays 16 bit (see linear_precision)."""

    dtype: str
    peak_flop_per_s: float
    """Dense peak of `dtype` (catalog)."""
    operand_bytes: float
    """Bytes per GEMM input element, block scales included (fp8: 1; NVFP4: 0.5 + 1/16; MXFP4: 0.5 + 1/32)."""
    eff_max: float
    """Asymptotic fraction of that peak a large GEMM reaches (calibration fp8_matmul_eff_max)."""
    half_flop: float
    """The curve's half-size point at this peak: the family's matmul_half_flop x peak ratio (same fixed time)."""
    cast_bytes_per_input: float
    """Memory traffic per element of each GEMM's activation input to quantize it (0: inputs already quantized)."""
    cast_kernels: float = 1.0
    """Kernels per quantize of one GEMM input (fp8_cast_bytes: 2 for current scaling's amax pass and cast)."""


@dataclass(frozen=True)
class Device:
    """The rates one evaluation uses. peak_flop_per_s is the 16-bit peak (attention core, logits, and every GEMM
    when `linear` is None); `linear` holds the linear layers' own precision when it differs (FP8)."""

    peak_flop_per_s: float
    bw_byte_per_s: float
    cal: Calibration
    linear: LinearPrecision | None = None

    @property
    def half_flop(self) -> float:
        """GEMM size at half of matmul_eff_max on this device: the family's matmul_half_flop, or its matmul_half_s
        (a time) x peak x eff_max where the family gives one."""
        c = self.cal
        return c.matmul_half_s * self.peak_flop_per_s * c.matmul_eff_max if c.matmul_half_s > 0 else c.matmul_half_flop

    def matmul_eff(self, flops: Arr) -> Arr:
        """eff(F) = eff_max F / (F + F_half) at this device's half-size point."""
        return self.cal.matmul_eff_max * flops / (flops + self.half_flop)

    def linear_eff(self, flops: Arr) -> Arr:
        """eff(F) of a linear-layer GEMM: in `linear`'s precision (its eff_max, half-size point) when it has one,
        else matmul_eff (the curve gemm_s times it with)."""
        lin = self.linear
        return self.matmul_eff(flops) if lin is None else lin.eff_max * flops / (flops + lin.half_flop)


FP8_RECIPES = ("delayed", "current", "mxfp8")
"""FP8 scaling recipes of Transformer Engine's linear layers (plan --fp8-recipe; Megatron-LM --fp8-recipe, default
'delayed'): delayed = per-tensor scale from an amax history (TE DelayedScaling, its default recipe); current =
per-tensor scale from the tensor's own amax in this step (TE Float8CurrentScaling; Megatron-Bridge 'FP8-CS'; NeMo
25.04's "scaling factors computed in the current step"); mxfp8 = one E8M0 scale per 32 elements (TE
MXFP8BlockScaling; OCP Microscaling Formats (MX) Specification v1.0, 2023, sec. 5)."""

MXFP8_FAMILIES = ("nvidia-blackwell",)
"""Families with block-scaled FP8 tensor cores, which MXFP8 GEMMs need (Transformer Engine check_mxfp8_support:
"Device compute capability 10.0 or higher required for MXFP8 execution", i.e. Blackwell; its ROCm port asks gfx950,
CDNA 4, which no catalog family here is: MI300X/MI325X are gfx942)."""

MXFP8_CAPABILITY = ((10, 0), (12, 0))
"""The NVIDIA compute capabilities MXFP8 GEMMs run on, [10.0, 12.0): Transformer Engine check_mxfp8_support
(NVIDIA/TransformerEngine@f2b6810c transformer_engine/pytorch/quantization.py): ">= (12, 0)": "MXFP8 (for all gemm
layouts) is not supported on 12.0+ architectures yet"; ">= (10, 0)": supported; else "Device compute capability 10.0
or higher required for MXFP8 execution". Read from the spec's compute_capability (mxfp8_problem); a spec without
one falls back to MXFP8_FAMILIES."""


def mxfp8_problem(family: str, spec: Any = None) -> str:
    """Why `--fp8-recipe mxfp8` cannot run ('' when it can): on an NVIDIA GPU whose spec cites its compute capability,
    that capability against MXFP8_CAPABILITY (B200 / GB200 10.0 and B300 / GB300 10.3 run it, an H100's 9.0 and an
    RTX PRO 6000 Blackwell's 12.0 do not, whatever calibration family the name falls in); else the family
    (MXFP8_FAMILIES)."""
    cc = spec.cuda_capability() if spec is not None and spec.vendor == "NVIDIA" else None
    if cc is not None:
        lo, hi = MXFP8_CAPABILITY
        if lo <= cc < hi:
            return ""
        return (f"--fp8-recipe mxfp8 needs block-scaled FP8 tensor cores of compute capability 10.x (Transformer "
                f"Engine's check_mxfp8_support: 10.0 or higher, 12.0+ not yet supported); {spec.name} is compute "
                f"capability {spec.compute_capability}")
    if family in MXFP8_FAMILIES:
        return ""
    return (f"--fp8-recipe mxfp8 needs block-scaled FP8 tensor cores (NVIDIA Blackwell), which the {family} family "
            "lacks")


FP8_RECIPE_ALIASES = {"ds": "delayed", "cs": "current", "tensorwise": "current", "mx": "mxfp8", "fp8-cs": "current",
                      "fp8-mx": "mxfp8"}
"""Names the stacks use for the same recipes: NeMo's performance scripts --fp8_recipe ds / cs / mxfp8, Megatron-LM
--fp8-recipe tensorwise (per-tensor current scaling), the Megatron-Bridge tables' FP8-CS / FP8-MX."""


def canonical_fp8_recipe(name: str) -> str:
    """`name` as one of FP8_RECIPES when it is one of them or an alias (any case); else unchanged (Setup refuses it)."""
    key = name.strip().lower()
    return FP8_RECIPE_ALIASES.get(key, key if key in FP8_RECIPES else name)


FP8_GEMM_LAYOUTS: dict[str, str] = {
    "nvidia-hopper": "tn-only", "amd-instinct-cdna3": "tn-only", "amd-instinct-cdna4": "tn-only",
    "nvidia-blackwell": "any", "intel-gaudi2": "any", "intel-gaudi3": "any",
}
"""Operand layouts each family's per-tensor FP8 GEMMs take, in the stack that trains on it: 'tn-only' = both operands
K-major, so an FP8 transposed copy is written of every activation the weight-gradient GEMM reads and kept of every FP8
weight the data-gradient GEMM reads; 'any' = the GEMM reads either layout, no FP8 transposed copy. Sources:
- nvidia-hopper tn-only, nvidia-blackwell any: Transformer Engine transformer_engine/pytorch/utils.py
  is_non_tn_fp8_gemm_supported, "(10, 0) <= device_capability < (12, 0) or device_capability >= (13, 0)"; the same
  predicate decides whether a Float8Tensor (activation or weight) gets a transpose (float8_tensor.py update_usage:
  "needs_data_transpose = False" when it holds; Float8Quantizer::create_tensor in csrc/quantizer.cpp).
- amd-instinct-cdna3 tn-only: ROCm's port, ROCm/TransformerEngine transformer_engine/pytorch/utils.py at commit
  07f3c6a5fb0586e9cf0f267ff40a19e3601bdcd6, is_non_tn_fp8_gemm_supported: "# TODO: release until rocm support non-TN
  fp8 gemms / return (not IS_HIP_EXTENSION) and ...": False on every ROCm device (MI300X/MI325X are gfx942), so
  activations and weights both carry the FP8 transpose, as on Hopper.
  amd-instinct-cdna4 (MI355X / MI350X, gfx950) tn-only on the same line: it returns False for every HIP build,
  whatever the device (cdna4, 2026-12-04).
- intel-gaudi2 / intel-gaudi3 any: Intel Gaudi Transformer Engine (HabanaAI/gaudi-pytorch-bridge,
  python_packages/habana_frameworks/torch/hpex/experimental/transformer_engine/module/linear.py at commit
  0cec8dd4b5cfbe36a9ae3bbef1292559362ea532): the forward casts input and weight with cast_to_fp8 (no transpose
  output) and the backward passes the layout as GEMM flags, dgrad fp8_gemm(weight_fp8, ..., transa=False), wgrad
  fp8_gemm(inputmat_fp8, ..., transa=False, transb=True), to torch.ops.hpu.fp8_gemm_v2(A, trans_A, B, trans_B, ...)
  (cpp_extensions/gemm.py); one software stack for both MME generations.
Families not listed (no source found): today's behaviour kept, which the two uses split: the activation quantize
writes the transpose (fp8_activation_transpose), FP8 weights keep no transposed copy (fp8_weight_transpose)."""


def fp8_activation_transpose(family: str) -> bool:
    """Whether quantizing an FP8 GEMM's activation input also writes its FP8 transpose for the weight-gradient GEMM
    (FP8_GEMM_LAYOUTS; a family without a settled layout: yes, as before it had one)."""
    return FP8_GEMM_LAYOUTS.get(family) != "any"


def fp8_weight_transpose(family: str) -> bool:
    """Whether an FP8 weight (Setup.fp8_params) is kept with an FP8 transposed copy for the data-gradient GEMM
    (FP8_GEMM_LAYOUTS; a family without a settled layout: no, as before it had one)."""
    return FP8_GEMM_LAYOUTS.get(family) == "tn-only"


def fp8_cast_bytes(recipe: str, family: str, spec: Any = None) -> tuple[float, float]:
    """(bytes moved per element, kernels) to quantize one FP8 GEMM's 16-bit activation input [m,k] under `recipe`.

    Every recipe reads the 2-byte input and writes its 1-byte FP8 value (Micikevicius et al. 2022, "FP8 Formats for Deep
    Learning", sec. 4: scale factors applied when casting to FP8 before each GEMM). delayed: one fused cast(-transpose)
    kernel, the amax for the history reduced in the same pass; it also writes the 1-byte FP8 transpose for the
    weight-gradient GEMM where the family's FP8 GEMMs need it (fp8_activation_transpose): 4 or 3 bytes. current: the
    scale must be known before the cast, so an amax kernel reads the input first (TE Float8CurrentScalingQuantizer:
    compute amax, then quantize): 2 more bytes and one more kernel. mxfp8: one kernel computes each 32-element block's
    scale and writes both a row-wise and a column-wise quantized copy (the blocks run along the GEMM's reduction
    dimension, which differs between the forward and the weight-gradient GEMM), each 1 byte + 1/32 scale: 2 + 2 x
    (1 + 1/32). Weights are cast once per step and reused across micro-batches (TE `is_first_microbatch`), not charged
    per micro-batch."""
    if recipe not in FP8_RECIPES:
        raise InputError(f"FP8 recipe {recipe!r} is not one the predictor models", f"use {', '.join(FP8_RECIPES)}")
    if recipe == "mxfp8":
        if problem := mxfp8_problem(family, spec):  # spec: its compute capability decides where it cites one
            raise DeviceUnsupportedError(problem, "use --fp8-recipe delayed or current, or a Blackwell device of "
                                         "compute capability 10.x (b200, gb200, b300, gb300)", option="--fp8-recipe")
        return 2.0 + 2.0 * (1.0 + 1.0 / 32), 1.0
    transpose_b = 1.0 if fp8_activation_transpose(family) else 0.0
    cast_b = 2.0 + 1.0 + transpose_b
    return (cast_b + 2.0, 2.0) if recipe == "current" else (cast_b, 1.0)


FP4_OPERAND_BYTES = {"nvfp4": 0.5 + 1.0 / 16, "mxfp4": 0.5 + 1.0 / 32}
"""4-bit values plus block scales: NVFP4 one FP8 (E4M3) scale per 16 elements (NVIDIA Blackwell NVFP4, "Introducing
NVFP4", NVIDIA technical blog 2025); MXFP4 one 8-bit (E8M0) scale per 32 elements (OCP Microscaling Formats (MX)
Specification v1.0, 2023, sec. 5)."""


def activation_bytes(dtype: str) -> float:
    """Bytes per activation element: 16-bit for bf16/fp16 and for FP8 training (only the GEMM inputs are FP8)."""
    return 2.0 if dtype in ("bf16", "fp16", "fp8") else 4.0


def linear_precision(spec: Any, dtype: str, cal: Calibration, fp8_recipe: str = "delayed") -> LinearPrecision | None:
    """The linear layers' precision for a run in `dtype` on `spec` (an AcceleratorSpec); None for 16-bit runs.

    fp8: FP8 GEMMs at the fp8 peak with the family's fp8_matmul_eff_max and the per-GEMM quantize pass of
    `fp8_recipe` (fp8_cast_bytes; MXFP8 operands carry their block scales, 1 + 1/32 bytes); attention (QK^T, softmax,
    AV), norms, embeddings, logits, optimizer and
    communication stay bf16 (Transformer Engine applies FP8 to its Linear layers only; Micikevicius et al. 2022
    sec. 4 keep softmax/normalisation in higher precision). nvfp4 / mxfp4: 4-bit weights (serving), at the
    catalog's fp4 peak where it has one; the activations are quantized by the producing kernel (no extra pass).
    """
    if dtype in ("bf16", "fp16", "fp32"):
        return None
    peak16 = spec.peak("bf16") or spec.peak("fp16")
    cast_kernels = 1.0
    if dtype == "fp8":
        cast_b, cast_kernels = fp8_cast_bytes(fp8_recipe, cal.family, spec)
        peak, operand_b = spec.peak("fp8"), (1.0 + 1.0 / 32 if fp8_recipe == "mxfp8" else 1.0)
    elif dtype in FP4_OPERAND_BYTES:
        peak, operand_b, cast_b = spec.peak("fp4"), FP4_OPERAND_BYTES[dtype], 0.0
    else:
        raise InputError(f"precision {dtype!r} is not a linear-layer precision", "use bf16, fp16, fp8, nvfp4 or mxfp4")
    if peak is None or peak16 is None:
        missing = "bf16/fp16" if peak16 is None else ("fp8" if dtype == "fp8" else "fp4")
        raise InputError(f"device {spec.name!r} has no {missing} peak in its spec, and {dtype} linear layers need it "
                         "(with the 16-bit peak for attention and the other ops)",
                         f"pick a device that lists peak_flop_per_s.{missing}, or give it with its source in a "
                         "--hardware spec TOML")
    eff_max = cal.fp8_matmul_eff_max if dtype == "fp8" else cal.matmul_eff_max
    half = cal.matmul_half_s * peak * eff_max if cal.matmul_half_s > 0 else cal.matmul_half_flop * peak / peak16
    return LinearPrecision(dtype=dtype, peak_flop_per_s=peak, operand_bytes=operand_b, eff_max=eff_max,
                           half_flop=half, cast_bytes_per_input=cast_b, cast_kernels=cast_kernels)


def roofline_s(flops: Arr, n_bytes: Arr, dev: Device, n_kernels: float | Arr = 1.0, matmul: bool = True) -> Arr:
    """Roofline time of `n_kernels` identical ops of `flops` and `n_bytes` each.

    matmul=True (GEMMs, convolutions, attention products): the compute side runs at peak x eff(F), the
    size-dependent GEMM efficiency of the family. matmul=False (elementwise, norms, softmax, reductions,
    embeddings, copies): that curve describes how a GEMM fills the tensor cores and does not apply; such an
    op is bandwidth-bound at memory_eff x peak bandwidth (the STREAM-style achievable fraction, see
    calibration.toml), its FLOPs bounded only by the plain peak."""
    if matmul:
        eff = dev.matmul_eff(np.maximum(flops, 1.0))
        t_compute = np.where(flops > 0, flops / (dev.peak_flop_per_s * eff), 0.0)
    else:
        t_compute = flops / dev.peak_flop_per_s
    t_memory = n_bytes / (dev.bw_byte_per_s * dev.cal.memory_eff)
    return n_kernels * (np.maximum(t_compute, t_memory) + dev.cal.kernel_overhead_s)


MATMUL_KINDS = frozenset({"matmul", "conv", "attention"})
"""Op kinds (accelopt.workload.types.OP_KINDS) timed with the GEMM efficiency curve; every other kind is
bandwidth-bound (roofline_s matmul=False)."""


def op_s(kind: str, flops: float, n_bytes: float, dev: Device, count: float = 1.0) -> float:
    """Roofline time of `count` runs of one captured op of `kind` (a profiled workload's op)."""
    return float(roofline_s(np.asarray(float(flops)), np.asarray(float(n_bytes)), dev, float(count),
                            matmul=kind in MATMUL_KINDS))


def memory_ops_s(total_bytes: Arr, dev: Device, n_kernels: float) -> Arr:
    """`n_kernels` memory-bound ops moving `total_bytes` together: bytes / (BW x mem_eff) + launches."""
    return total_bytes / (dev.bw_byte_per_s * dev.cal.memory_eff) + n_kernels * dev.cal.kernel_overhead_s


def gemm16_s(m: Arr, n: Arr, k: Arr, dtb: float, dev: Device, count: float | Arr = 1.0) -> tuple[Arr, Arr]:
    """(time, flops) of `count` separate GEMMs [m,k]x[k,n] (one kernel each) in the 16-bit precision."""
    flops = 2.0 * m * n * k
    n_bytes = (m * k + k * n + m * n) * dtb
    return roofline_s(flops, n_bytes, dev, count), flops * count


def gemm_s(m: Arr, n: Arr, k: Arr, dtb: float, dev: Device, count: float | Arr = 1.0) -> tuple[Arr, Arr]:
    """(time, flops) of `count` linear-layer GEMMs [m,k]x[k,n] (one kernel each): in dev.linear's precision when it
    has one (inputs of operand_bytes, output in 16 bit, plus one quantize pass over the [m,k] activation input),
    else as gemm16_s."""
    lin = dev.linear
    if lin is None:
        return gemm16_s(m, n, k, dtb, dev, count)
    flops = 2.0 * m * n * k
    bw = dev.bw_byte_per_s * dev.cal.memory_eff
    n_bytes = (m * k + k * n) * lin.operand_bytes + m * n * dtb
    eff = dev.linear_eff(flops)
    t_gemm = np.maximum(flops / (lin.peak_flop_per_s * eff), n_bytes / bw) + dev.cal.kernel_overhead_s
    t_cast = np.where(lin.cast_bytes_per_input > 0,
                      m * k * lin.cast_bytes_per_input / bw + lin.cast_kernels * dev.cal.kernel_overhead_s, 0.0)
    return count * (t_gemm + t_cast), flops * count


def grouped_gemm_s(m: Arr, n: Arr, k: Arr, dtb: float, dev: Device, groups: Arr) -> tuple[Arr, Arr]:
    """(time, flops) of one grouped GEMM of `groups` local experts, [m,k]x[k,n] each, as Megatron-Core's
    --moe-grouped-gemm runs it with Transformer Engine (TEGroupedMLP -> te.GroupedLinear): one cuBLAS(Lt) GEMM
    launched per expert, round-robin over 4 compute streams, not one grouped kernel. Sources:
    - Megatron-LM megatron/core/transformer/moe/README.md (stored 022bcb5), --moe-grouped-gemm: "launch multiple local
      GEMM kernels in multiple streams ... with GroupedLinear in TransformerEngine";
    - NVIDIA/TransformerEngine PR #853 ("Grouped GEMM via multi-stream cuBLAS", the GroupedLinear layer) and
      transformer_engine/common/gemm/cublaslt_gemm.cu nvte_multi_stream_cublas_gemm (code index id 8069351966): a
      loop `for (int i = 0; i < num_gemms; i++) nvte_cublas_gemm(A[i], ..., compute_streams[i % num_streams])`,
      num_streams = 4 (common/include/transformer_engine/gemm.h);
    - TE issue #1386 (maintainer, 2024-12-31: cuBLAS-grouped and CUTLASS grouped GEMMs measured slower, the
      multi-stream calls kept) and PR #3134 (2026-06-17: "currently runs as a per-expert loop of cuBLASLt GEMMs across
      multiple CUDA streams"); TE's cuBLAS grouped-GEMM binding (PR #2669) merged 2026-03, after the 26.02 release
      the runs file's newest MoE rows use.
    So each expert is timed at its own size (the efficiency curve and the weight reads of its GEMM; with FP8, its
    input's quantize: gemm_s) AND pays its own launch gap (kernel_overhead_s, the model's per-kernel assumption): one
    host thread issues the per-expert launches one after another. Before 2026-12-02 (moe) the gap was charged once
    per grouped GEMM, as if one kernel ran them all.

    Each expert's GEMM also lasts at least dev.cal.expert_gemm_floor_s (moe4, 2026-12-02): the host builds every
    call's cuBLASLt descriptors and queries its heuristic before the launch (transformer_engine/common/gemm/
    cublaslt_gemm.cu cublas_gemm: cublasLtMatrixLayoutCreate x 3-4, cublasLtMatmulDescCreate, cublasLtMatmulPreference-
    Create, cublasLtMatmulAlgoGetHeuristic, then cublasLtMatmul, per call), so the host, not the GPU, paces a loop of
    expert GEMMs whose kernels are shorter than that work: per expert max(floor, its own time). The floor is the
    time TE's own benchmark gives one expert GEMM where the math is negligible (calibration.toml, nvidia-blackwell:
    TransformerEngine PR #3134, SM100, benchmarks/linear/benchmark_grouped_linear.py, multi-stream 'pure' 0.267 ms
    for 8 experts x 128 tokens, N = K = 2048); 0 (families without a figure): no floor."""
    t, flops = gemm_s(m, n, k, dtb, dev, groups)
    floor_s = dev.cal.expert_gemm_floor_s
    if floor_s <= 0.0:
        return t, flops
    return groups * np.maximum(floor_s, t / groups), flops


MOE_GROUPED_MLPS = ("te", "cutedsl", "megablox")
"""The routed experts' GEMM paths the training model times (plan --moe-grouped-mlp; Setup.moe_grouped_mlp): te,
Transformer Engine's GroupedLinear, one cuBLASLt call per local expert (grouped_gemm_s); cutedsl, Transformer Engine's
operation-fuser grouped MLP with its CuTe DSL MXFP8 kernels, one grouped kernel per GEMM (fused_grouped_gemm_s);
megablox, MaxText's megablox grouped matmul, one Pallas kernel per GEMM over row tiles (megablox_gmm_s)."""

MEGABLOX_TILE_ROWS = 512
"""The m (token-row) tile of MaxText's megablox gmm: base.yml wi_tile_fwd_batch_seq / wo_tile_fwd_batch_seq 512 and
the same 512 for the dlhs / drhs tiles (AI-Hypercomputer/maxtext src/MaxText/configs/base.yml at
003b41698f6eca8280cd600919dc6e5a65686ece; tile_batch_seq 512 in the older form), which the tpu-recipes MoE scripts
do not override; MaxText caps it at the GEMM's rows (moe.py sparse_matmul gmm: tiling=(min(tile_size[0], m), ...))."""


MEGABLOX_WIDTH_REF = 14336.0
"""The expert width (moe_ffn per device) at which megablox_width_eff is 1: Mixtral 8x7B's, where MaxText's megablox
ran its MoE at 50.4% MFU on a v5p-64 (AI-Hypercomputer/maxtext issue #1256, 2025-02-09, 'which is good'); the GEMM
curve megablox_gmm_s prices its tiles on is taken to hold there (the model's pricing before rmegablox, 2026-12-05)."""

MEGABLOX_WIDTH_EXP = 0.30
"""Exponent of megablox_width_eff, from AI-Hypercomputer/maxtext issue #1256 (2025-02-09, rodrigo-f-nogueira, TPU
v5p-64, Mixtral 8x7B without attention, megablox): 8 experts of 14336 top-2 ran at 50.4% MFU; 56 experts of 2048 top-14
(the same FLOPs and the same tokens per expert, T top_k / E = T / 4) at 28%, and 'multiple configs with different
tile_sizes, TPU sizes and batch sizes, all leading to 25-28% MFU'. The model's own MoE block (moe_forward: router,
permutation, tiles, activation) for that pair is 1.050-1.054x slower at 2048 (per_device_batch 4..16 at seq 4096), so
the rest of the 50.4/28 = 1.80x is the grouped matmuls' rate at the narrower width: (2048/14336)^-a with a =
0.297-0.300 over those batches (tests/test_megablox_width.py recomputes it), rounded to 0.30. A power law through the
issue's two widths: an interpolation, not a measured curve."""


def megablox_width_eff(width: Arr) -> Arr:
    """The rate of MaxText's megablox grouped matmul, as a fraction of the GEMM curve megablox_gmm_s prices its tiles
    on, for experts `width` wide on one device (moe_ffn / etp; the n of the up / gate GEMMs and the k of the down GEMM):
    min(1, (width / MEGABLOX_WIDTH_REF)^MEGABLOX_WIDTH_EXP). The issue's loss held across batch sizes (tokens per
    expert) and tile sizes, so the rate is taken as a function of the width alone. 0.512 at Hunyuan 3's 1536, 0.558
    at DeepSeek-V3's 2048, 0.845 at Llama 4 Scout's 8192, 1 from 14336 up (rmegablox, 2026-12-05)."""
    return np.minimum(1.0, (np.asarray(width, dtype=float) / MEGABLOX_WIDTH_REF) ** MEGABLOX_WIDTH_EXP)


def megablox_gmm_s(m: Arr, n: Arr, k: Arr, dtb: float, dev: Device, groups: Arr) -> tuple[Arr, Arr]:
    """(time, flops) of `groups` local experts' [m,k]x[k,n] GEMMs as MaxText's megablox gmm runs them (sparse_matmul
    with megablox true, base.yml's default): ONE Pallas kernel over the expert-sorted rows, whose grid walks tm-row
    tiles and computes each whole tile once for every group that has rows in it (AI-Hypercomputer/maxtext
    MaxText/kernels/megablox/gmm.py at 01164e142151bb7d1bb8e34536ea2affbdce458f, make_group_metadata: 'If a group
    starts somewhere other than the start of a tile ... we need to compute that full tile', 'tiles_m <=
    group_tiles.sum() <= tiles_m + num_groups - 1'; the kernel masks the rows of other groups at the store,
    _get_store_mask). The backward's dlhs (gmm, transposed rhs) and drhs (tgmm) walk the same group metadata, so
    every pass pays the same tiles.

    MaxText does not force-balance its routing (the Megatron-Bridge perf runs do), so the groups' starts fall at
    arbitrary rows: each group after the first starts inside a tile, one more tile visit, with probability
    (tm - 1) / tm for a start uniform over the tile's rows: ceil(R / tm) + (groups - 1)(tm - 1)/tm tiles of tm rows
    for the R = groups x m routed rows (tm = MEGABLOX_TILE_ROWS, capped at R). Timed as one kernel (one launch, no
    per-expert host call, so no expert_gemm_floor_s) of those rows on the family's efficiency curve at its FLOPs, as
    fused_grouped_gemm_s times one grouped kernel, in the 16-bit precision (Setup refuses megablox with fp8), every
    expert's weight read ([groups, k, n]); the FLOPs returned are the routed rows' (the masked rows are hardware work,
    not model work). Not modelled: empty groups (none at the balanced count the caller passes)."""
    rows = m * groups
    tm = np.minimum(float(MEGABLOX_TILE_ROWS), rows)
    tiled_rows = (np.ceil(rows / tm) + (groups - 1.0) * (tm - 1.0) / tm) * tm  # [tiles x tm, k] x [k, n] per pass
    n_bytes = (tiled_rows * k + groups * k * n + tiled_rows * n) * dtb
    return roofline_s(2.0 * tiled_rows * n * k, n_bytes, dev), 2.0 * m * n * k * groups


def fused_grouped_gemm_s(m: Arr, n: Arr, k: Arr, dtb: float, dev: Device, groups: Arr) -> tuple[Arr, Arr]:
    """(time, flops) of `groups` local experts' [m,k]x[k,n] GEMMs run as ONE grouped kernel: Transformer Engine's
    fused grouped MLP (NVIDIA/TransformerEngine PR #2622, 'a fused operation for a grouped MLP block, using a CuTe DSL
    kernel that computes an MXFP8 grouped GEMM and SwiGLU'; PR #2769, 'GEMM + Swiglu fused Grouped MLP for MXFP8',
    merged 2026-03-17, with its backward in transformer_engine/pytorch/ops/fused/backward_grouped_mlp.py), which
    Megatron-Core's MoE layer runs through TE's operation fuser when Megatron-Bridge's cutedsl_fused_grouped_mlp is set
    (use_transformer_engine_op_fuser and NVTE_CUTEDSL_FUSED_GROUPED_MLP=1: NVIDIA-NeMo/Megatron-Bridge PR #3983's
    table; selected 'on SM100+ with MXFP8', NVIDIA-NeMo/RL PR #4194). One launch and no per-expert host call, so no
    expert_gemm_floor_s; the size-dependent efficiency sees the whole kernel's FLOPs (as bmm_s); every expert's weight
    is read (groups x k n operands) and the [groups m, k] input quantized once. Time in dev.linear's precision (the
    path is MXFP8 only: Setup refuses it otherwise); without one, as one 16-bit GEMM of the same FLOPs.
    Not modelled: the SwiGLU the fc1 kernel fuses (the activation pass stays charged in moe_forward)."""
    lin = dev.linear
    if lin is None:
        return gemm16_s(m * groups, n, k, dtb, dev)
    flops = 2.0 * m * n * k * groups
    bw = dev.bw_byte_per_s * dev.cal.memory_eff
    n_bytes = groups * ((m * k + k * n) * lin.operand_bytes + m * n * dtb)
    t_gemm = np.maximum(flops / (lin.peak_flop_per_s * dev.linear_eff(flops)), n_bytes / bw) + dev.cal.kernel_overhead_s
    t_cast = np.where(lin.cast_bytes_per_input > 0,
                      groups * m * k * lin.cast_bytes_per_input / bw + lin.cast_kernels * dev.cal.kernel_overhead_s,
                      0.0)
    return t_gemm + t_cast, flops


def bmm_s(m: Arr, n: Arr, k: Arr, dtb: float, dev: Device, batch: Arr) -> tuple[Arr, Arr]:
    """(time, flops) of one batched GEMM: `batch` products [m,k]x[k,n] in a single kernel (torch.bmm /
    cublasGemmStridedBatched), so the size-dependent efficiency sees the whole kernel's FLOPs."""
    flops = 2.0 * m * n * k * batch
    n_bytes = (m * k + k * n + m * n) * dtb * batch
    return roofline_s(flops, n_bytes, dev, 1.0), flops


@dataclass
class LayerTimes:
    """Forward time and FLOPs of one layer for one micro-batch on one device (arrays over layouts)."""

    dense_s: Arr          # QKV, out-projection, dense MLP GEMMs and the elementwise ops
    attn_core_s: Arr      # scores, softmax, attention x V (what selective recompute redoes)
    moe_mlp_s: Arr        # an MoE layer's expert block (moe_forward): replaces dense_mlp_s AND dense_act_s
    dense_mlp_s: Arr      # the dense MLP's GEMMs
    flops_dense: Arr      # FLOPs per device per layer (dense layer), attention core included
    flops_moe: Arr        # FLOPs per device per layer (MoE layer)
    flops_attn_core: Arr
    dense_act_s: Arr = 0.0
    """The dense MLP's activation (memory-bound, part of dense_s's elementwise time): an MoE layer applies its own
    over the routed tokens instead (moe_forward), so the layer's time is dense_s - dense_mlp_s - dense_act_s +
    moe_mlp_s."""
    tp_gemms_s: tuple[Arr, ...] = ()
    """The GEMMs the tensor-parallel collectives of a layer feed or follow, in order: QKV, out-projection, MLP up
    (+ gate), MLP down (dense MLP; used to hide those collectives with --tp-comm-overlap)."""


def qkv_gemms_s(model: TransformerConfig, T: Arr, tp: Arr, dtb: float, dev: Device) -> tuple[Arr, Arr]:
    """(time, flops) of a layer's Q, K, V projections for T tokens under tensor parallel t.

    Standard/GQA: one fused GEMM [T, h] x [h, q/t + kv_local x (k + v)/kv_heads], kv_local =
    TransformerConfig.kv_heads_per_device(t) = max(kv_heads/t, 1) (t > kv_heads: each rank keeps one whole K/V head,
    replicated, as the serving engines and NxD do and multi-query PaLM at t = 12 needs). MLA
    (DeepSeek-V2 eqs. 9-14, naive up-projected form as in training and prefill): the down-projections [T, h] x
    [h, d_c'] and [T, h] x [h, d_c + rope] are replicated on every tensor-parallel rank (Megatron-Core MLA builds
    them 'duplicated'), the up-projections [T, d_c'] x [d_c', heads x qk / t] and [T, d_c] x
    [d_c, heads x (nope + v) / t] split by heads."""
    h, mla = model.hidden, model.mla
    if mla is None:  # with t > kv_heads each rank computes one (replicated) K/V head, as the attention core below
        kv_local = model.kv_heads_per_device(tp)
        return gemm_s(T, model.q_width / tp + kv_local * (model.k_width + model.v_width) / model.n_kv_heads, h, dtb,
                      dev)
    t_kv_a, f_kv_a = gemm_s(T, mla.cache_width, h, dtb, dev)
    (t_kv_b, f_kv_b), q_up = mla_up_gemms_s(model, T, tp, dtb, dev)
    if mla.q_lora_rank is None:
        t_q, f_q = gemm_s(T, model.heads * mla.qk_head_dim / tp, h, dtb, dev)
    else:
        t_q_a, f_q_a = gemm_s(T, mla.q_lora_rank, h, dtb, dev)
        t_q_b, f_q_b = q_up
        t_q, f_q = t_q_a + t_q_b, f_q_a + f_q_b
    return t_q + t_kv_a + t_kv_b, f_q + f_kv_a + f_kv_b


def mla_up_gemms_s(model: TransformerConfig, T: Arr, tp: Arr, dtb: float,
                   dev: Device) -> tuple[tuple[Arr, Arr], tuple[Arr, Arr]]:
    """((time, flops) of the KV up-projection [T, d_c] x [d_c, heads x (nope + v) / t], (time, flops) of the Q
    up-projection [T, d_c'] x [d_c', heads x qk / t], (0, 0) without a Q latent) of a multi-latent attention layer
    (qkv_gemms_s): what Megatron-Core's --recompute-modules mla_up_proj redoes in the backward."""
    mla = model.mla
    assert mla is not None  # callers check model.mla
    a = model.heads
    kv_up = gemm_s(T, a * (mla.qk_nope_head_dim + mla.v_head_dim) / tp, mla.kv_lora_rank, dtb, dev)
    if mla.q_lora_rank is None:
        zero = np.zeros_like(np.asarray(T, dtype=float))
        return kv_up, (zero, zero)
    return kv_up, gemm_s(T, a * mla.qk_head_dim / tp, mla.q_lora_rank, dtb, dev)


ATTENTION_KERNELS = ("fused", "flash2", "triton", "nki_flash", "unfused")
"""The attention kernel a run uses (--attention-kernel, the runs file's attention_kernel cell):
fused    one fused kernel on the GEMM curve: cuDNN fused attention through Transformer Engine, what TE prefers on
         Hopper and later when it applies (NVIDIA/NeMo docs/source/features/memory_optimizations.rst at 90c9b16,
         'Turn Flash Attention On and Off'); the default.
flash2   Tri Dao's FlashAttention-2 (the flash-attn package, TE with NVTE_FUSED_ATTN=0, PyTorch SDPA's flash backend):
         at the family's published FlashAttention-2 rates (Calibration.flash2_attention_eff for the forward,
         flash2_bwd_attention_eff for the backward where a source gives one).
triton   FlashAttention in Triton (flash_attn.flash_attn_triton, the flash-attn 1 era Triton kernel; llm-foundry's and
         mosaicml/examples' attn_impl 'triton'): the same tiled algorithm (causal blocks skipped, S recomputed in the
         backward) at the family's triton_attention_eff / triton_bwd_attention_eff.
nki_flash AWS Neuron's NKI flash attention kernel (neuronxcc.nki.kernels flash_fwd / flash_attn_bwd, called by NeuronX
         Distributed's nki_flash_attn_func since NxD 0.8.0, Neuron 2.19): causal blocks skipped at its own tile sizes
         and S recomputed in the backward (nki_flash_work_keys, attention_bwd_ratio), on the GEMM curve (no published
         NKI rate; printed as a default). A Neuron kernel: refused off an AWS Neuron device.
unfused  scores materialised in memory (--no-flash, flash cell 0): the pre-2022 Megatron-LM runs."""


def attention_kernel_of(flash: bool, kernel: str | None, where: str = "--attention-kernel") -> str:
    """The run's attention kernel from the older flash switch and the kernel name (None/'': from flash alone:
    fused, or unfused with flash off). Naming a fused kernel with flash off contradicts itself: an error."""
    if not kernel:
        return "fused" if flash else "unfused"
    if kernel not in ATTENTION_KERNELS:
        raise InputError(f"{where} {kernel!r} is not an attention kernel the predictor models"
                         + case_hint(kernel, ATTENTION_KERNELS),
                         f"give {where} one of: {', '.join(ATTENTION_KERNELS)}")
    if not flash and kernel != "unfused":
        raise InputError(f"{where} {kernel} with flash attention off (--no-flash, flash cell 0): a {kernel} kernel "
                         "is a fused one", f"leave out --no-flash (flash cell 1), or give {where} unfused")
    return kernel


GPU_ATTENTION_KERNELS = ("flash2", "triton")
"""Kernels that run on GPUs only: FlashAttention-2 is CUDA (and a ROCm port), and Triton compiles for NVIDIA and AMD
GPUs (triton-lang/triton README, 'Compatibility'); a TPU, ASIC, NPU, FPGA or CPU runs neither."""


def nvidia_turing_or_newer(spec: Any) -> bool:
    """An NVIDIA GPU of compute capability 7.5 (Turing) or newer: read from the spec's cited compute_capability; a
    spec without one is told by its peaks: Turing's tensor cores added int8 and int4 (NVIDIA Turing GPU Architecture
    whitepaper, 2018, 'Turing Tensor Cores') and Ampere's bf16 (NVIDIA A100 Tensor Core GPU Architecture whitepaper,
    2020), so an NVIDIA GPU listing a bf16 or an int8 peak is Turing or newer, and one listing neither (v100-sxm:
    fp16/fp32/fp64 only) is Volta or older. False off NVIDIA."""
    return _nvidia_at_least(spec, (7, 5), ("bf16", "int8"))


def nvidia_ampere_or_newer(spec: Any) -> bool:
    """An NVIDIA GPU of compute capability 8.0 (Ampere) or newer: read from the spec's cited compute_capability; a
    spec without one is told by a bf16 peak (bf16 tensor cores came with Ampere, A100 whitepaper 2020; t4 and
    v100-sxm list none). False off NVIDIA."""
    return _nvidia_at_least(spec, (8, 0), ("bf16",))


def _nvidia_at_least(spec: Any, capability: tuple[int, int], peaks: tuple[str, ...]) -> bool:
    """An NVIDIA GPU of `capability` or newer: its cited compute_capability where the spec has one (a --catalog spec
    of an A100 listing fp16 alone is Ampere), else a peak among `peaks` (the generation that brought that dtype)."""
    if not (spec.kind == "gpu" and spec.vendor == "NVIDIA"):
        return False
    cc = spec.cuda_capability()
    return cc >= capability if cc is not None else any(spec.peak(d) is not None for d in peaks)


NEURON_VENDOR = "AWS"
"""The catalog vendor of AWS's Neuron devices (hardware/catalog/data/aws_neuron.toml: Trainium, Inferentia2), the only
devices an NKI kernel compiles for (neuronx-cc)."""


FLASH2_GPU_SOURCE = (
    "Dao-AILab/flash-attention README at 014c349, 'NVIDIA CUDA Support': FlashAttention-2 with CUDA supports Ampere, "
    "Ada, or Hopper GPUs; Turing (T4) is 'coming soon, please use FlashAttention 1.x for Turing GPUs for now', and "
    "Volta (V100) is not listed")
"""Which NVIDIA GPUs run FlashAttention-2 (attention_kernel_device_problem). Its ROCm build (composable_kernel) runs on
MI200 and MI300 (the same README, 'AMD ROCm Support'); AMD GPUs are not refused here: every AMD GPU of the catalog is
CDNA2 or newer."""


TRITON_GPU_SOURCE = (
    "triton-lang/triton README at c449ceff706fde18c0a2c8dd47bbc98bbf853c41, 'Compatibility': NVIDIA GPUs of compute "
    "capability 8.0+ and AMD GPUs (ROCm 6.2+); Triton's own FlashAttention op refuses compute capability below 8.0 "
    "(python/triton/ops/flash_attention.py at 41e336fd91dc36c7ba9b9ffec1bb1ce768b0911a, _attention.forward: 'Flash "
    "attention currently only supported for compute capability >= 80'); flash_attn_triton 'has only been tested on "
    "A100' (Dao-AILab/flash-attention flash_attn/flash_attn_triton.py at 00583fb, header)")
"""Which NVIDIA GPUs run FlashAttention in Triton (attention_kernel_device_problem): Ampere (sm80) or newer. Older
Triton READMEs listed compute capability 7.0+ (the 2.x era), but no source shows the FlashAttention kernel running
below sm80, and Triton's own op of that kernel refused it there; V100 (sm70) and T4 (sm75) are refused."""


def attention_kernel_device(kernel: str) -> str:
    """The devices that run `kernel`, for a fix that says which to give: an AWS Neuron device for nki_flash, an NVIDIA
    GPU of Ampere or newer or an AMD MI200/MI300 for flash2 (FLASH2_GPU_SOURCE), an NVIDIA GPU of Ampere or newer or
    an AMD GPU for triton (TRITON_GPU_SOURCE)."""
    if kernel == "nki_flash":
        return "an AWS Neuron device (e.g. trainium1-core)"
    if kernel == "flash2":
        return "an NVIDIA GPU of Ampere or newer or an AMD MI200/MI300 (e.g. a100-sxm-80gb, h100-sxm, mi300x)"
    if kernel == "triton":
        return "an NVIDIA GPU of Ampere or newer or an AMD GPU (e.g. a100-sxm-80gb, h100-sxm, mi300x)"
    return "a GPU"


def _nvidia_gpu_before_ampere(spec: Any) -> bool:
    """An NVIDIA GPU older than Ampere (v100-sxm 7.0, t4 7.5 in the catalog; nvidia_ampere_or_newer)."""
    return spec.kind == "gpu" and spec.vendor == "NVIDIA" and not nvidia_ampere_or_newer(spec)


def _why_older(spec: Any) -> str:
    """How an NVIDIA GPU was told older than Ampere: its cited compute capability, else its catalog peaks."""
    if spec.compute_capability is not None:
        return f"compute capability {spec.compute_capability}, below 8.0"
    return "no bf16 tensor cores in its catalog peaks, and no compute_capability cited"


def attention_kernel_device_problem(kernel: str, spec: Any) -> str:
    """Why `spec` cannot run the attention kernel `kernel` ('' when it can): flash2 and triton on a device that is not
    a GPU, flash2 and triton on an NVIDIA GPU older than Ampere (FLASH2_GPU_SOURCE, TRITON_GPU_SOURCE), nki_flash on
    a device that is not an AWS Neuron device. A refusal, as --fp8-recipe mxfp8 off Blackwell and --tp-comm-overlap
    without an SM count are: a prediction on the GEMM curve in its place would rank a kernel that cannot run there."""
    if kernel == "nki_flash":
        if spec.vendor == NEURON_VENDOR:
            return ""
        return (f"--attention-kernel nki_flash is an AWS Neuron kernel (NKI, compiled by neuronx-cc for Trainium "
                f"and Inferentia2); {spec.name} is {_a_kind(spec)} of {spec.vendor}")
    if kernel == "flash2" and _nvidia_gpu_before_ampere(spec):
        return (f"--attention-kernel flash2 needs an NVIDIA GPU of Ampere or newer ({FLASH2_GPU_SOURCE}); "
                f"{spec.name} is older ({_why_older(spec)})")
    if kernel == "triton" and _nvidia_gpu_before_ampere(spec):
        return (f"--attention-kernel triton needs an NVIDIA GPU of Ampere or newer ({TRITON_GPU_SOURCE}); "
                f"{spec.name} is older ({_why_older(spec)})")
    if kernel not in GPU_ATTENTION_KERNELS or spec.kind == "gpu":
        return ""
    return (f"--attention-kernel {kernel} is a GPU kernel ({'FlashAttention-2' if kernel == 'flash2' else 'Triton'}"
            f": NVIDIA and AMD GPUs); {spec.name} is {_a_kind(spec)}")


SOFTCAP_KERNEL_SOURCE = (
    "FlashAttention-2 takes softcap since v2.6 (Dao-AILab/flash-attention README, '2.6: Softcapping', PR #1025; its "
    "backward since 2.6.2, axolotl-ai-cloud/axolotl PR #1781) and runs on NVIDIA Ampere, Ada, Hopper (its README, "
    "'Installation and features'); cuDNN fused attention takes no cap (NVIDIA/TransformerEngine PR #3391)")
"""Where a soft-capped model's attention runs fused (softcap_attention_kernel)."""


def softcap_attention_kernel(model: Any, spec: Any) -> str:
    """The kernel that times a soft-capped model's attention (TransformerConfig.attn_logit_softcap) on `spec` when
    --attention-kernel is left out: flash2 on an NVIDIA GPU of Ampere or newer (SOFTCAP_KERNEL_SOURCE), '' where
    the model does not soft-cap or no soft-capping kernel is modelled on the device (TPU, Trainium, AMD, V100, T4:
    the default fused stays, said by softcap_kernel_note). AMD's FlashAttention-2 (ROCm CK) is left out: no cited
    softcap support in the flash-attn package there."""
    if not model.attn_logit_softcap or not nvidia_ampere_or_newer(spec):
        return ""
    return "flash2"


TRITON_NO_SOFTCAP_SOURCE = (
    "Dao-AILab/flash-attention flash_attn/flash_attn_triton.py at 00583fb14af7b84c4dca7531dc23126870eb0d35: "
    "FlashAttnFunc.forward(ctx, q, k, v, bias=None, causal=False, softmax_scale=None), no softcap argument")
"""Why FlashAttention in Triton (the triton kernel) cannot run a soft-capped model's attention."""


def softcap_fused_problem(model: Any, kernel: str, spec: Any) -> str:
    """Why an explicit --attention-kernel fused or triton cannot time `model` on `spec` ('' when it can). fused: the
    model soft-caps and the device runs a soft-capping kernel (softcap_attention_kernel), so cuDNN fused attention,
    which takes no cap, is not what a run of it executes; on a device with no soft-capping kernel modelled the fused
    figure stays (the only one) with its note. triton: flash_attn_triton takes no cap on any device
    (TRITON_NO_SOFTCAP_SOURCE), so no run of a soft-capped model uses it. Refusals, as nki_flash with a sliding window
    is."""
    if kernel == "triton" and model.attn_logit_softcap:
        return (f"--attention-kernel triton with {model.name}'s attention-logit soft-capping (attn_logit_softcapping "
                f"{model.attn_logit_softcap:g}) on {spec.name}: FlashAttention in Triton takes no cap "
                f"({TRITON_NO_SOFTCAP_SOURCE}), so a run of it uses another kernel")
    if kernel != "fused" or not softcap_attention_kernel(model, spec):
        return ""
    return (f"--attention-kernel fused with {model.name}'s attention-logit soft-capping (attn_logit_softcapping "
            f"{model.attn_logit_softcap:g}) on {spec.name}: cuDNN fused attention takes no cap, so a run of it uses "
            f"another kernel ({SOFTCAP_KERNEL_SOURCE})")


def softcap_kernel_note(model: Any, kernels: dict[str, str]) -> str:
    """What `plan` / `plan explain` print for a soft-capped model timed with the kernel chosen per device (`kernels`:
    device name -> kernel, --attention-kernel left out); '' for a model that does not soft-cap."""
    if not model.attn_logit_softcap or not kernels:
        return ""
    flash = sorted(n for n, k in kernels.items() if k == "flash2")
    rest = sorted(n for n, k in kernels.items() if k != "flash2")
    parts = []
    if flash:
        parts.append(f"timed with flash2 on {', '.join(flash)} ({SOFTCAP_KERNEL_SOURCE})")
    if rest:
        parts.append(f"timed with the default fused kernel on {', '.join(rest)}, as before: no soft-capping kernel "
                     "is modelled there (FlashAttention-2 with softcap: NVIDIA GPUs of Ampere or newer); give "
                     "--attention-kernel unfused to time the scores materialised instead")
    return (f"attention kernel chosen for the soft-capped attention logits (cap {model.attn_logit_softcap:g}, "
            "--attention-kernel left out): " + "; ".join(parts))


def _a_kind(spec: Any) -> str:
    """'a tpu', 'an asic', 'an fpga', 'an npu' (the kind as spoken: 'an eff-pee-gee-a')."""
    return f"{'an' if spec.kind[0] in 'aefino' else 'a'} {spec.kind}"


def attention_kernel_rate(kernel: str, cal: Calibration) -> float:
    """The fixed fraction of the 16-bit peak the attention core's forward runs at (0: the GEMM curve): flash2 and
    triton at the family's published rates, fused at the device's measured one (calibration.with_fused_attention)."""
    if kernel == "flash2":
        return cal.flash2_attention_eff
    if kernel == "fused":
        return cal.fused_attention_eff
    return cal.triton_attention_eff if kernel == "triton" else 0.0


def attention_kernel_bwd_rate(kernel: str, cal: Calibration) -> float:
    """The same for the core's backward: the family's own backward figure (flash2_bwd_attention_eff) where a source
    gives one, else the forward's rate (a family whose source gives one figure for both passes); 0: the GEMM curve."""
    if kernel == "flash2":
        return cal.flash2_bwd_attention_eff or cal.flash2_attention_eff
    if kernel == "triton":
        return cal.triton_bwd_attention_eff or cal.triton_attention_eff
    if kernel == "fused":
        return cal.fused_bwd_attention_eff or cal.fused_attention_eff
    return 0.0


def attention_kernel_note(kernel: str, cal: Calibration) -> str:
    """What a prediction must print when the kernel's rate is a default ('' when it is a cited figure or needs none)."""
    if kernel == "nki_flash":
        return (f"attention kernel nki_flash: no published NKI flash-attention rate for device family {cal.family!r}; "
                "its attention core (the kernel's own tile work, causal blocks skipped) runs on the GEMM curve "
                "instead (a default)")
    if kernel not in ("flash2", "triton") or attention_kernel_rate(kernel, cal) > 0:
        return ""
    what = "FlashAttention-2" if kernel == "flash2" else "FlashAttention-in-Triton"
    return (f"attention kernel {kernel}: no published {what} rate for device family {cal.family!r} "
            f"(calibration {kernel}_attention_eff); its attention core runs on the GEMM curve instead (a default)")


# torchtitan's Llama calls F.scaled_dot_product_attention, whose backend order put cuDNN attention last from
# pytorch/pytorch PR #138522 (2024-10, in 2.5: 'puts the CuDNN backend as the lowest precedence') until PR #162073
# (2025-09, for 2.9: 'Enable cuDNN SDPA by default for SM 9.0, SM 10.0'); SDPA's flash backend (FlashAttention-2)
# runs where cuDNN is not the default: before torch 2.9 on any NVIDIA GPU, on Ampere and Ada (SM 8.x) in every release.
# The runs file's tt-a100-* and tt-h200-* rows ran it (their attention_kernel flash2 cells, the block that says why).
TORCHTITAN_SDPA_SOURCE = ("pytorch/pytorch PR #138522, cuDNN SDPA lowest precedence from torch 2.5; PR #162073, "
                          "cuDNN SDPA the default on SM 9.0 and 10.0 from torch 2.9")


def stack_attention_kernel_note(kernel: str, stack: str, spec: Any, auto: bool) -> str:
    """What a prediction prints when --attention-kernel was left out (`auto`) and the default fused (cuDNN) kernel is
    not what the stack's own attention call runs on `spec`: torchtitan's PyTorch SDPA on an NVIDIA GPU ('' else)."""
    if not auto or kernel != "fused" or stack != "torchtitan" or spec.kind != "gpu" or spec.vendor != "NVIDIA":
        return ""
    cc = spec.cuda_capability()
    when = ("on SM 8.x in every PyTorch release and on any NVIDIA GPU before torch 2.9" if cc is None
            else f"on SM {cc[0]}.{cc[1]} in every PyTorch release" if cc < (9, 0)
            else f"on SM {cc[0]}.{cc[1]} before torch 2.9 (cuDNN from 2.9)")
    return (f"{spec.name}: attention core timed as cuDNN fused attention (--attention-kernel fused, the default) on "
            f"stack 'torchtitan', whose Llama calls PyTorch SDPA; SDPA runs its flash backend (FlashAttention-2) "
            f"{when} ({TORCHTITAN_SDPA_SOURCE}): give --attention-kernel flash2 for such a run")


TORCHTITAN_ASYNC_TP_SOURCE = ("torch/_inductor/fx_passes/micro_pipeline_tp.py (fuse_all_gather_matmul, "
                              "fuse_matmul_reduce_scatter, _find_producer_matmul); "
                              "torch/distributed/_symmetric_memory/__init__.py (_pipelined_all_gather_and_consume, "
                              "_pipelined_produce_and_all2all); PyTorch dev-discuss 'Introducing Async Tensor "
                              "Parallelism in PyTorch' (discuss.pytorch.org/t/209487)")


def stack_tp_overlap_note(tp_comm_overlap: bool, stack: str) -> str:
    """What a prediction prints when --tp-comm-overlap is given on stack torchtitan: the overlap is timed as
    torchtitan's async TP (training._tp_async_tp_layer_s), not Transformer Engine userbuffers ('' else). ttasync
    (2026-12-06) replaced ut5train's 'not modelled' note; the published gain it quotes is the check, not a fit
    (torchtitan docs/performance.md @ eaea6f6 Table 4, Llama 3.1 70B, 256 H100, FSDP 32 TP 8, float8)."""
    if not tp_comm_overlap or stack != "torchtitan":
        return ""
    return ("--tp-comm-overlap on stack 'torchtitan' is timed as its async TP (--parallelism."
            "enable_async_tensor_parallel under torch.compile), not Transformer Engine userbuffers: each fused "
            "matmul runs as tp chunks while the next shard moves by copy engine (no SMs taken); fused are the "
            "forward's all-gathers before QKV / MLP up and reduce-scatters after out-projection / MLP down and the "
            "backward's output-gradient all-gathers; the input-gradient reduce-scatters of QKV / MLP up stay plain "
            "NCCL collectives (a sum of the wq/wk/wv or w1/w3 gradients, not one matmul) "
            f"({TORCHTITAN_ASYNC_TP_SOURCE}). Published gain: 829 -> 876 tokens/s per GPU, +5.7% (torchtitan "
            "docs/performance.md @ eaea6f6, Table 4)")


def _megablox_rate_at(model: TransformerConfig, etp: int | None) -> str:
    """' = 0.558 at 2048-wide experts per device' (megablox_width_eff at moe_ffn / etp); '' without a layout's etp."""
    if not etp:
        return ""
    width = model.ffn / etp  # moe_forward's ffn_e
    return f" = {float(megablox_width_eff(width)):.3f} at {width:,.0f}-wide experts per device"


def expert_gemm_floor_note(model: TransformerConfig, cal: Calibration, device: str = "",
                           grouped_mlp: str = "te", etp: int | None = None) -> str:
    """What a training prediction of an MoE model on `device` prints about grouped_gemm_s's per-expert floor: the
    cited value where the family has one; where it has none, the 0 used in its place, as a 'default used:' note (the
    project's wording for a default standing in for a missing figure) with the setting that replaces it; '' for a
    dense model. With grouped_mlp cutedsl (one grouped kernel per GEMM, fused_grouped_gemm_s) or megablox
    (megablox_gmm_s) no floor applies. With `etp` (one layout's expert tensor parallelism: plan explain), the
    megablox note gives the width rate's value at that layout's expert width (moe_ffn / etp)."""
    if not model.is_moe:
        return ""
    at = device + ": " if device else ""
    if grouped_mlp == "megablox" and cal.stack != "maxtext":
        return (f"{at}routed expert GEMMs timed as MaxText's megablox Pallas kernel (--moe-grouped-mlp megablox) on "
                f"stack {cal.stack!r}, which does not run it: give --stack maxtext, or --moe-grouped-mlp te for "
                "Transformer Engine's per-expert GEMMs")
    if grouped_mlp == "te" and cal.stack == "maxtext":
        return (f"{at}routed expert GEMMs timed as Transformer Engine's per-expert GEMMs (--moe-grouped-mlp te, the "
                "default) on stack 'maxtext', which runs them through its megablox grouped matmul (sparse_matmul and "
                "megablox true, MaxText base.yml's defaults): give --moe-grouped-mlp megablox for what MaxText runs")
    if grouped_mlp == "cutedsl":
        return (f"{device + ': ' if device else ''}routed expert GEMMs: one CuTe DSL MXFP8 grouped kernel each "
                "(--moe-grouped-mlp cutedsl: Transformer Engine's fused grouped MLP), no per-expert floor")
    if grouped_mlp == "megablox":
        return (f"{device + ': ' if device else ''}routed expert GEMMs: one megablox Pallas kernel each "
                f"(--moe-grouped-mlp megablox: MaxText's grouped matmul over {MEGABLOX_TILE_ROWS}-row tiles, a "
                "straddled tile computed once per group, at the GEMM curve x min(1, (expert width / "
                f"{MEGABLOX_WIDTH_REF:.0f})^{MEGABLOX_WIDTH_EXP}){_megablox_rate_at(model, etp)}: the width loss of "
                "MaxText issue #1256, v5p), no per-expert floor")
    if cal.expert_gemm_floor_s > 0:
        return (f"{device + ': ' if device else ''}routed expert GEMMs: each lasts at least "
                f"{cal.expert_gemm_floor_s * 1e6:.1f} µs (calibration expert_gemm_floor_s of {cal.family!r}: the host "
                "work of one cuBLASLt call in Transformer Engine's per-expert grouped-GEMM loop, TransformerEngine PR "
                "#3134's benchmark)")
    return (f"default used: no per-expert floor for the routed expert GEMMs{' on ' + device if device else ''} "
            f"(calibration expert_gemm_floor_s 0 for device family {cal.family!r}: no published figure), so each "
            "expert's GEMM takes its own time on the GEMM curve — set expert_gemm_floor_s in a --calibration "
            f"file's [family.{cal.family}] table (a copy of the bundled one) to replace it")


def fused_attention_s(flops: Arr, n_bytes: Arr, dev: Device, rate: float) -> Arr:
    """One fused attention kernel at `rate` x the 16-bit peak (a kernel rate, not the GEMM curve: FlashAttention-2
    reaches 35% of an H100's peak, Shah et al. 2024, 'FlashAttention-3', abstract and sec. 1), bounded below by its
    Q, K, V, O traffic at memory_eff x bandwidth, plus one launch."""
    t_compute = flops / (dev.peak_flop_per_s * rate)
    t_memory = n_bytes / (dev.bw_byte_per_s * dev.cal.memory_eff)
    return np.maximum(t_compute, t_memory) + dev.cal.kernel_overhead_s


def flash_attention_bytes(model: TransformerConfig, b: Arr, s: Arr, keys: Arr, tp: Arr, dtb: float) -> Arr:
    """HBM bytes of one fused attention kernel on one device: Q read and O written per query head,
    (b, heads/t, s, qk) and (b, heads/t, s, v); K and V read once per KV head, (b, kv_heads/t, keys, qk + v).

    Grouped-query attention shares each K/V head among heads/kv_heads query heads, so K/V traffic is kv_heads/heads
    of multi-head attention's (Ainslie et al. 2023, "GQA", sec. 2.2; FlashAttention-2/3 index the shared K/V head
    of each query head instead of copying it). With t > kv_heads each device keeps one (replicated) KV head, as
    serving's KV cache does. MLA in the naive up-projected form has per-head K and V (kv = heads)."""
    heads_local = model.heads / tp
    kv_local = model.kv_heads_per_device(tp)  # max(kv_heads/t, 1); MLA: heads/t
    dqk, dv = model.qk_head_dim, model.v_head_dim
    return b * (heads_local * s + kv_local * keys) * (dqk + dv) * dtb


UNPAD_FWD_KERNELS = 5.0
"""Launches of the padding copies around one varlen attention call, forward: 3 gathers (Q, K, V) + the output's
zeros and index_put (attention_unpad_s)."""
UNPAD_BWD_KERNELS = 7.0
"""Backward: the output gradient's gather + zeros and scatter_ for each of dQ, dK, dV (attention_unpad_s)."""


def attention_unpad_s(model: TransformerConfig, T: Arr, tp: Arr, dtb: float, dev: Device) -> tuple[Arr, Arr]:
    """(forward, backward) time of the copies a padded-batch wrapper makes around a varlen FlashAttention call, for T
    tokens of one layer on one device (--attention-unpad): llm-foundry's flash_attn_fn gathers Q, K and V to
    (tokens, width) with flash_attn.bert_padding.index_first_axis and scatters the output back with pad_input, on
    every layer, whether or not the batch has padding (mosaicml/llm-foundry llmfoundry/models/layers/attention.py at
    11d3d7066fa22766b8f9ce5f72372a90a9b25a82, flash_attn_fn; the same at 00ef82a3f8fc6cd4b05f1830bda4b22e3d4f6a40).
    Their autograd functions (Dao-AILab/flash-attention flash_attn/bert_padding.py at
    2d64d7a52cc87d491bbe159b68263589780c40ed) move, in full-tensor passes of the q + k + v (qkv) and output (o)
    widths:
      forward   IndexFirstAxis: torch.gather, read + write, x3 tensors        2 qkv
                IndexPutFirstAxis: torch.zeros (write), output[indices] = values (read + write)   3 o
      backward  IndexPutFirstAxis: grad_output[indices] (read + write)         2 o
                IndexFirstAxis x3: torch.zeros (write), scatter_ (read + write)   3 qkv
    Memory-bound copies (memory_ops_s) at the run's 16-bit activation width; the index tensors (one int64 per
    token, expanded over the width without a copy) are not counted."""
    qkv = T * (model.q_width / tp + model.kv_width_per_device(tp))
    out = T * model.o_width / tp
    fwd = memory_ops_s((2.0 * qkv + 3.0 * out) * dtb, dev, UNPAD_FWD_KERNELS)
    bwd = memory_ops_s((3.0 * qkv + 2.0 * out) * dtb, dev, UNPAD_BWD_KERNELS)
    return fwd, bwd


ROPE_FUSIONS = ("fused", "unfused")
"""How the run applies rotary position embeddings to the queries and keys (--rope-fusion): fused, one fused kernel
(Transformer Engine's fused RoPE: t read and the result written once each way, the pass the calibration took in with
every RoPE model); unfused, Megatron-Core's eager _apply_rotary_pos_emb_bshd (rope_unfused_extra_s)."""
ROPE_UNFUSED_FWD_ACCESSES = (2.0, 1.0, 2.0, 2.0, 3.0, 2.0)
"""Element reads + writes per element of t (16-bit) of Megatron-Core's unfused forward,
megatron/core/models/common/embeddings/rope_utils.py _apply_rotary_pos_emb_bshd (NVIDIA/Megatron-LM@
00c51e13247685110aec81e60aa3db91cbdbff7d, code index id 55026696335): t * cos_ (1 + 1), -x2 in _rotate_half (half the
elements, 1/2 + 1/2), its torch.cat (1 + 1), * sin_ (1 + 1), the add (2 + 1), the final torch.cat with the empty t_pass
(1 + 1): 12 accesses, 24 B at 2 B, in 6 kernels."""
ROPE_UNFUSED_FWD_SMALL_KERNELS = 6.0
"""Launches on the [s, 1, 1, d] fp32 freqs in the same forward: cos, x mscale, cast; sin, x mscale, cast (bytes
negligible)."""
ROPE_UNFUSED_BWD_ACCESSES = (2.0, 1.0, 2.0, 2.0, 3.0)
"""Its autograd backward: grad x sin_ (1 + 1), the neg's backward (1/2 + 1/2), the chunk's backward cat (1 + 1), grad x
cos_ (1 + 1), the accumulation of t's two gradients (2 + 1): 10 accesses, 20 B at 2 B, in 5 kernels (the cats'
backwards are views)."""
ROPE_FUSED_ACCESSES = 2.0
"""Transformer Engine's fused RoPE, each way: t read and the result written once (1 kernel)."""


def rope_unfused_extra_s(model: TransformerConfig, T: Arr, tp: Arr, dtb: float, dev: Device) -> tuple[Arr, Arr]:
    """(forward, backward) time one layer's Q and K RoPE calls take beyond the fused kernel's, for T tokens on one
    device, when Megatron-Core applies RoPE unfused (--rope-fusion unfused): apply_rotary_pos_emb leaves Transformer
    Engine's fused RoPE whenever mscale != 1.0 ('mscale=... is not supported by TE's fused RoPE. Using unfused
    implementation.', rope_utils.py at 00c51e13; NVIDIA/Megatron-LM PR #2038, merged 2025-10/11, 'disable rope fusion
    when mscale is used'), and a YaRN model's concentration factor is 0.1 ln(factor) + 1 when yarn_mscale or
    yarn_mscale_all_dim is unset (yarn_rotary_pos_embedding.py at 00caa53af30912914981c86f39db123961678bbd): GPT-OSS,
    factor 32, 1.347. Attention calls it once for the queries and once for the keys of every layer
    (megatron/core/transformer/attention.py). Per element of t the unfused pass moves ROPE_UNFUSED_FWD_ACCESSES x dtb
    forward in 6 + 6 kernels and ROPE_UNFUSED_BWD_ACCESSES x dtb backward in 5; the fused kernel 2 x dtb in 1 each
    way; the difference is charged, memory-bound (memory_ops_s). Elements: [s, b, heads / t, rotary dim] queries and
    [s, b, kv heads per device, rotary dim] keys (rotary dim = the query/key head dim; MLA: qk_rope_head_dim, one
    shared rotary key).

    Partial rotary (TransformerConfig.rotary_dim r < head width d: GPT-NeoX, Phi, GPT-J, StableLM): the same function
    splits t into t[..., :r] and t_pass = t[..., r:] and runs every kernel but the last on the r-wide part; the last,
    torch.cat((t, t_pass)), reads and writes the full width, as the fused kernel (which copies the pass-through too)
    does, so it adds nothing beyond it: forward (sum of the first five accesses) x r-wide elements. Backward: its five
    kernels on the r-wide part, and the two slices' gradients assembled into the d-wide gradient of t (one kernel,
    reading r + (d - r) and writing d: 2 accesses of the full width, the fused backward's own), so the charge is the
    five kernels' accesses x r-wide elements, in 5 + 1 - 1 kernels."""
    if model.mla is not None:
        rot = float(model.mla.qk_rope_head_dim)
        heads_per_device = model.heads / tp + 1.0
    else:
        rot = float(model.rotary_dim or model.qk_head_dim)
        heads_per_device = model.heads / tp + model.kv_heads_per_device(tp)
    elements = T * heads_per_device * rot
    calls = 2.0  # queries and keys
    fwd_k = len(ROPE_UNFUSED_FWD_ACCESSES) + ROPE_UNFUSED_FWD_SMALL_KERNELS - 1.0
    if model.mla is None and model.rotary_dim is not None:  # partial rotary: see above
        fwd_b = sum(ROPE_UNFUSED_FWD_ACCESSES[:-1]) * dtb
        bwd_b = sum(ROPE_UNFUSED_BWD_ACCESSES) * dtb
        bwd_k = float(len(ROPE_UNFUSED_BWD_ACCESSES))
    else:
        fwd_b = (sum(ROPE_UNFUSED_FWD_ACCESSES) - ROPE_FUSED_ACCESSES) * dtb
        bwd_b = (sum(ROPE_UNFUSED_BWD_ACCESSES) - ROPE_FUSED_ACCESSES) * dtb
        bwd_k = len(ROPE_UNFUSED_BWD_ACCESSES) - 1.0
    return (memory_ops_s(fwd_b * elements, dev, calls * fwd_k), memory_ops_s(bwd_b * elements, dev, calls * bwd_k))


def causal_work_keys(model: TransformerConfig, seq_len: Arr, keys: Arr) -> Arr:
    """Keys a fused causal kernel computes per query, on average over the sequence's positions: a decoder's query at
    position i attends min(i, keys) keys (keys = seq_len, or the window on a sliding-window layer), so the mean over
    i = 1..S is (keys (keys + 1) / 2 + (S - keys) keys) / S; (S + 1) / 2 on a full-attention layer. An encoder
    (TransformerConfig.encoder_only: no causal mask) computes all `keys`.

    Fused kernels skip the blocks above the diagonal: Dao 2023, 'FlashAttention-2', sec. 3.1.1 ('for any blocks where
    all the column indices are more than the row indices (approximately half of the blocks for large sequence length),
    we can skip the computation of that block'), and the FlashAttention repository's benchmark counts a causal
    kernel's FLOPs as half of the non-causal count (Dao-AILab/flash-attention benchmarks/benchmark_flash_attention.py
    at c082294e0f6c01d46318694a6f3e0274225a9683, flops(): '// (2 if causal else 1)'), the count its published rates
    (FlashAttention-2's, FlashAttention-3's) are quoted in. Context parallel: Megatron-Core's load-balanced split gives
    every rank the same share of that work. The unfused path computes every score and masks it (no skip)."""
    if model.encoder_only:
        return keys
    # (S - keys) keys + keys (keys + 1) / 2 over S positions; keys = S gives (S + 1) / 2
    return (keys * (keys + 1.0) / 2.0 + (seq_len - keys) * keys) / seq_len


NKI_FLASH_QK_TILE_KEYS = 512.0
"""Keys per tile of the NKI flash kernel's Q K^T products in the forward and of all five products in the backward:
B_F_SIZE = 512 in flash_fwd's _flash_attention_core (the 128-query x 512-key matmul, masked by
`multiplication_required_selection`: key tile start <= query tile start) and k_seq_tile_size = 512 in flash_attn_bwd /
_flash_attn_bwd_core (seqlen_k >= 512; `mask = q tile start >= k tile start` on the QK^T, dV, dP, dK and dQ matmuls)
(aws-neuron/nki-samples src/reference/attention.py at a33dfbc883a80f3875ec534a6bb5e7d3b159543e)."""
NKI_FLASH_PV_TILE_KEYS = 2048.0
"""Keys per tile of the forward's P V product: the large K/V tile, FlashConfig.seq_tile_size = 2048 by default, whose
whole P V matmul runs under `forward_mask` (large tile start <= query tile start) (same file). NeuronX Distributed
passes no seq_tile_size (src/neuronx_distributed/kernels/flash_attn.py at e83494557cb4c5b7e185ccf6c9240bfed9a1993d:
FlashConfig(**config_kwargs) with lse_dtype / should_transpose_v only, or config None) and refuses a sequence that is
not a multiple of 2K ('Only support sequence as multiples of 2K')."""
NKI_FLASH_SEQ_MULTIPLE = 2048
"""Sequence lengths NeuronX Distributed's nki_flash_attn_func accepts: multiples of 2048 only ('if seqlen % 2048 != 0:
raise NotImplementedError("Only support sequence as multiples of 2K")', aws-neuron/neuronx-distributed
src/neuronx_distributed/kernels/flash_attn.py at 3aa65c661c45f133a99052746ed70a0121d0e695); nki_flash_work_keys's
(S + tile) / 2 holds for those lengths."""
NKI_FLASH_QUERY_TILE = 128.0
"""Queries per tile (B_P_SIZE = 128, the partition dimension) in both passes (same file)."""
NKI_PE_TRANSPOSE_COLS = 128.0
"""Columns of the NeuronCore Tensor Engine's systolic array (128 x 128 processing elements: nki.isa.nc_matmul's
documentation, 'Tiling mode', https://awsdocs-neuron.readthedocs-hosted.com/en/latest/nki/api/generated/
nki.isa.nc_matmul.html). The NKI flash kernel moves P, dS, dO and Q between the partition and free axes with
nisa.nc_transpose, which on the Tensor Engine 'is done by performing a matrix multiplication between data as the
stationary tensor and an identity matrix as the moving tensor' (nki.isa.nc_transpose's documentation, Neuron 2.26.1,
https://awsdocs-neuron.readthedocs-hosted.com/en/v2.26.1/nki/api/generated/nki.isa.nc_transpose.html): a [p, 128]
tile's transpose streams a p x p identity through the array, one matmul of 128 x p x p on its PEs, p moving columns;
the 128 x 128 tiles of P and dS take one 128-column pass each (nki_flash_work)."""


def nki_flash_work_keys(model: TransformerConfig, seq_len: Arr, tile_keys: float) -> Arr:
    """Keys the NKI flash kernel computes per query, on average, for products tiled `tile_keys` keys wide: a
    128-query tile starting at q0 runs every key tile whose start is <= q0, i.e. tile_keys x (floor(q0 / tile) + 1)
    keys. Over the S / 128 query tiles of a causal sequence whose length is a multiple of the tile (NxD's
    nki_flash_attn_func requires multiples of 2048) the mean is tile x ((S / tile - 1) / 2 + 1) = (S + tile) / 2:
    (S + 512) / 2 for Q K^T and the backward, (S + 2048) / 2 for the forward's P V, against FlashAttention-2's
    (S + 1) / 2 (causal_work_keys: per-row skipping); at most S. An encoder (no causal mask) computes all S."""
    if model.encoder_only:
        return np.asarray(seq_len, dtype=float)
    return np.minimum(seq_len, (np.asarray(seq_len, dtype=float) + tile_keys) / 2.0)


def nki_flash_work(model: TransformerConfig, seq_len: Arr) -> tuple[Arr, Arr]:
    """(forward, backward) per-query work of the NKI flash kernel's Tensor Engine in units of 2 x head-width FLOPs
    per key, summed over its products: forward Q K^T (qk wide, 512-key tiles) + P V (v wide, 2048-key tiles);
    backward Q K^T recomputed, dP = dO V^T (v), dV = P^T dO (v), dK = dS^T Q (qk), dQ = dS K (qk), all on 512-key
    tiles (the steps of flash_attn_bwd's docstring and _flash_attn_bwd_core, nki-samples at a33dfbc); plus the
    transposes the kernel runs on the same array (NKI_PE_TRANSPOSE_COLS; aws-neuron/nki-samples
    src/reference/attention.py at a33dfbc883a80f3875ec534a6bb5e7d3b159543e): the forward's P^T, sixteen 128 x 128
    nc_transpose of each [128, 2048] P tile under forward_mask (2 x 128 FLOPs a key over the P V keys); the
    backward's, under the pair's mask, for each 128-query x 512-key pair four 128 x 128 of dS (2 x 128 a key) and one
    of dO and of Q ([v, 128] and [qk, 128]: v and qk moving columns, 2 x 128 x (qk + v) / 512 a key). Not counted:
    the K^T prefetch (four a 512-key tile, once per key tile, not per pair) and should_transpose_v's V^T (once per
    2048-key tile); the Vector / Scalar Engine work (exp, max, the PSUM copies), which runs beside the array."""
    dqk, dv = model.qk_head_dim, model.v_head_dim
    k_qk = nki_flash_work_keys(model, seq_len, NKI_FLASH_QK_TILE_KEYS)
    k_pv = nki_flash_work_keys(model, seq_len, NKI_FLASH_PV_TILE_KEYS)
    cols = NKI_PE_TRANSPOSE_COLS
    fwd_transposes = cols * k_pv  # P^T: 2 x 128 FLOPs a key, in units of 2 FLOPs
    bwd_transposes = (cols + cols * (dqk + dv) / NKI_FLASH_QK_TILE_KEYS) * k_qk  # dS^T, and dO^T + Q^T per pair
    return dqk * k_qk + dv * k_pv + fwd_transposes, (3.0 * dqk + 2.0 * dv) * k_qk + bwd_transposes


FA2_FUSED_FAMILIES = ("nvidia-ampere", "nvidia-hopper", "nvidia-blackwell", "amd-instinct-cdna3", "amd-instinct-cdna4")
"""Families whose 'fused' attention kernel (cuDNN through Transformer Engine) runs the FlashAttention-2 algorithm:
cuDNN's scaled dot product attention 'using the FlashAttention-2 algorithm as described in the paper', SM80 (Ampere)
or newer (NVIDIA cuDNN frontend documentation, Operations > Attention, Scaled Dot Product Attention,
https://docs.nvidia.com/deeplearning/cudnn/frontend/latest/operations/Attention.html). The other families' fused
kernels (TPU splash attention, Gaudi FusedSDPA, Trainium's generic default) keep the count of every score and a 2x
backward, as before: no source read here says how TPU's or Gaudi's treat a causal mask or what their backward
recomputes. ROCm's CK
kernels do skip the key tiles outside a causal mask and a sliding window, forward and backward (ROCm/composable_kernel
include/ck_tile/ops/fmha/block/block_masking.hpp at 5cc5797eec2f63278a8a1bda4963218c0312a12f, GetTileRangeAlongX /
GetTileRangeAlongY; tests/test_amd_ck_attention.py), and their backward recomputes S = Q K^T from the saved LSE (the
dq_dk_dv pipelines' five block GEMMs): amd-instinct-cdna3 is listed (its bf16 rule re-run with it, calibration.toml),
and amd-instinct-cdna4 (cdna4, 2026-12-04: its MLPerf rows run TE's CK backend, NVTE_FUSED_ATTN_CK=1 in
mlcommons/training_results_v5.1 AMD config_MI355X_1x8x1_8b.sh; the same ck_tile fmha masking code for gfx950).
aws-trainium1 is not
here: its 'fused' default stays that generic shape, and a Neuron run names its kernel, per run and release, in the
attention_kernel cell: nki_flash where NeuronX Distributed's NKI flash kernel ran (its own tile shape, not FA2's per-row
skip: nki_flash_work_keys), unfused where CoreAttention ran (NxD before Neuron 2.19, or with
--use_flash_attention 0)."""


def runs_fa2_algorithm(kernel: str, family: str) -> bool:
    """Whether the attention core runs the FlashAttention-2 algorithm (Dao 2023): the flash2 kernel on any family,
    the fused kernel on a family in FA2_FUSED_FAMILIES, or FlashAttention in Triton (triton), whose kernels skip the
    blocks above a causal mask's diagonal (forward: keys up to (start_m + 1) x BLOCK_M; backward: queries from the
    key block's start) and recompute S = Q K^T in the backward (Dao-AILab/flash-attention
    flash_attn/flash_attn_triton.py, _fwd_kernel and _bwd_kernel_one_col_block, IS_CAUSAL; the FA2 paper's sec. 4.1
    benchmark charges every FlashAttention variant the same 2.5x backward). Unfused: never."""
    return kernel in ("flash2", "triton") or (kernel == "fused" and family in FA2_FUSED_FAMILIES)


def attention_bwd_ratio(kernel: str, family: str, model: TransformerConfig | None = None,
                        seq_len: Arr | None = None) -> Arr:
    """Backward / forward time of the attention core. The FlashAttention-2 algorithm (runs_fa2_algorithm) keeps no
    scores, so its backward recomputes S = Q K^T besides dV = P^T dO, dP = dO V^T, dQ = dS K and dK = dS^T Q: 5
    products to the forward's 2 (Dao 2023, 'FlashAttention-2', sec. 3.1.2 and Algorithm 2;
    Dao-AILab/flash-attention benchmarks/benchmark_flash_attention.py at c082294e0f6c01d46318694a6f3e0274225a9683,
    flops(): the backward is '2.5 * f'), 2.5x at the same rate. The NKI flash kernel (nki_flash) recomputes S too,
    but tiles its passes differently and transposes on its Tensor Engine (nki_flash_work): its ratio depends on the
    sequence, 6.5 (S + 512) / (3 S + 4608) at head width 128 (1.94x at 8K, 1.77x at 4K; 5 (S + 512) / (2 S + 2560),
    2.30x / 2.14x, before s33 rtrn counted the transposes, 2026-12-06), and needs `model` and `seq_len`. Otherwise
    2x, as every GEMM (unfused: 4 products)."""
    if kernel == "nki_flash":
        if model is None or seq_len is None:
            raise ValueError("attention_bwd_ratio('nki_flash', ...) needs the model and the sequence length")
        fwd, bwd = nki_flash_work(model, seq_len)
        return bwd / fwd
    return 2.5 if runs_fa2_algorithm(kernel, family) else 2.0


def attention_bwd_time_ratio(kernel: str, cal: Calibration, model: TransformerConfig | None = None,
                             seq_len: Arr | None = None) -> Arr:
    """Backward / forward TIME of the attention core: the work ratio (attention_bwd_ratio) times forward rate /
    backward rate, where the kernel runs at published per-pass rates. FlashAttention-2 on an A100 reaches 'up to 73%
    of the theoretical max throughput in the forward pass, and up to 63% ... in the backward pass' (Dao 2023, arXiv
    2307.08691, sec. 1), so its backward takes 2.5 x 0.73 / 0.63 = 2.90x the forward's time, not 2.5x. Exact when the
    core is compute bound (it is at training shapes: fused_attention_s); the forward's launch and memory floor are
    scaled with it, as the 2.5x did. A kernel on the GEMM curve (rate 0) keeps the work ratio."""
    work = attention_bwd_ratio(kernel, cal.family, model, seq_len)
    fwd, bwd = attention_kernel_rate(kernel, cal), attention_kernel_bwd_rate(kernel, cal)
    return work * fwd / bwd if fwd > 0 and bwd > 0 else work


# Load-balanced ring attention against its own kernel: zhuzilin/ring-flash-attention README.md at
# 01c8baf5eafc95c1a255690bcdb5359b600d765a, 'The current performance' table, batch api, 8xH800, Llama-3.1-8B's
# attention, 8K tokens per GPU: 'theoretic flash_attn' (the kernel on one GPU's 8K, x 8 = the ring's per-GPU work)
# 591.5 / 8 iter/s forward only and 154.7 / 8 forward + backward; zigzag_ring 63.0 and 17.4 iter/s (85.2% and 90.2%).
RING_BENCH_CP = 8
RING_BENCH_THEORETIC_FWD_IT_S = 591.5 / 8
RING_BENCH_THEORETIC_FWD_BWD_IT_S = 154.7 / 8
RING_BENCH_ZIGZAG_FWD_IT_S = 63.0
RING_BENCH_ZIGZAG_FWD_BWD_IT_S = 17.4
RING_ATTENTION_SOURCE = ("zhuzilin/ring-flash-attention@01c8baf5 README.md: zigzag (load-balanced) ring attention at "
                         "cp 8 runs at 85.2% (forward) / 90.2% (forward + backward) of its kernel's own rate, 8xH800")


def _ring_step_share(theoretic_s: float, zigzag_s: float) -> float:
    """The share of the kernel's rate the ring's cp - 1 off-diagonal steps run at, from one pass's measured time
    ratio at cp = RING_BENCH_CP: step 0 (the local causal block) is the kernel itself, 1/cp of the work; the others
    (non-causal kernels on half blocks, each with its fp32 out / logsumexp merge) are the rest."""
    cp = RING_BENCH_CP
    return (1.0 - 1.0 / cp) / (zigzag_s / theoretic_s - 1.0 / cp)


def ring_attention_step_shares() -> tuple[float, float]:
    """(forward, backward) share of the kernel's rate the load-balanced ring's off-diagonal steps run at
    (RING_ATTENTION_SOURCE): 0.834 and 0.907. The backward's times are the forward + backward rows less the
    forward-only rows (iter/s -> s per iteration)."""
    fwd_th, fwd_zz = 1.0 / RING_BENCH_THEORETIC_FWD_IT_S, 1.0 / RING_BENCH_ZIGZAG_FWD_IT_S
    bwd_th = 1.0 / RING_BENCH_THEORETIC_FWD_BWD_IT_S - fwd_th
    bwd_zz = 1.0 / RING_BENCH_ZIGZAG_FWD_BWD_IT_S - fwd_zz
    return _ring_step_share(fwd_th, fwd_zz), _ring_step_share(bwd_th, bwd_zz)


def ring_attention_time_factors(cp: Arr, kernel: str) -> tuple[Arr, Arr]:
    """(forward, backward) time of the attention core under context parallel cp, over the kernel's own time for the
    same per-rank work: 1 at cp = 1; else 1/cp + (cp - 1)/cp / e for the step share e (ring_attention_step_shares).
    A load-balanced ring (ring-flash-attention's zigzag; PyTorch's round-robin _templated_ring_attention, which
    torchtitan's context parallel runs over SDPA's FlashAttention-2 backend) gives each rank two chunks of s / (2 cp)
    tokens: its step 0 is one causal kernel over its own chunks, and each of the cp - 1 later steps runs a non-causal
    kernel with half the queries or half the keys, then merges its output and logsumexp into the running result in
    fp32 with unfused tensor ops. At cp = 8 the factors are the measured 1.174 (forward) and 1.089 (backward)
    (RING_ATTENTION_SOURCE).

    Only the FlashAttention-2 kernel (`kernel` flash2) is charged, the kernel the source measured; other kernels'
    rings keep factor 1: Transformer Engine's p2p context parallel (the fused cuDNN kernel, the Megatron runs'
    default) merges with its own correction kernels, and charging it the same factors moved every cp 2 / cp 8
    Megatron row of the runs file slower, the Hopper ones already too slow (held-out median 5.24% -> 5.32%, rcp
    2026-12-06)."""
    cp = np.asarray(cp, dtype=float)
    if kernel != "flash2":
        return np.ones_like(cp), np.ones_like(cp)
    e_f, e_b = ring_attention_step_shares()
    steps = (cp - 1.0) / cp
    return 1.0 / cp + steps / e_f, 1.0 / cp + steps / e_b


def attention_core_s(model: TransformerConfig, b: Arr, s: Arr, keys: Arr, tp: Arr, flash: bool, dtb: float,
                     dev: Device, kernel: str = "fused", work_keys: Arr | None = None) -> tuple[Arr, Arr]:
    """(time, flops) of scores, softmax and attention x V: b x heads/t heads of s queries over `keys` keys,
    query/key width qk and value width v (both the head width unless MLA). `kernel` (ATTENTION_KERNELS) picks the
    fused kernel's rate when flash is on."""
    heads_local = model.heads / tp
    dqk, dv = model.qk_head_dim, model.v_head_dim
    if flash:  # fused kernel: reads Q, K, V once and writes O (Dao et al. 2022, sec. 3.1)
        f_core = 2.0 * b * heads_local * s * keys * (dqk + dv)
        skip = work_keys is not None and runs_fa2_algorithm(kernel, dev.cal.family)  # causal blocks skipped
        f_work = 2.0 * b * heads_local * s * work_keys * (dqk + dv) if skip else f_core
        if kernel == "nki_flash":  # its own tiles ((S + 512) / 2 keys for Q K^T, (S + 2048) / 2 for P V) + P^T
            f_work = 2.0 * b * heads_local * s * nki_flash_work(model, keys)[0]
        core_bytes = flash_attention_bytes(model, b, s, keys, tp, dtb)
        rate = attention_kernel_rate(kernel, dev.cal)
        if rate > 0:  # the run's attention kernel at its published share of the peak
            return fused_attention_s(f_work, core_bytes, dev, rate), f_core
        return roofline_s(f_work, core_bytes, dev, 1.0), f_core
    # scores GEMM, softmax (+ dropout) through memory, AV GEMM (Megatron-LM 2021)
    # Scores and AV are batched GEMMs over the b x a/t heads (Megatron-LM's baddbmm/bmm).
    t_sc, f_sc = bmm_s(s, keys, dqk, dtb, dev, b * heads_local)
    sm_bytes = 2.0 * b * heads_local * s * keys * dtb * 2  # softmax + dropout, read + write each
    t_sm = memory_ops_s(sm_bytes, dev, 2.0)
    t_av, f_av = bmm_s(s, dv, keys, dtb, dev, b * heads_local)
    return t_sc + t_sm + t_av, f_sc + f_av


def layer_forward(model: TransformerConfig, b: Arr, s: Arr, s_kv: Arr, tp: Arr, sp: Arr, flash: bool,
                  ep: Arr, dtb: float, dev: Device, etp: Arr | None = None, kernel: str = "fused",
                  grouped_mlp: str = "te") -> LayerTimes:
    """One layer's forward pass for micro-batch b, local sequence s (queries) over s_kv keys.

    Shapes per device (tensor parallel t splits heads and the MLP width, Shoeybi et al. 2019 sec. 3):
      QKV   [b*s, h] x [h, (q + k + v)/t] (see qkv_gemms_s for MLA);  out [b*s, o/t] x [o/t, h]
      scores (b*a/t) x [s, qk] x [qk, keys];  AV (b*a/t) x [s, keys] x [keys, v]
      MLP   [b*s, h] x [h, f/t] (x2 gates for SwiGLU), [b*s, f/t] x [f/t, h]
    keys = s_kv, or min(s_kv, window) on sliding-window layers (Beltagy et al. 2020 sec. 3.1) under a fused kernel
    (the unfused core scores all s_kv keys and masks the window); the attention terms returned are the average over
    the model's windowed and full layers. An MoE layer's expert block is
    moe_forward's, on the etp x ep expert grid (etp None: tp), its routed GEMMs on the grouped_mlp path.
    """
    h = model.hidden
    T = b * s  # tokens of the micro-batch on this device (context parallel splits s)
    t_qkv, f_qkv = qkv_gemms_s(model, T, tp, dtb, dev)
    t_out, f_out = gemm_s(T, h, model.o_width / tp, dtb, dev)
    t_core, f_core = attention_core_s(model, b, s, s_kv, tp, flash, dtb, dev, kernel,
                                      work_keys=causal_work_keys(model, s_kv, s_kv))
    frac_win = model.windowed_layers / model.layers
    if frac_win > 0:
        # The unfused core has no window: it computes the whole [s, s_kv] score matrix and masks it (Transformer
        # Engine's get_attention_backend: UnfusedDotProductAttention 'converts window_size to an 'arbitrary' mask',
        # transformer_engine/pytorch/attention/dot_product_attention/utils.py, code index id 4649700217; Megatron-LM's
        # and HF's eager cores likewise baddbmm every score, then mask), so only a fused kernel attends the window.
        win_keys = model.keys_attended(s_kv, True) if flash else s_kv
        t_win, f_win = attention_core_s(model, b, s, win_keys, tp, flash, dtb, dev, kernel,
                                        work_keys=causal_work_keys(model, s_kv, win_keys))
        t_core = (1 - frac_win) * t_core + frac_win * t_win
        f_core = (1 - frac_win) * f_core + frac_win * f_win
    mats = 3 if model.mlp == "swiglu" else 2
    dense_ffn = model.dense_ffn or model.ffn
    t_up, f_up = gemm_s(T, dense_ffn / tp, h, dtb, dev, mats - 1)
    t_down, f_down = gemm_s(T, h, dense_ffn / tp, dtb, dev)
    # Elementwise (memory-bound): the norms + 2 residual adds on [T, h] (split by t under sequence
    # parallelism, Korthikanti et al. 2022 sec. 4.2.2), the activation on [T, f/t].
    # A parallel block (PaLM sec. 2) has one residual add of three tensors (read 3, write 1) instead of two.
    rep = np.where(sp, tp, 1.0)
    norms, adds_bytes = model.norms_per_layer, (4 if model.parallel_block else 6)
    ew_bytes = (norm_elems(model, T, norms) + adds_bytes * T * h) / rep * dtb + (mats * T * dense_ffn / tp) * dtb
    t_ew = memory_ops_s(ew_bytes, dev, norms + (1.0 if model.parallel_block else 2.0) + 1.0)
    dense_mlp_s = t_up + t_down
    t_act_dense = memory_ops_s(mats * T * dense_ffn / tp * dtb, dev, 1.0)  # the share of t_ew an MoE layer swaps
    moe_s = np.zeros_like(T, dtype=float)
    f_moe_mlp = np.zeros_like(T, dtype=float)
    if model.is_moe:
        moe_s, f_moe_mlp = moe_forward(model, T, tp, tp if etp is None else etp, ep, mats, dtb, dev, grouped_mlp)
    base = t_qkv + t_out + t_ew
    f_base = f_qkv + f_out + f_core
    return LayerTimes(dense_s=base + dense_mlp_s, attn_core_s=t_core, moe_mlp_s=moe_s, dense_mlp_s=dense_mlp_s,
                      dense_act_s=t_act_dense,
                      flops_dense=f_base + f_up + f_down, flops_moe=f_base + f_moe_mlp, flops_attn_core=f_core,
                      tp_gemms_s=(t_qkv, t_out, t_up, t_down))


def norm_elems(model: TransformerConfig, T: Arr, norms: float) -> Arr:
    """Elements `norms` normalisation layers read and write for T tokens (each reads and writes [T, h]; before any
    sequence-parallel split): the norms' share of layer_forward's elementwise bytes, and what Megatron-Core's
    --recompute-modules layernorm redoes (its two pre-norms)."""
    return norms * 2 * T * model.hidden


def moe_act_elems(model: TransformerConfig, T: Arr, tp: Arr, mats: int, experts_per_token: float) -> Arr:
    """Elements the expert activation (SiLU(gate) x up, or GeLU) reads and writes for T tokens on one device, over
    `experts_per_token` experts each (top_k routed, or the shared experts): mats x T x that x ffn / tp (moe_forward;
    Megatron-Core's --recompute-modules moe_act redoes the routed ones)."""
    return mats * T * experts_per_token * model.ffn / tp


def shared_experts_gemms(model: TransformerConfig, T: Arr, tp: Arr, mats: int, dtb: float,
                         dev: Device) -> tuple[tuple[Arr, Arr], tuple[Arr, Arr]]:
    """((time, flops) of the up (+ gate) GEMMs, (time, flops) of the down GEMM) of an MoE layer's shared experts: a
    dense MLP of shared_experts x ffn on every token, split by tp (moe_forward; Megatron-Core's --recompute-modules
    shared_experts redoes it)."""
    h, width = model.hidden, model.shared_experts * model.ffn / tp
    return gemm_s(T, width, h, dtb, dev, mats - 1), gemm_s(T, h, width, dtb, dev)


def moe_permute_s(model: TransformerConfig, T: Arr, dtb: float, dev: Device) -> Arr:
    """Forward time of an MoE layer's token permutation before the experts and un-permutation (the weighted sum of
    the top_k outputs) after, for T tokens on one device: two memory-bound copies, read T h + write T k h, then
    read T k h + write T h (Megatron-Core moe_utils permute/unpermute). Transformer Engine's fused kernels
    (moe_permute_fusion) move the same bytes in fewer launches: NVIDIA/TransformerEngine PR #1921 measures fusing
    them with the FP8 padding at +0.4% MFU end to end in a ~600B FP8 Megatron run, so the copies are a small share."""
    return memory_ops_s(2.0 * T * model.hidden * (model.top_k + 1) * dtb, dev, 2.0)


def moe_sort_chunks_s(model: TransformerConfig, T: Arr, tp: Arr, etp: Arr, ep: Arr, dtb: float, dev: Device) -> Arr:
    """Forward time of the two local-expert sorts of Megatron-Core's all-to-all dispatcher, for T tokens entering one
    MoE layer on one device: with more than one local expert, the tokens the all-to-all brings (rank-major) are sorted
    into expert-major order before the experts ('Permutation 2: Sort tokens by local expert', dispatch_postprocess:
    sort_chunks_by_idxs) and back after them ('Unpermutation 2', combine_preprocess), each a copy that reads and
    writes every routed row, T etp/tp x top_k rows of h (moe_forward's balanced count), fused or not
    (moe_permute_fusion picks the kernel, not the bytes): NVIDIA/Megatron-LM megatron/core/transformer/moe/
    token_dispatcher.py at 0014f13713bfa38a8bab4ae11edd6917d35165ce, MoEAlltoAllTokenDispatcher. One local expert:
    no sort (0). The backward of each sort is the inverse sort, the same bytes (charged once, not 2x: training).
    Fused, TE's _moe_chunk_sort (transformer_engine/pytorch/permutation.py, moe_sort_chunks_by_index) is one Triton
    copy each way, its backward one more with the inverse map; unfused, split + cat copies once, the backward of the
    cat is views and of the split one cat; the capacity (drop-and-pad) path copies with transpose().contiguous().
    Only this dispatcher sorts: the allgather dispatcher permutes its gathered tokens once, and the flex dispatcher
    (DeepEP / HybridEP, the rows' moe_dispatcher cell) receives the tokens from the fused dispatch and groups them by
    local expert with one permute (get_permuted_hidden_states_by_experts), no sort_chunks_by_idxs."""
    rows = T * etp / tp * model.top_k
    t = memory_ops_s(2.0 * 2.0 * rows * model.hidden * dtb, dev, 2.0)
    return np.where(model.experts / ep > 1, t, 0.0)


def moe_forward(model: TransformerConfig, T: Arr, tp: Arr, etp: Arr, ep: Arr, mats: int, dtb: float,
                dev: Device, grouped_mlp: str = "te") -> tuple[Arr, Arr]:
    """(time, flops) of one MoE layer's expert block forward on one device: router, permutation, the routed experts'
    grouped GEMMs and activation, un-permutation, shared experts. T tokens per device enter the layer.

    Expert grid (Megatron-Core's 'MoE Parallel Folding', arXiv 2504.14960): the tp ranks of
    the attention (sequence parallel: T/tp tokens each) regroup as etp x ep expert ranks; the etp ranks of one
    expert all-gather their tokens (T etp/tp each) and split the expert width (ffn/etp). Balanced routing
    (Lepikhin et al. 2021; Megatron-Bridge's perf runs force-balance): each of the E/ep local experts gets
    T etp/tp x ep x top_k / E tokens, so the per-device FLOPs T top_k x (2 mats h ffn)/tp do not depend on etp but
    the GEMM shapes do (etp 1: tp x more tokens per expert at the full width). etp = tp is the classic layout.
    The expert activation (SiLU(gate) x up, or GeLU) runs over the routed tokens, T top_k etp/tp rows of ffn/etp,
    reading mats-1 and writing 1 element each (as the dense MLP's in layer_forward; Megatron-Core GroupedMLP
    applies it once over all local experts): mats T top_k ffn/tp elements, not the dense MLP's mats T ffn_dense/tp.
    grouped_mlp (MOE_GROUPED_MLPS): te, the per-expert cuBLASLt loop (grouped_gemm_s); cutedsl, one grouped kernel
    per GEMM (fused_grouped_gemm_s); megablox, MaxText's Pallas grouped matmul (megablox_gmm_s).
    """
    h, k = model.hidden, model.top_k
    tok_e = T * etp / tp * ep * k / model.experts  # tokens per local expert (m of its GEMMs)
    n_local = model.experts / ep
    ffn_e = model.ffn / etp
    grouped = {"cutedsl": fused_grouped_gemm_s, "megablox": megablox_gmm_s}.get(grouped_mlp, grouped_gemm_s)
    t_e_up, f_e_up = grouped(tok_e, ffn_e, h, dtb, dev, n_local)
    # gate and up: one grouped GEMM each here, where Megatron-Core runs one fc1 of width 2 x ffn (experts.py,
    # GroupedMLP / TEGroupedMLP); kept as layer_forward's dense MLP (the fitted rows' convention): a known gap, a
    # strict xfail in tests/test_moe_small_expert_search.py (moegemm, 2026-12-03)
    t_e_up, f_e_up = (mats - 1) * t_e_up, (mats - 1) * f_e_up
    t_e_dn, f_e_dn = grouped(tok_e, h, ffn_e, dtb, dev, n_local)
    if grouped_mlp == "megablox":  # its rate falls with the expert width (megablox_width_eff); the whole kernel time
        # is scaled, compute-bound at every runs-file row's shapes (training's hundreds of rows per expert)
        t_e_up, t_e_dn = t_e_up / megablox_width_eff(ffn_e), t_e_dn / megablox_width_eff(ffn_e)
    # The router is a plain 16-bit GEMM even in FP8 runs: Megatron-Core Router.gating calls
    # torch.nn.functional.linear(input, self.weight) (megatron/core/transformer/moe/router.py), not a Transformer
    # Engine FP8 Linear. Megatron-Core's moe_router_dtype fp32 changes its cost: router_fp32_extra_s (added by the
    # training model, Setup.moe_router_dtype).
    t_r, f_r = gemm16_s(T, model.experts, h, dtb, dev)
    t_perm = moe_permute_s(model, T, dtb, dev)
    act_elems = moe_act_elems(model, T, tp, mats, k) + moe_act_elems(model, T, tp, mats, model.shared_experts)
    t_act = memory_ops_s(act_elems * dtb, dev, 1.0 + (1.0 if model.shared_experts else 0.0))
    moe_s = t_e_up + t_e_dn + t_r + t_perm + t_act
    f_moe = f_e_up + f_e_dn + f_r
    if model.shared_experts:  # a dense MLP of shared_experts x ffn on every token, split by tp
        (t_s_up, f_s_up), (t_s_dn, f_s_dn) = shared_experts_gemms(model, T, tp, mats, dtb, dev)
        moe_s = moe_s + t_s_up + t_s_dn
        f_moe = f_moe + f_s_up + f_s_dn
    return moe_s, f_moe


def moe_fc2_bias_s(model: TransformerConfig, T: Arr, tp: Arr, etp: Arr, ep: Arr, dev: Device,
                   fp32_probs: bool = False) -> tuple[Arr, Arr]:
    """(forward, backward) time of the unfused fc2 bias of biased routed experts (TransformerConfig.expert_bias) in
    Megatron-Core's TEGroupedMLP, for T tokens entering one MoE layer on one device. fc2 is built with
    skip_bias_add True and TEGroupedMLP.forward then calls _apply_bias, eager PyTorch over the local experts
    (megatron/core/transformer/moe/experts.py at svcnemo-autobot/Megatron-LM@37b95c51a9883f8b852ed586160f06345ad7d946,
    a Megatron-LM mirror):
        torch.cat([t + b * p for t, b, p in zip(torch.split(out, tokens_per_expert), biases,
                   torch.split(permuted_probs, tokens_per_expert))]).view(shape).to(out.dtype)
    (fc1's bias is added by Transformer Engine's GroupedLinear, skip_bias_add False, and the clamped, offset GLU
    with its probability weighting is one fused weighted_bias_quick_geglu_impl / weighted_bias_swiglu_impl pass:
    moe_forward's activation). Over the routed rows, T etp/tp x top_k of h, bytes per element with 16-bit
    probabilities (Transformer Engine's fused router writes probs in the logits' dtype, transformer_engine/pytorch/
    csrc/extensions/router.cpp at NVIDIA/TransformerEngine@017d75a6bc180cf7560c1faddbefef51b67d6991; bf16 logits
    unless moe_router_dtype fp32): forward b * p writes 2, the add reads 4 and writes 2, the cat reads and writes 2:
    12 B, 2 kernels per local expert + the cat; backward (autograd: MulBackward's g * p and g * b, each summed to
    the bias' and the probability's shape, 6 B each; the add passes g on; the split's backward cats the gradients,
    4 B): 16 B, 4 kernels per local expert + 1. fp32 probabilities (moe_router_dtype fp32) promote the product, the
    add and the cat to fp32 and add a cast each way: 28 B forward (2 per expert + 2 kernels), 40 B backward (5 per
    expert + 2)."""
    elems = T * etp / tp * model.top_k * model.hidden
    n_local = model.experts / ep
    fwd_b, bwd_b, kf, kb = (28.0, 40.0, 2.0, 5.0) if fp32_probs else (12.0, 16.0, 2.0, 4.0)
    extra = 2.0 if fp32_probs else 1.0
    return (memory_ops_s(fwd_b * elems, dev, kf * n_local + extra),
            memory_ops_s(bwd_b * elems, dev, kb * n_local + extra))


MOE_ROUTER_DTYPES = ("bf16", "fp32")
"""The router GEMM precisions the training model times (plan --moe-router-dtype; Megatron-Core TransformerConfig
moe_router_dtype: None, the default, runs the router in the input's dtype, bf16 here; 'fp32' as below)."""


def router_fp32_extra_s(model: TransformerConfig, T: Arr, dtb: float, dev: Device, dev32: Device) -> tuple[Arr, Arr]:
    """(forward, backward) time an MoE layer's router adds on one device for T tokens when Megatron-Core runs it
    with moe_router_dtype fp32, over the 16-bit router moe_forward times (whose backward the model charges as 2x its
    forward). Megatron-Core Router.gating passes router_dtype torch.float32 to moe_utils.router_gating_linear, a
    RouterGatingLinearFunction (NVIDIA/Megatron-LM megatron/core/transformer/moe/router.py at
    005742ff1f002035922b88a648fa615aec22eeff, Router.gating: 'if self.config.moe_router_dtype == 'fp32':
    router_dtype = torch.float32'; moe_utils.py, code index id 2633913279), with Transformer Engine present:
      forward  'te_general_gemm(weight, inp, router_dtype, layout="TN")': the 16-bit weight [E, h] and input [T, h]
               (its docstring: 'accepts bfloat16 input and weight, and can return output with router_dtype'), so a
               16-bit tensor-core GEMM that writes fp32 logits [T, E] (4 B, not 2);
      dgrad    'te_general_gemm(weight.to(ctx.router_dtype), grad_output, ctx.router_dtype, layout="NN")': casts
               the weight to fp32 (read 2, write 4 B an element), then fp32 x fp32 -> fp32 [T, h], then
               '.to(ctx.input_dtype)' (read 4, write 2);
      wgrad    'te_general_gemm(inp.to(ctx.router_dtype), grad_output, ..., layout="NT")': casts the input [T, h]
               to fp32 (read 2, write 4), fp32 [E, h] out, then '.to(ctx.weight_dtype)' (read 4, write 2).
    Transformer Engine runs an all-fp32 GEMM on the TF32 tensor cores: 'Use TF32 only for pure FP32 GEMM ...
    gemm_compute_type = CUBLAS_COMPUTE_32F_FAST_TF32' when A, B and D are CUDA_R_32F (transformer_engine/common/gemm/
    cublaslt_gemm.cu, code index id 789925899; NVIDIA/TransformerEngine at 0143a5e04dcbf72c71f96f66011754309515d7ae,
    older, defaults every non-E5M2 GEMM to it), whatever torch.backends.cuda.matmul.allow_tf32 says (that flag
    governs torch.mm, the path without Transformer Engine). So the two backward GEMMs
    run at dev32's peak (the device's catalog TF32 peak, its FP32 one where it lists no TF32) on the family's 16-bit
    efficiency curve (no measured TF32 GEMM efficiency found: an assumption, stated where it is printed), with fp32
    operands (4 B). The softmax / sigmoid, top-k and aux-loss passes over the [T, E] scores already run in fp32 in
    the default (topk_softmax_with_capacity's softmax(..., dtype=torch.float32)); their only change, fp32 logits in
    and probabilities out (E = 128-256 elements a token against h = 2048-7168), is not charged."""
    h, E = model.hidden, model.experts
    fwd16, _ = gemm16_s(T, E, h, dtb, dev)
    fwd32 = roofline_s(2.0 * T * E * h, (T * h + E * h) * dtb + T * E * 4.0, dev)  # fp32 logits written
    dgrad, _ = gemm16_s(T, h, E, 4.0, dev32)
    wgrad, _ = gemm16_s(E, h, T, 4.0, dev32)
    # casts: weight to fp32 twice (dgrad, wgrad) and the fp32 weight gradient back; input to fp32; dgrad output back
    cast_bytes = 2.0 * E * h * 6.0 + E * h * 6.0 + T * h * 6.0 + T * h * 6.0
    t_cast = memory_ops_s(cast_bytes, dev, 5.0)
    return fwd32 - fwd16, dgrad + wgrad + t_cast - 2.0 * fwd16


def logits_gemm_s(model: TransformerConfig, T: Arr, tp: Arr, dtb: float, dev: Device,
                  fp8_head: bool = False) -> tuple[Arr, Arr]:
    """(time, flops) of the output projection [T, h] x [h, V/t]. 16 bit by default, in FP8 runs too: Megatron-Core's
    output layer is a tensor_parallel.ColumnParallelLinear, a plain torch GEMM outside Transformer Engine's FP8
    modules (NVIDIA/Megatron-LM megatron/core/models/gpt/gpt_model.py at e914fb787a4664e5c43bb64cfe3b0c317c9db02f,
    GPTModel.__init__: 'self.output_layer = tensor_parallel.ColumnParallelLinear('; NeMo and Megatron-Bridge build
    that GPTModel). fp8_head (Setup.fp8_output_head): the head is a Transformer Engine Linear / LayerNormLinear inside
    te.fp8_autocast, so it is timed as every FP8 linear layer is (gemm_s: dev.linear's rate and operand bytes, one
    quantize pass of its [T, h] input); its backward, 2 x this like theirs (DelayedScaling's default
    override_linear_precision (False, False, False): fprop, dgrad and wgrad GEMMs all in FP8, E5M2 gradients under
    Format.HYBRID; NVIDIA/TransformerEngine transformer_engine/common/recipe/__init__.py at
    799cf76be3c1bb0a9d7995614a1af5a2a77a9e10)."""
    if fp8_head:
        if dev.linear is None or dev.linear.dtype != "fp8":
            raise InputError("--fp8-output-head times the output layer's GEMMs as FP8 linear layers, and this run's "
                             "linear layers are not FP8", "give --dtype fp8 with --fp8-output-head, or leave "
                             "--fp8-output-head out")
        return gemm_s(T, model.vocab / tp, model.hidden, dtb, dev)
    return gemm16_s(T, model.vocab / tp, model.hidden, dtb, dev)


def logits_forward(model: TransformerConfig, T: Arr, tp: Arr, dtb: float, dev: Device,
                   fp8_head: bool = False) -> tuple[Arr, Arr]:
    """Output projection [T, h] x [h, V/t] (logits_gemm_s) and the softmax cross-entropy over [T, V/t] (fp32)."""
    t_g, f_g = logits_gemm_s(model, T, tp, dtb, dev, fp8_head)
    t_ce = memory_ops_s(2.0 * T * model.vocab / tp * 4, dev, 2.0)
    return t_g + t_ce, f_g


# PyTorch eager F.cross_entropy on 16-bit logits computed in fp32 (torch.autocast, whose fp32 list holds
# cross_entropy, log_softmax and nll_loss: PyTorch amp docs 'CUDA Ops that can autocast to float32'; or an explicit
# logits.float() as torchtitan's loss), bytes per [T, V/t] logit element and kernels per pass, as the kernels' code
# passes over the tensor, V > 1024 (one block a row): pytorch/pytorch aten/src/ATen/native/cuda/SoftMax.cu at e9865f53
# (host_softmax / host_softmax_backward; its passes not re-checked against the A100 rows' torch 1.13.1) and
# aten/src/ATen/native/cuda/Loss.cu TORCH_IMPL_FUNC(nll_loss_backward_out_cuda):
#   forward:  cast 16 -> 32 bit (read 2, write 4); log_softmax cunn_SoftMaxForward: ilpReduce max (read 4), ilpReduce
#             sum of exp (read 4), WriteFpropResults (read 4, write 4); nll_loss: one element a row = 22 B, 3 kernels.
#   backward: nll_loss_backward_out_cuda's grad_input.zero_() (write 4) and its scatter (one element a row);
#             cunn_SoftMaxBackward: ilpReduce sum of the gradient (read 4), WriteBpropResults (read gradient 4 and
#             output 4, write 4); the cast's backward to 16 bit (read 4, write 2) = 26 B, 4 kernels.
# A row's later reads may hit L2 (not credited; all of them would make it 14 + 22 = 36 B).
EAGER_CE_FWD_BYTES = 22.0
EAGER_CE_BWD_BYTES = 26.0
EAGER_CE_FWD_KERNELS = 3.0
EAGER_CE_BWD_KERNELS = 4.0

# Transformer Engine's Triton parallel_cross_entropy, which Megatron-Core runs with cross_entropy_loss_fusion True and
# cross_entropy_fusion_impl 'te' (Megatron-Bridge's Llama recipes set both: src/megatron/bridge/recipes/llama/llama3.py
# at NVIDIA-NeMo/Megatron-Bridge@0d5f5558c16fc7b3eec45698768522e74f1a87a2; its performance scripts force 'te' for every
# model: scripts/performance/utils/overrides.py _set_common_perf_overrides at 00538e26aa5419eb94c4fab3629b99059867a135),
# bytes per 16-bit [T, V/t] logit element and kernels per pass (transformer_engine/pytorch/triton/cross_entropy.py at
# NVIDIA/TransformerEngine@02965d2eba9d93d129f25942f8ef1352f2eefd2d):
#   forward:  online_softmax_kernel reads each row once (2 B) for its max and sum; cross_entropy_forward_kernel reads
#             only each row's statistics and target logit (a row's few elements, not charged): 2 B, 2 kernels.
#   backward: cross_entropy_backward_kernel reads the saved row and writes the gradient in place (2 + 2 B): 4 B, 1.
# (An earlier form, a stored copy with code index id 6426845364, wrote the gradient in the forward and scaled it in the
# backward: 6 + 4 B; not charged.)
# At tp > 1 (rvs32d, 2026-12-06): 02965d2e's cross_entropy_forward stops with `assert False, "triton fused ce with tp is
# not fully tested."` when the group's world size > 1; the stored version at 1b2b4a8e runs the same kernels and
# all-gathers each row's statistics over the tensor-parallel group (a few floats a row: not charged), the form charged
# at tp > 1 (elements T x V / t).
TE_CE_FWD_BYTES = 2.0
TE_CE_BWD_BYTES = 4.0
TE_CE_FWD_KERNELS = 2.0
TE_CE_BWD_KERNELS = 1.0


PYTORCH_STACKS = ("megatron", "pytorch-fsdp", "neuron-megatron-lm", "torchtitan")
"""The stacks (calibration.STACKS) that run PyTorch, so may compute the loss with eager F.cross_entropy and use the
PYTORCH_ONLY_FLAGS; maxtext is JAX, whose loss XLA compiles (no eager kernels: the passes above are aten's CUDA
ones)."""


PYTORCH_ONLY_FLAGS = {
    "--eager-cross-entropy": "charges PyTorch eager F.cross_entropy's CUDA passes",
    "--te-cross-entropy": "charges Transformer Engine's Triton cross-entropy kernels (Megatron-Core's fused loss)",
    "--rope-fusion unfused": "charges Megatron-Core's eager PyTorch RoPE kernels (rope_unfused_extra_s)",
    "--tp-comm-overlap": "models Transformer Engine userbuffers (Megatron-Core / NeMo tp_comm_overlap) or "
                         "torchtitan's async TP (torch symmetric memory), PyTorch libraries",
    "--attention-unpad": "charges the Q, K, V gathers and output scatter of a PyTorch padded-batch wrapper around "
                         "varlen FlashAttention (llm-foundry's MPT flash_attn_fn)",
}
"""The flags that describe a PyTorch library, so cannot go with a JAX stack (maxtext): what each one charges."""


def check_stack_flags(stack: str, *, eager_cross_entropy: bool, tp_comm_overlap: bool, attention_unpad: bool,
                      moe_grouped_mlp: str = "te", te_cross_entropy: bool = False,
                      rope_fusion: str = "fused", vocab_tiling: int = 1) -> None:
    """Refuse a PyTorch-only flag (PYTORCH_ONLY_FLAGS) given with a JAX stack (InputError naming the flag, the stack
    and the fix); --moe-grouped-mlp cutedsl (Transformer Engine's CuTe DSL kernel, a PyTorch library) too. The
    default te on maxtext is a note instead (expert_gemm_floor_note): it was not chosen. The MaxText-only
    --vocab-tiling N > 1 (MaxText's num_vocab_tiling) is refused with any other stack."""
    if vocab_tiling > 1 and stack != "maxtext":  # utleft (2026-12-06): taken with --stack megatron, exit 0
        raise InputError(f"--vocab-tiling {vocab_tiling} models MaxText's num_vocab_tiling (its loss computed in "
                         f"chunks, a JAX MaxText setting), and --stack {stack} is not maxtext",
                         "leave --vocab-tiling out (1: the logits in one piece), or give --stack maxtext for a "
                         "MaxText run")
    if stack in PYTORCH_STACKS:
        return
    if moe_grouped_mlp == "cutedsl":  # printed 'one CuTe DSL MXFP8 grouped kernel each' for a MaxText run
        raise InputError(f"--moe-grouped-mlp cutedsl times Transformer Engine's CuTe DSL fused grouped MLP, a PyTorch "
                         f"library, and --stack {stack} is not a PyTorch stack (maxtext: JAX MaxText, whose routed "
                         "experts run its megablox grouped matmul)",
                         "give --moe-grouped-mlp megablox (with a 16-bit --dtype) for what MaxText runs, or --stack "
                         f"{' or '.join(PYTORCH_STACKS)} for a PyTorch run")
    for flag, on in (("--eager-cross-entropy", eager_cross_entropy), ("--tp-comm-overlap", tp_comm_overlap),
                     ("--attention-unpad", attention_unpad), ("--te-cross-entropy", te_cross_entropy),
                     ("--rope-fusion unfused", rope_fusion == "unfused")):
        if on:
            raise InputError(f"{flag} {PYTORCH_ONLY_FLAGS[flag]}, and --stack {stack} is not a PyTorch stack "
                             "(maxtext: JAX MaxText, which XLA compiles into its own kernels)",
                             f"leave {flag} out, or give --stack {' or '.join(PYTORCH_STACKS)} for a PyTorch run")


MEGABLOX_TPU_SOURCE = ("AI-Hypercomputer/maxtext@01164e142151bb7d1bb8e34536ea2affbdce458f "
                       "MaxText/kernels/megablox/gmm.py: 'Grouped matrix multiplication kernels for TPU written in "
                       "Pallas', built on jax.experimental.pallas.tpu (Mosaic)")
"""Where MaxText's megablox gmm is said to be a TPU kernel: its module docstring and its pltpu grid spec."""

MOE_GROUPED_MLP_DEVICE_FIX = "give --moe-grouped-mlp te (the default) or cutedsl, or a TPU with --hardware"


def moe_grouped_mlp_device_problem(grouped_mlp: str, spec: Any) -> str:
    """Why `spec` cannot run --moe-grouped-mlp `grouped_mlp` ('' when it can): megablox is MaxText's Pallas TPU
    kernel (MEGABLOX_TPU_SOURCE), so a device that is not a TPU is refused, as eager_cross_entropy_device_problem
    refuses aten's CUDA passes off a GPU; its width rate (megablox_width_eff) is a v5p measurement besides."""
    if grouped_mlp != "megablox" or spec.kind == "tpu":
        return ""
    return (f"--moe-grouped-mlp megablox is MaxText's Pallas TPU kernel ({MEGABLOX_TPU_SOURCE}); {spec.name} is "
            f"{_a_kind(spec)}, which does not run it")


def eager_cross_entropy_device_problem(eager_cross_entropy: bool, spec: Any) -> str:
    """Why `spec` cannot run --eager-cross-entropy ('' when it can): the passes charged (EAGER_CE_*) are aten's CUDA
    kernels, which run on a GPU only; a TPU, ASIC, NPU, FPGA or CPU runs other kernels for the loss (XLA compiles a
    TPU's into its graph). Refused as attention_kernel_device_problem refuses flash2 off a GPU."""
    if not eager_cross_entropy or spec.kind == "gpu":
        return ""
    return (f"--eager-cross-entropy charges PyTorch eager F.cross_entropy's CUDA passes (GPU kernels); {spec.name} "
            f"is {_a_kind(spec)}, which runs other kernels for the loss")


def te_cross_entropy_device_problem(te_cross_entropy: bool, spec: Any) -> str:
    """Why `spec` cannot run --te-cross-entropy ('' when it can): the kernels charged (TE_CE_*) are Transformer
    Engine's Triton kernels, which run on a GPU only (as eager_cross_entropy_device_problem)."""
    if not te_cross_entropy or spec.kind == "gpu":
        return ""
    return (f"--te-cross-entropy charges Transformer Engine's Triton cross-entropy kernels (GPU kernels); {spec.name} "
            f"is {_a_kind(spec)}, which runs other kernels for the loss")


def logits_step_s(model: TransformerConfig, T: Arr, tp: Arr, dtb: float, dev: Device,
                  eager_cross_entropy: bool = False, fp8_head: bool = False, te_cross_entropy: bool = False) -> Arr:
    """Forward + backward of the output projection and the loss on the last stage. Default: 3 x logits_forward
    (the GEMM's backward is two GEMMs; the loss one fp32 read + write of [T, V/t] per pass). eager_cross_entropy:
    3 x the GEMM + PyTorch eager cross-entropy's passes (EAGER_CE_FWD_BYTES + EAGER_CE_BWD_BYTES per element).
    te_cross_entropy: 3 x the GEMM + Transformer Engine's Triton kernels (TE_CE_FWD_BYTES + TE_CE_BWD_BYTES).
    fp8_head: the GEMM in FP8 (logits_gemm_s); the loss keeps its passes (the head's output is 16 bit)."""
    if not (eager_cross_entropy or te_cross_entropy):
        return 3.0 * logits_forward(model, T, tp, dtb, dev, fp8_head)[0]
    t_g, _ = logits_gemm_s(model, T, tp, dtb, dev, fp8_head)
    elems = T * model.vocab / tp
    if te_cross_entropy:
        return (3.0 * t_g + memory_ops_s(elems * TE_CE_FWD_BYTES, dev, TE_CE_FWD_KERNELS)
                + memory_ops_s(elems * TE_CE_BWD_BYTES, dev, TE_CE_BWD_KERNELS))
    return (3.0 * t_g + memory_ops_s(elems * EAGER_CE_FWD_BYTES, dev, EAGER_CE_FWD_KERNELS)
            + memory_ops_s(elems * EAGER_CE_BWD_BYTES, dev, EAGER_CE_BWD_KERNELS))


def model_flops_per_token(model: TransformerConfig, seq_len: int) -> float:
    """Forward FLOPs per token of the unsharded model, attention over the full sequence.

    Per layer 2 x (attention projection weights) + 2 a (qk + v) keys (scores and AV) + MLP; plus 2 h V logits,
    with keys = seq_len, or min(seq_len, window) on sliding-window layers (Beltagy et al. 2020 sec. 3.1). For GPT
    (q = k = v = o = h, f = 4h) training (x3) this is 72 h^2 + 12 s h per layer + 6 h V per token, i.e.
    Narayanan et al. 2021 eq. (3) without the recompute pass: 72 B s l h^2 (1 + s/(6h)) + 6 B s h V.
    MLA counts the naive up-projected form (DeepSeek-V2 sec. 2.1.2: per-head keys and values of width qk and v).
    """
    h = model.hidden
    mats = 3 if model.mlp == "swiglu" else 2
    n_win = model.windowed_layers
    core = model.attn_core_flops_per_key() * ((model.layers - n_win) * seq_len
                                              + n_win * float(model.keys_attended(seq_len, True)))
    dense_mlp = 2 * mats * h * (model.dense_ffn or model.ffn)
    moe_mlp = 2 * mats * h * model.ffn * (model.top_k + model.shared_experts) + 2 * h * model.experts
    n_moe = model.moe_layers
    per_layers = (model.layers * 2 * model.attn_proj_macs_per_token() + core
                  + (model.layers - n_moe) * dense_mlp + n_moe * moe_mlp)
    return float(per_layers + 2 * h * model.vocab)
