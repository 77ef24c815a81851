"""Serving (inference) prediction for a transformer on one accelerator type: prefill, decode, memory, cost.

The model is the analytic roofline of LLM inference:

- Prefill (all prompt tokens in parallel) is compute-bound: time = FLOPs / (peak x efficiency), and
  time to first token (TTFT) is the prefill of the whole batch (static batching, as in fixed
  input/output-length benchmarks). Pope et al. 2022, "Efficiently Scaling Transformer Inference",
  sec. 2 (prefill vs generation), sec. 3.
- Decode (one token per sequence per step) reads every weight it uses and the KV cache of the batch
  once per step: time = max(bytes / (bandwidth x efficiency), FLOPs / (peak x efficiency)) -- the
  roofline (Williams et al. 2009) applied per decode step as in Pope et al. 2022 sec. 3.1 and the
  "LLM inference arithmetic" analyses (e.g. kipply 2022, "Transformer Inference Arithmetic").
- The KV cache holds K and V for every layer and KV head: 2 x layers x kv_heads x head_dim x bytes
  per token (Pope et al. 2022 sec. 3.1; Kwon et al. 2023, "Efficient Memory Management for LLM
  Serving with PagedAttention" (vLLM), sec. 2.2/3). Multi-head latent attention caches the latent and
  the rotary key instead, (kv_lora_rank + qk_rope_head_dim) x bytes per token per layer (DeepSeek-V2 sec.
  2.1.2), on every tensor-parallel rank. A sliding-window layer keeps only the last `window` tokens (the
  rolling buffer cache of Jiang et al. 2023, "Mistral 7B", sec. 2) and attends to them only.
- Tensor parallelism (Megatron-LM, Shoeybi et al. 2019, sec. 3, Fig. 3) all-reduces the activations
  twice per layer (after attention, after the MLP); a ring all-reduce of n bytes over p devices takes
  2(p-1)/p x n / bandwidth + 2(p-1) x per-step latency (Patarasuk & Yuan 2009; the NCCL ring).
- Pipeline parallelism adds one activation hop per stage boundary. The engine keeps micro-batches in flight, one
  per stage by default (ServingCalibration.pp_microbatches; vLLM's and TensorRT-LLM's schedulers, see there): the
  batch splits into them, each stage works on one while the others occupy the other stages, so a token of one
  request takes the whole model's step at the micro-batch's size (+ the hops) and the replica delivers the whole
  batch per cycle, unless its busiest stage (its layers; the first adds the embedding lookup, the last the LM
  head), busy once per micro-batch, takes longer (_decode_cycle_s, _busiest_stage).

Every result is a prediction (an estimate), and the efficiencies it uses are in `ServingCalibration`,
visible and overridable.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np

from accelopt import dtypes
from accelopt.errors import AcceloptError, InfeasibleError, InputError, case_hint, unknown_fields
from accelopt.hardware.spec import LIMITS, AcceleratorSpec
from accelopt.predict import comm, decode_gemm, launch_floor, serving_moe
from accelopt.predict.calibration import BUNDLED_TABLE_FILE
from accelopt.predict.compute import FP4_OPERAND_BYTES, nvidia_ampere_or_newer, nvidia_turing_or_newer
from accelopt.predict.serving_lengths import LengthsRun
from accelopt.predict.serving_moe import NO_MOE, MoELayout, MoEServing
from accelopt.units import fmt_bytes, unit
from accelopt.workload.transformer import TransformerConfig

# Bytes per stored element. int4 adds its group scales separately, nvfp4/mxfp4 their block scales (see
# weight_bytes_per_param).
DTYPE_BYTES: dict[str, float] = dtypes.bytes_map(("fp32", "bf16", "fp16", "fp8", "int8", "int4"))
SCHEDULING = ("static", "continuous", "waves")
WEIGHT_DTYPES = ("bf16", "fp16", "fp8", "int8", "w8a8", "int4", "nvfp4", "mxfp4")
"""--weight-dtype: int8 is weight-only (W8A16: gpt-fast's `--mode int8`, TensorRT-LLM's `--weight_only_precision
int8`), w8a8 int8 weights and activations (SmoothQuant: TensorRT-LLM's `--smoothquant`, vLLM's INT8 W8A8); see
compute_dtype_for."""
WEIGHT_ONLY = ("int8", "int4")
"""Integer weights dequantized to 16 bits inside the matmul kernel, which runs at the 16-bit peak."""
KV_DTYPES = ("bf16", "fp16", "fp8", "int8", "nvfp4")
"""--kv-dtype: nvfp4 is NVIDIA's 4-bit KV cache (E2M1 values, one FP8 E4M3 scale per 16), Blackwell GPUs only
(kv_bytes_per_value, kv_device_problem, NVFP4_KV_SOURCE)."""
VLLM_KV_CACHE_DTYPES_SOURCE = ("vLLM's --kv-cache-dtype choices: vllm-project/vllm vllm/config/cache.py at 002f10e0, "
                               "CacheDType and cache_dtype's docstring ('CUDA 11.8+ supports fp8 (=fp8_e4m3) and "
                               "fp8_e5m2. ROCm (AMD GPU) supports fp8 (=fp8_e4m3). Intel Gaudi (HPU) supports fp8 "
                               "(using fp8_inc)')")
SGLANG_KV_CACHE_DTYPES_SOURCE = ("SGLang's --kv-cache-dtype fp8_e5m2 / fp8_e4m3 / fp4_e2m1: sgl-project/sglang "
                                 "docs/advanced_features/quantized_kv_cache.md at 03cd2ec4")
KV_ENGINE_SPELLINGS: dict[str, tuple[str, str]] = {
    "fp8_e4m3": ("fp8", "vLLM's and SGLang's FP8 E4M3 cache; vLLM's fp8 is fp8_e4m3"),
    "fp8_e5m2": ("fp8", "vLLM's and SGLang's FP8 E5M2 cache, 1 B a value as E4M3's: no figure plan serve gives "
                 "depends on which 8-bit format it is; vLLM takes fp8_e5m2 on CUDA GPUs, on ROCm its fp8 is "
                 "fp8_e4m3"),
    "fp8_inc": ("fp8", "vLLM's FP8 cache on Intel Gaudi"),
    "int8_per_token_head": ("int8", "vLLM's INT8 cache, 1 B a value, its per-token-head scales not counted"),
    "nvfp4_4over6": ("nvfp4", "vLLM's NVFP4 cache with its own choice of scales: the NVFP4 layout, 0.5625 B a value"),
    "fp4_e2m1": ("nvfp4", "SGLang's experimental FP4 cache, one 8-bit exponent scale per 16 values: NVFP4's 0.5625 B "
                 "a value"),
}
"""Serving engines' --kv-cache-dtype spellings of a format --kv-dtype models -> (its --kv-dtype name, what the
engine means by it), read so by `plan serve --kv-dtype` (cli.dtype_aliases) and said on stderr; they were refused as
'not supported' (a user trial, uttrialC). TensorRT-LLM spells its caches fp8, int8 and nvfp4, as --kv-dtype does.
Sources: VLLM_KV_CACHE_DTYPES_SOURCE, SGLANG_KV_CACHE_DTYPES_SOURCE; the FP4 ones' bytes: NVFP4_KV_ENGINES."""
VLLM_KV_NOT_MODELLED = ("fp8_ds_mla", "nvfp4_ds_mla", "fp8_per_token_head", "int4_per_token_head", "turboquant_k8v4",
                        "turboquant_4bit_nc", "turboquant_k3v4_nc", "turboquant_3bit_nc")
"""vLLM's --kv-cache-dtype values (VLLM_KV_CACHE_DTYPES_SOURCE) of a cache layout --kv-dtype does not model (it models
one value of the dtype per cached element, and NVFP4's scales): refused naming what they are (check_kv_dtype), not
as an unknown word."""


def kv_spelling_warning(spelling: str | None, engine: str | None, spec: AcceleratorSpec) -> str | None:
    """A 'warning: ...' line where the engine's own --kv-cache-dtype spelling is one it does not document for
    `spec`'s vendor: vLLM's fp8_e5m2 on an AMD GPU, where vLLM documents only fp8 (=fp8_e4m3)
    (VLLM_KV_CACHE_DTYPES_SOURCE). A warning, not a refusal: E5M2 and E4M3 are both 1 B a value, so no figure changes,
    and the doc is what says it, not a check of vLLM's ROCm code (until ut3dist, 2026-12-06, taken without a word).
    None for any other spelling, engine or device."""
    if spelling != "fp8_e5m2" or engine != "vllm" or not _amd_gpu(spec):
        return None
    return (f"warning: --kv-dtype fp8_e5m2 with --engine vllm on {spec.name} (an AMD GPU, ROCm): vLLM documents "
            f"fp8_e5m2 on CUDA only, and on ROCm fp8 (=fp8_e4m3) ({VLLM_KV_CACHE_DTYPES_SOURCE}); the figures are "
            "those of any 1-byte cache, E4M3's as well — launch vLLM there with --kv-cache-dtype fp8_e4m3 (or fp8)")


def kv_dtype_of(name: str) -> str:
    """The --kv-dtype name of an engine's spelling (KV_ENGINE_SPELLINGS, case ignored); any other `name` as given."""
    return KV_ENGINE_SPELLINGS.get(name.strip().lower(), (name, ""))[0]


def check_kv_dtype(kv_dtype: str) -> None:
    """An InputError for a --kv-dtype not in KV_DTYPES: the engines' 'auto' and a vLLM value of a layout not modelled
    (VLLM_KV_NOT_MODELLED) are named as such; the fix lists KV_DTYPES and the engine spellings read as them."""
    if kv_dtype in KV_DTYPES:
        return
    takes = f"--kv-dtype takes {', '.join(KV_DTYPES)}, and reads {kv_spellings_text()}"
    key = kv_dtype.strip().lower()
    if key == "auto":  # vLLM: 'If "auto", will use model data type' (VLLM_KV_CACHE_DTYPES_SOURCE); SGLang's default
        raise InputError(f"--kv-dtype {kv_dtype!r} is vLLM's and SGLang's default, a cache in the model's own dtype, "
                         "which plan serve does not read from the model", "give the model's dtype: --kv-dtype bf16 "
                         f"for most checkpoints, fp16 for an fp16 one ({takes})")
    if key in VLLM_KV_NOT_MODELLED:
        raise InputError(f"--kv-dtype {kv_dtype!r} is one of vLLM's --kv-cache-dtype values (vllm/config/cache.py at "
                         "002f10e0, CacheDType) whose cache layout plan serve does not model: it models one value of "
                         "the dtype per cached element, and NVFP4's scales", f"give one it models: {takes}")
    _check_dtype("--kv-dtype", kv_dtype, KV_DTYPES, f"give --kv-dtype one of: {', '.join(KV_DTYPES)} (it also reads "
                 f"{kv_spellings_text()})")


def kv_spellings_text() -> str:
    """'the engines' fp8_e4m3, fp8_e5m2, fp8_inc as fp8; ...': KV_ENGINE_SPELLINGS by the --kv-dtype each reads as."""
    by_ours: dict[str, list[str]] = {}
    for name, (ours, _) in KV_ENGINE_SPELLINGS.items():
        by_ours.setdefault(ours, []).append(name)
    return "the engines' " + "; ".join(f"{', '.join(names)} as {ours}" for ours, names in by_ours.items())


ACT_BYTES = 2.0
"""Activations (and all-reduce messages) are 16-bit in every serving engine we model."""
LOGIT_BYTES = 4.0
"""Logits are kept in fp32 (vLLM and TensorRT-LLM upcast the LM-head output for sampling)."""


MEMORY_BASES = ("total", "free")
TP_ALLREDUCES = ("nccl", "custom")
"""ServingCalibration.tp_allreduce: through the collective library, or the engine's own all-reduce kernel."""
TOKEN_BUCKETS = ("neuronx",)
"""ServingCalibration.token_buckets: engines that compile static token buckets a decode step is padded to."""
NEURONX_FIRST_BUCKET = 128
"""transformers-neuronx's smallest token bucket: utils.py power_of_two_bucket_sizes(128, n_positions), used by
bucket.py token_sizes (aws-neuron/transformers-neuronx@3e15a8b, src/transformers_neuronx/bucket.py, utils.py)."""


@dataclass(frozen=True, kw_only=True)
class DeviceScaling:
    """A `[serving.*]` table's compute efficiencies scaled from its reference device to a sibling device."""

    reference_device: str
    gemm_ratio: float | None = unit("x")
    """(measured matmul / peak of the device) / (the same of the reference) for the linear GEMMs' precision
    (gemm_ratio_dtype's measurements); None: no measured pair, the table's values as they are."""
    gemm_ratio_dtype: str = ""
    """The precision whose measurements gave gemm_ratio (the GEMMs' own, else fp8 for fp4, else bf16)."""
    attention_ratio: float | None = unit("x")
    """The same at 16 bits, for the attention core (it runs in 16 bits); None: no measured pair."""
    note: str = ""
    """What was scaled, by how much and from which measurements (printed beside the result)."""


@dataclass(frozen=True, kw_only=True)
class ServingCalibration:
    """Efficiencies, overheads and engine settings the prediction uses; each default says where it comes from.

    The bundled values are the `[serving.*]` tables of predict/data/calibration.toml (fitted on the rows of
    predict/data/published_serving_runs.csv declared `fit` there; `accelopt validate --serving` reports the
    held-out rows). Override any of them with `dataclasses.replace(cal, decode_bandwidth_efficiency=0.8)`.
    """

    family: str = "default"
    """The `[serving.NAME]` table these values come from."""
    fitted: bool = False
    """True when the table was fitted on published runs of its devices (else 'uncalibrated' is printed)."""
    fitted_on: tuple[str, ...] = ()
    """Ids of the published serving rows the table was fitted on (its `fitted_on`; predict/data/
    published_serving_runs.csv for the bundled tables): their engine and source are what the values describe."""
    table_file: str = BUNDLED_TABLE_FILE
    """The calibration file the `[serving.NAME]` table was read from (a user's --calibration file, or the bundled)."""
    derived_from: str = ""
    """Not a value: the table's `derived_from`, the measurement its own values were derived from (not fitted); ''
    none. `plan serve` prints it beside the result in place of 'uncalibrated' (uncalibrated_caveat)."""
    derived_fields: tuple[str, ...] = ()
    """Not a value: the fields a derived table gives itself (the rest are [serving.default]'s, not fitted)."""
    derived_on: tuple[str, ...] = ()
    """Not a value: the table's `derived_on`, the published serving rows whose run the measurement is of (role
    'derived' in the runs file: not held out)."""
    engine: str = ""
    """Not a value: the engine whose `[serving.NAME.engine.ENGINE]` overlay gave this calibration's engine-dependent
    fields (calibration.ENGINE_FIELDS: per_step_overhead_s, per_request_overhead_s), fitted on that engine's rows;
    '' where none did (no engine said, or the table has no overlay for it: those fields are the table's own,
    engine_overlay_note says so)."""
    engine_fitted_on: tuple[str, ...] = ()
    """Not a value: the overlay's fitted_on (also in fitted_on, with the table's own rows); () without an overlay."""
    prefill_compute_efficiency: float = unit("fraction", default=0.6)
    """Fraction of the dense peak reached by the linear-layer matmuls of prefill."""
    attention_compute_efficiency: float = unit("fraction", default=0.6)
    """Fraction of the 16-bit peak reached by the attention core (QK^T, AV) of prefill and decode: the fused
    attention kernels run in 16 bits even with fp8 weights (TensorRT-LLM and vLLM quantize the GEMMs; FMHA stays
    bf16/fp16 by default) and reach less of the peak than GEMMs (FlashAttention-2 ~35% of H100 peak, Shah et al.
    2024, FlashAttention-3, sec. 1)."""
    decode_compute_efficiency: float = unit("fraction", default=0.6)
    """Fraction of peak for decode matmuls once they are compute-bound (large batch)."""
    decode_bandwidth_efficiency: float = unit("fraction", default=0.69)
    """Fraction of datasheet memory bandwidth that decode reaches."""
    link_bandwidth_efficiency: float | None = unit("fraction", default=None)
    """Fraction of the datasheet scale-up/scale-out bandwidth collectives reach. None: the device family's
    scaleup_bw_eff/scaleout_bw_eff of the training calibration (one collectives model for training and serving)."""
    link_step_latency_s: float | None = unit("s", default=None)
    """Per-step latency of a collective when the spec has no `scaleup_latency_s`/`scaleout_latency_s`;
    None: the default of predict/comm.py, which training uses too, printed beside the result."""
    per_step_overhead_s: float = unit("s", default=0.0)
    """Time added to every forward pass (decode step or prefill chunk): scheduling, sampling, launch gaps. The
    kernel-launch floor of an NVIDIA GPU is not in it: a lower bound on the roofline term (PhaseTime.launch_floor_s)."""
    per_step_overhead_layers: int | None = unit("count", default=None)
    """The model layers of the fit rows that set per_step_overhead_s for an engine that launches every layer's kernels
    from the host on each forward (no CUDA graphs: EngineRule.host_launched_layers, trtllm-session): on such an engine
    a forward of an L-layer model pays per_step_overhead_s x L / this (step_overhead_s). None: the table does not say,
    and the overhead is one per forward on every engine (printed as 'default used:' beside such an engine's result)."""
    per_layer_overhead: bool = False
    """Not a table value: True where the engine launches every layer's kernels from the host on each forward
    (ENGINES' host_launched_layers: `plan serve --engine trtllm-session`, the runs file's trtllm-session rows), so
    the per-forward overhead grows with the layers (step_overhead_s)."""
    fp4_mla_kv_pools: bool = False
    """Not a table value: True where the engine keeps an MLA model's NVFP4 KV cache in TensorRT-LLM's FP4 MLA layout
    (EngineRule.fp4_mla_pools: `plan serve --engine trtllm`, the runs file's trtllm rows): the KV bytes count its key
    residual and value scales per token and its BF16 ring per sequence (fp4_mla_kv_bytes_per_token_layer,
    fp4_mla_kv_bytes_per_sequence_layer); False: the latent alone at 0.5625 B a value."""
    per_request_overhead_s: float = unit("s", default=0.0)
    """Time added to time-to-first-token: request handling before the first forward (tokenizing, scheduling)."""
    pp_host_per_request_s: float = unit("s", default=0.0)
    """Host time per request in flight that each round of an engine's blocking pipeline-parallel loop (pp_host_loop)
    adds to the device work: a round (every micro-batch's decode step through the pp stages, one token per request)
    takes the device cycle + this x the requests in flight, so 1 / throughput = 1 / (the device's) + this per output
    token. Where it comes from: TensorRT-LLM's PyExecutor._executor_loop_pp before PR #10349 keeps as many
    micro-batches as stages (no spare to hide the host work, PR #3878) and blocks on each micro-batch's sample state
    (sampler_event.synchronize on the last rank, a blocking recv_object on the others) before its per-request host
    work (_update_requests, _handle_responses over every active request, _schedule) lets the next step launch. Its
    size is fitted (calibration.toml [serving.default]); 0: none charged."""
    pp_host_loop: bool = False
    """Not a table value: True where the engine runs that blocking loop (ENGINES' pp_host_loop: `plan serve --engine
    trtllm`, the runs file's trtllm rows), so with --pp > 1 each round pays pp_host_per_request_s x the requests in
    flight (pp_host_round_s); False: no such cost (another engine, or none said)."""
    token_buckets: str | None = None
    """Not a table value: the engine's static token buckets (TOKEN_BUCKETS; `plan serve --token-buckets`, the runs
    file's token_buckets column); None: none, each decode step reads its own context. 'neuronx': transformers-neuronx's
    (neuronx_token_buckets): each step runs, and its attention reads, the bucket that holds its position, and TPOT
    is read at the median step (the AWS tables' 'TPOT Latency P50')."""
    memory_utilization: float = unit("fraction", default=0.9)
    """Fraction of memory the engine may use; of what, `memory_basis` says."""
    tp_allreduce: str = "custom"
    """How the engine all-reduces across tensor-parallel ranks (TP_ALLREDUCES; an engine setting, not a table value):
    'nccl' through the device's collective library (NCCL/RCCL on a GPU: its tree chains the ranks of one node,
    comm.tree_allreduce_s), or 'custom', the engine's own all-reduce kernel (vLLM, TensorRT-LLM, SGLang): timed
    from vLLM's kernel as measured on H100 (custom_allreduce_s) and printed beside the result. Default 'custom',
    vLLM's (the default engine of `plan serve`)."""
    memory_basis: str = "total"
    """'total': weights + workspace + KV cache <= memory_utilization x capacity (vLLM `gpu_memory_utilization`,
    default 0.9 of total GPU memory, docs.vllm.ai engine arguments). 'free': the KV-cache pool is
    memory_utilization x the memory left after weights and workspace (TensorRT-LLM `kv_cache_free_gpu_mem_fraction`,
    default 0.9 of FREE memory, nvidia.github.io/TensorRT-LLM KvCacheConfig / trtllm-bench docs)."""
    max_prefill_chunk_tokens: int = unit("count", default=8192)
    """Tokens processed per prefill forward (TensorRT-LLM `max_num_tokens` default 8192,
    trtllm-build docs); bounds the activation workspace and sets how often prefill re-reads weights."""
    max_batch_size: int = unit("count", default=2048)
    """Most sequences the engine batches at once (TensorRT-LLM LLM API `max_batch_size` default 2048); caps the
    concurrency of a max-load run and of a --rate run (predict_at_rate). Per attention-DP rank: with attention DP
    each rank admits up to max_batch_size requests (TensorRT-LLM PyExecutor._fetch_new_requests: tp_size x
    max_num_active_requests in all). trtllm-bench
    throughput replaces the default with its own estimate (bench/build/tuning.py calc_engine_setting; `plan serve
    --max-batch-size`, the runs CSV's max_batch_size column)."""
    max_batch_size_per_microbatch: bool | None = None
    """How max_batch_size caps the requests in flight over pipeline stages (an engine setting, not a table value;
    serving.ENGINES' batch_cap_per_microbatch): True: per micro-batch, one per stage, max_batch_size x pp in all
    whatever pp_microbatches (TensorRT-LLM: PyTorchModelEngine.get_max_num_sequences; it has no setting for the
    micro-batches in flight); False: max_batch_size in all
    (vLLM's max_num_seqs, its scheduler's cap on running requests); None: no --engine said, TensorRT-LLM's rule (the
    default max_batch_size 2048 is TensorRT-LLM's), printed as 'default used:' with --pp > 1 (batch_cap_note)."""
    pp_microbatches: int | None = unit("count", default=None)
    """Micro-batches the engine keeps in flight over the pipeline stages (an engine setting, not a table value;
    `plan serve --pp-microbatches`). None: one per stage, as many as --pp: vLLM runs pipeline_parallel_size batches at
    once (vllm-project/vllm vllm/v1/executor/multiproc_executor.py at 00f6c9bf92aa, MultiprocExecutor.
    max_concurrent_batches returns parallel_config.pipeline_parallel_size, the engine core's batch queue is that
    deep); TensorRT-LLM admits max_batch_size x pp requests, one max_batch_size micro-batch per stage
    (PyTorchModelEngine.get_max_num_sequences). 1: one batch walks the stages one after another (no pipelining)."""
    int4_group_size: int = unit("count", default=128)
    """int4 weights carry one fp16 scale and one 4-bit zero point per group of this many weights (AWQ/GPTQ default 128;
    Lin et al. 2023, "AWQ", sec. 4)."""
    int8_weight_only_bandwidth_ratio: float = unit("fraction", default=1.0)
    """int8 weight-only (W8A16) weights are read at this multiple of decode_bandwidth_efficiency: the dequantizing
    matmul kernels reach a lower fraction of the memory bandwidth than the 16-bit path's. A table gives it only with
    a published measurement of both paths on its family (calibration.toml cites it); 1.0: none found, the 16-bit
    path's efficiency (printed as 'default used:' beside an int8 result)."""
    fp4_gemm_efficiency_ratio: float = unit("fraction", default=1.0)
    """FP4 (NVFP4/MXFP4, W4A4) linear GEMMs reach this multiple of the prefill/decode compute efficiency, as a
    fraction of the fp4 peak (the block-scale handling and the activation quantize fused into the producing kernel
    keep them below the fp8 GEMMs' share of the fp8 peak); 1.0: the same share, an assumption."""
    grouped_gemm_compute_efficiency: float | None = unit("fraction", default=None)
    """MoE routed experts: fraction of the weights' peak their grouped GEMM reaches when compute-bound (the grouped
    GEMM is timed as its own kernel, serving_moe.grouped_gemm_s); None: not calibrated for the family, the experts
    run at the dense efficiencies above (printed beside an MoE result)."""
    grouped_gemm_bandwidth_efficiency: float | None = unit("fraction", default=None)
    """MoE routed experts: fraction of the memory bandwidth their grouped GEMM reaches when bandwidth-bound (small
    token counts per expert); None with grouped_gemm_compute_efficiency."""

    reference_device: str = ""
    """The catalog device the table was fitted on ('' none). On a sibling device (same table, another device) the
    compute efficiencies are scaled by its measured matmul fraction of peak over this device's, as the training
    families' reference_device (calibration.device_scaled; serving.device_scaled)."""
    device_scaling: DeviceScaling | None = None
    """Not a table value: how this calibration was scaled to the predicted device (None: not scaled)."""

    measured_link: comm.MeasuredLink | None = None
    """Not a `[serving.*]` table value: the scale-up link `probe --collectives` measured (`plan serve --collectives
    FILE`, comm.load_measured), used inside the scale-up domain in place of the spec's link, as measured (no
    bandwidth efficiency), by every collective of the prediction (tensor-parallel all-reduces, pipeline hops, the MoE
    dispatch/combine); None: the spec's link (or the spec's own measured link, for a `probe --collectives` spec)."""

    published_runs_of_device: int | None = unit("count", default=None)
    """Not a table value: rows of the bundled serving runs file (any role) measured on the predicted device or on
    its NeuronCore parts (NAME-core, NAME-lncN run on chip NAME); 0: no public run of this device, so a table
    fitted on a sibling (MI325X on the MI300X rows) is carried to it untested and `plan serve` says 'uncalibrated
    for DEVICE' (issue #10); None: not looked up (a table of the user's --calibration file, or a library caller's)."""

    def __post_init__(self) -> None:
        for name in ("prefill_compute_efficiency", "attention_compute_efficiency", "decode_compute_efficiency",
                     "decode_bandwidth_efficiency", "memory_utilization", "fp4_gemm_efficiency_ratio",
                     "int8_weight_only_bandwidth_ratio"):
            _check_fraction(name, getattr(self, name))
        for name in ("link_bandwidth_efficiency", "grouped_gemm_compute_efficiency",
                     "grouped_gemm_bandwidth_efficiency"):
            if getattr(self, name) is not None:
                _check_fraction(name, getattr(self, name))
        if (self.grouped_gemm_compute_efficiency is None) != (self.grouped_gemm_bandwidth_efficiency is None):
            raise InputError("calibration grouped_gemm_compute_efficiency and grouped_gemm_bandwidth_efficiency "
                             "must be given together", "give both, or neither")
        for name, (limit_s, example, why) in _SECONDS_LIMITS.items():
            v = getattr(self, name)
            if v is not None and not 0 <= v < limit_s:  # NaN and inf too
                raise InputError(f"calibration {name} = {v!r} s must be from 0 to under {limit_s:g} s: "
                                 f"{why}", f"give {name} in seconds, e.g. {example}"
                                 f"{_likely_meant(name, v, limit_s)}")
        if not isinstance(self.reference_device, str):
            raise InputError(f"calibration reference_device = {self.reference_device!r} is not text",
                             'name a catalog device as a quoted string, e.g. "h100-sxm"')
        m = self.pp_microbatches
        if m is not None and (not isinstance(m, int) or isinstance(m, bool) or m < 1):
            raise InputError(f"pp_microbatches = {m!r} must be a whole number >= 1",
                             "give the micro-batches in flight, e.g. --pp-microbatches 4 (one per --pp stage)")
        if self.tp_allreduce not in TP_ALLREDUCES:
            raise InputError(f"calibration tp_allreduce = {self.tp_allreduce!r}", "use nccl or custom")
        if self.token_buckets is not None and self.token_buckets not in TOKEN_BUCKETS:
            raise InputError(f"token buckets {self.token_buckets!r} are not known",
                             f"use {' or '.join(TOKEN_BUCKETS)}, or leave them out (no buckets)")
        if self.memory_basis not in MEMORY_BASES:
            raise InputError(f"calibration memory_basis = {self.memory_basis!r} is not a memory basis",
                             "use 'total' (vLLM) or 'free' (TensorRT-LLM)")
        for name, example in _COUNT_EXAMPLES.items():
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise InputError(f"calibration {name} = {v!r} must be a whole number >= 1",
                                 f"give {name} as a whole number >= 1 with no decimal point, e.g. {example}")
        n = self.per_step_overhead_layers
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise InputError(f"calibration per_step_overhead_layers = {n!r} must be a whole number >= 1: the layers "
                             "of the models whose forwards the fit rows timed",
                             "give the fit rows' model layers with no decimal point, e.g. 32 (Llama 2 7B), or "
                             "leave it out for an overhead per forward")

    @property
    def table_name(self) -> str:
        """'NAME' of the `[serving.NAME]` table these values come from, 'NAME.engine.ENGINE' with its overlay."""
        return f"{self.family}.engine.{self.engine}" if self.engine else self.family

    def step_overhead_s(self, layers: int) -> float:
        """The overhead one forward of a `layers`-layer model pays: per_step_overhead_s, x layers /
        per_step_overhead_layers where the engine launches every layer from the host (per_layer_overhead) and the
        table gives the fit rows' layers; the table's figure as it is otherwise."""
        if self.per_layer_overhead and self.per_step_overhead_layers is not None:
            return self.per_step_overhead_s * layers / self.per_step_overhead_layers
        return self.per_step_overhead_s

    def value_source(self, key: str, path: str | None = None) -> tuple[str, str] | None:
        """(table, file) of the `[serving.*]` table that gave this calibration's `key`, as load_serving_tables(path)
        reads them (`path`: the --calibration file, whose tables replace the bundled ones by name): this table where
        it holds `key`, else [serving.default] (a table holds only what differs from it; a file's own
        [serving.default] replaces the bundled one whole); None where neither gives it (the built-in default) or this
        calibration is no table's (a probed device's). A value carried from [serving.default] was named as the
        device's table's (rvA, s33, 2026-12-06)."""
        from accelopt.predict.calibration import load_serving_tables

        if path is None and self.table_file != BUNDLED_TABLE_FILE:
            path = self.table_file  # this table is that file's: its tables are the ones read
        tables = load_serving_tables(path)
        own = tables.get(self.family)
        if own is None or own.where != self.table_file:
            return None
        overlay = own.engines.get(self.engine) if self.engine else None
        for t in (*([overlay] if overlay is not None else []), own, tables["default"]):
            if key in t.values:
                return t.name, t.where
        return None

    def _source_words(self, key: str, path: str | None) -> str:
        """'the [serving.NAME] table of FILE' that gave `key` (value_source), ', carried to [serving.FAMILY]' where
        it is [serving.default]'s; this table's name and file where no table gives it."""
        held = self.value_source(key, path)
        name, where = held if held is not None else (self.family, self.table_file)
        carried = f", carried to [serving.{self.family}]" if name.split(".engine.")[0] != self.family else ""
        return f"the [serving.{name}] table of {where}{carried}"

    def step_overhead_note(self, layers: int, path: str | None = None) -> str | None:
        """The line `plan serve` prints where the engine launches every layer from the host (per_layer_overhead):
        the per-forward overhead it charges and how, each value named with the table that gave it (`path`: the
        --calibration file, value_source); None for an engine whose overhead is one per forward."""
        if not self.per_layer_overhead or self.per_step_overhead_s == 0:
            return None
        overhead = f"per_step_overhead_s of {self._source_words('per_step_overhead_s', path)}"
        if self.per_step_overhead_layers is None:
            return (f"default used: per-forward overhead {self.per_step_overhead_s * 1e3:g} ms, one per forward "
                    f"({overhead}), though the engine launches every layer's kernels from the "
                    f"host ({HOST_LAUNCH_SOURCE}): the table gives no per_step_overhead_layers, the layers of the "
                    "fit rows that set it, to charge it per layer — give it in a --calibration table")
        layers_of = self._source_words("per_step_overhead_layers", path)
        both = (f"per_step_overhead_s and per_step_overhead_layers of {layers_of}"
                if layers_of == self._source_words("per_step_overhead_s", path)
                else f"{overhead}; per_step_overhead_layers of {layers_of}")
        return (f"per-forward overhead {self.step_overhead_s(layers) * 1e3:.4g} ms: per_step_overhead_s "
                f"{self.per_step_overhead_s * 1e3:g} ms x {layers} layers / {self.per_step_overhead_layers} (the fit "
                f"rows' layers; {both}): the engine launches every layer's kernels from the host on each forward "
                f"({HOST_LAUNCH_SOURCE})")

    def host_overhead_note(self, path: str | None = None) -> str | None:
        """The line `plan serve` prints for the host-side costs a table charges once a forward (per_step_overhead_s,
        added to every prefill chunk and decode step) and once a request (per_request_overhead_s, in its TTFT), each
        with the table that gave it; None where the engine launches every layer from the host (step_overhead_note
        says it) or the table is neither fitted nor charges either (an uncalibrated table's zeros, its caption says
        so). Until ut3srv (2026-12-06) neither figure was printed: [serving.nvidia-hopper]'s 4.5 ms a decode step was
        46% of Llama 3 8B's TPOT on one H100 at batch 1, seen only in the JSON's calibration."""
        if self.per_layer_overhead and self.per_step_overhead_s > 0:
            return None
        if not self.fitted and self.per_step_overhead_s == 0 and self.per_request_overhead_s == 0:
            return None
        step = self._source_words("per_step_overhead_s", path)
        request = self._source_words("per_request_overhead_s", path)
        whose = (f"both of {step}" if step == request
                 else f"per_step_overhead_s of {step}; per_request_overhead_s of {request}")
        return (f"host overheads: {self.per_step_overhead_s * 1e3:.4g} ms a forward (per_step_overhead_s: host-side "
                f"costs added to every prefill chunk and decode step), {self.per_request_overhead_s * 1e3:.4g} ms a "
                f"request (per_request_overhead_s, in its TTFT) ({whose})")

    def pp_host_round_s(self, pp: int, requests: int) -> float:
        """Host seconds one round of the blocking pipeline-parallel loop adds: pp_host_per_request_s x the requests
        in flight where the engine runs that loop (pp_host_loop) and pp > 1; 0 otherwise."""
        return self.pp_host_per_request_s * requests if self.pp_host_loop and pp > 1 else 0.0

    def pp_host_note(self, pp: int, requests: int | None, path: str | None = None, *, most: int | None = None,
                     last_wave: int | None = None) -> str | None:
        """The line `plan serve` prints where the round of the blocking pipeline-parallel loop pays host time, with the
        table that gave pp_host_per_request_s (`path`: the --calibration file, value_source); None where it pays
        none. requests None: the rule alone, without a round's figure (validate's line, one for all the rows it
        concerns). `most`: a sweep's largest requests in flight (its round's figure too, each batch paying its own);
        `last_wave`: a finite run's last wave (finite_run predicts it at its own requests, so its rounds pay h x
        those). Either was left out: the line gave the first point's round alone (rvA, s33, 2026-12-06)."""
        if self.pp_host_round_s(pp, 1) == 0:
            return None
        h_us = f"{self.pp_host_per_request_s * 1e6:g} us"
        if requests is None:
            each = f"pipeline host loop: pp_host_per_request_s {h_us} x the requests in flight a round"
        elif most is not None and most != requests:
            each = (f"pipeline host loop {self.pp_host_round_s(pp, requests) * 1e3:.4g}-"
                    f"{self.pp_host_round_s(pp, most) * 1e3:.4g} ms a round: pp_host_per_request_s {h_us} x "
                    f"{requests:,}-{most:,} requests in flight (each batch its own)")
        else:
            each = (f"pipeline host loop {self.pp_host_round_s(pp, requests) * 1e3:.4g} ms a round: "
                    f"pp_host_per_request_s {h_us} x {requests:,} requests in flight")
            if last_wave is not None and last_wave != requests:
                each += (f" (the finite run's last wave: {self.pp_host_round_s(pp, last_wave) * 1e3:.4g} ms a round "
                         f"at its {last_wave:,})")
        # the bundled value is [serving.default]'s alone (fitted there), carried to every table
        held = self._source_words("pp_host_per_request_s", path)
        if self.value_source("pp_host_per_request_s", path) == ("default", BUNDLED_TABLE_FILE):
            held += "; fitted on TensorRT-LLM v1.0 RTX PRO 6000 --pp rows"
        return (f"{each}, added to each decode step and to the first token ({held}): the engine's PP loop waits on "
                f"each micro-batch's sample state before its per-request host work ({PP_HOST_LOOP_SOURCE})")

    def uncalibrated_caveat(self, device: str) -> str:
        """' — uncalibrated ...' where this table was not fitted on published runs of its family, or where no public
        run of `device` exists (a sibling's table carried, issue #10); '' otherwise. `plan serve`'s console caption
        and HTML page both print it."""
        if not self.fitted and self.derived_from:  # measured, not fitted: say which values, and from what
            # [serving.default] is the base of the others; its own unset fields take ServingCalibration's defaults
            base = ("ServingCalibration's built-in defaults" if self.family == "default"
                    else "[serving.default]'s")
            if not self.derived_fields:  # a derived_from on a table that sets nothing: no value of it is derived
                return (f" — derived_from given ({self.derived_from}) but the table sets no value of its own: every "
                        f"value is {base}, not fitted")
            return (f" — derived, not fitted: {', '.join(self.derived_fields)} from {self.derived_from}; its other "
                    f"values are {base}, not fitted")
        if not self.fitted:
            return " — uncalibrated (not fitted on published runs of this device family)"
        if self.published_runs_of_device == 0:
            return f" — uncalibrated for {device} (no published serving run of it; the family's values are carried)"
        return ""


_SECONDS_LIMITS: dict[str, tuple[float, str, str]] = {
    "link_step_latency_s": (1.0, "2.4e-6", "a collective step takes microseconds; the slowest real link, a "
                            "geostationary satellite hop, takes ~0.3 s, as spec.LIMITS bounds scaleup_latency_s: "
                            "a second or more is microseconds written as seconds"),
    "per_step_overhead_s": (1.0, "0.0045", "the fitted tables hold 0 to 10 ms per forward pass, and a whole decode "
                            "step of a 70B model takes tens of ms: a second or more of overhead per step is "
                            "milliseconds written as seconds"),
    "per_request_overhead_s": (1.0, "0.005", "tokenizing and scheduling a request take milliseconds: the fitted "
                               "tables hold 0 to 38 ms (vLLM's server on Hopper, client-side), and a fast tokenizer "
                               "takes 'less than 20 seconds to tokenize a GB of "
                               "text on a server's CPU' (huggingface/tokenizers README, a batch over all its cores), "
                               "so an 8k-token prompt (~32 kB) takes under a millisecond there, more on one core; a "
                               "wait of a second or more before the first forward is queueing, which --rate models, "
                               "or milliseconds written as seconds"),
    "pp_host_per_request_s": (1e-3, "3.4e-5", "host work per request and round takes microseconds (TensorRT-LLM PR "
                              "#16564: an 8.8 ms bubble over 256 requests, 34 us each): a millisecond or more is "
                              "microseconds written as seconds"),
}
"""ServingCalibration's time fields: (exclusive upper bound in s, an example, why the bound) for the message.
per_request_overhead_s's bound was 60 s, so 20 (meaning 20 ms) loaded and added 20 s to every time-to-first-token."""

_SLIP_UNITS = {"link_step_latency_s": (1e-6, "µs"), "per_step_overhead_s": (1e-3, "ms"),
               "per_request_overhead_s": (1e-3, "ms"), "pp_host_per_request_s": (1e-6, "µs")}
"""The unit each time field is most likely written in when its bound is passed (the scale of its example)."""


def _likely_meant(name: str, v: float, limit_s: float) -> str:
    """' (if v is in ms: write v/1000)' for a value past its bound that the field's usual unit would bring under
    it; '' where even that is past the bound (or v is negative, NaN or inf)."""
    scale, word = _SLIP_UNITS[name]
    if not (v >= limit_s and v * scale < limit_s):  # NaN, inf and negatives: no figure to suggest
        return ""
    return f"; if {v:g} is in {word}, write {v * scale:g}"

_COUNT_EXAMPLES = {"max_prefill_chunk_tokens": "8192 (TensorRT-LLM's max_num_tokens default)",
                   "max_batch_size": "2048 (TensorRT-LLM's default)",
                   "int4_group_size": "128 (the AWQ/GPTQ default)"}
"""ServingCalibration's whole-number fields and an example of each for the message."""


def _check_fraction(name: str, v: float) -> None:
    if not 0 < v <= 1:  # NaN too
        raise InputError(f"calibration {name} = {v!r} must be a fraction in (0, 1]: a share of a datasheet peak "
                         "(or of memory) is above 0 and cannot exceed all of it",
                         f"give {name} as a fraction, e.g. 0.7 (not a percentage)")


DEFAULT_CALIBRATION = ServingCalibration()


@dataclass(frozen=True)
class EngineRule:
    """How a serving engine sizes its memory (`plan serve --engine NAME`, or --memory-basis / --memory-fraction)."""

    memory_basis: str
    """'total' or 'free' (serving.ServingCalibration.memory_basis)."""
    memory_utilization: float = unit("fraction")
    """The engine's fixed default share; for an engine whose default depends on the device and layout
    (per_device, SGLang's) the share its own code falls back to when it cannot read the device's memory."""
    tp_allreduce: str = "nccl"
    """The engine's tensor-parallel all-reduce (ServingCalibration.tp_allreduce); on devices whose library does not
    chain (comm.chains_in_domain: not an NVIDIA/AMD GPU) both settings give the same time."""
    per_device: bool = False
    """True: the default share is a function of the device's memory and the layout (engine_memory_fraction)."""
    batch_cap_per_microbatch: bool | None = None
    """How the engine's max_batch_size caps the requests in flight with pipeline parallelism
    (ServingCalibration.max_batch_size_per_microbatch): True per micro-batch, False in all; None: not cited for
    this engine, the default rule applies (printed as 'default used:')."""
    host_launched_layers: bool = False
    """True: the engine runs each forward without CUDA graphs, launching every layer's kernels from the host, so its
    per-forward overhead grows with the model's layers (ServingCalibration.per_layer_overhead, step_overhead_s);
    False: one overhead per forward, whatever the layers (an engine that replays its forwards from CUDA graphs, or
    one no source says launches per layer)."""
    fp4_mla_pools: bool = False
    """True: an MLA model's NVFP4 KV cache is laid out as TensorRT-LLM's FP4 MLA cache manager lays it out, with a
    key residual, value scales and a BF16 ring beside the latent (ServingCalibration.fp4_mla_kv_pools,
    TRTLLM_FP4_MLA_POOLS); False: the latent alone at 0.5625 B a value."""
    pp_host_loop: bool = False
    """True: with pp > 1 the engine runs a pipeline loop that blocks on each micro-batch's sample state before its
    per-request host work (ServingCalibration.pp_host_loop, PP_HOST_LOOP_SOURCE); False: none cited."""
    devices: tuple[tuple[str, str], ...] = ()
    """(vendor, kind) pairs of the devices the engine runs on, as the catalog spells them (AcceleratorSpec.vendor,
    .kind; vendor '*': any vendor's device of that kind); empty: any device is taken (vLLM, which runs on GPUs, TPUs,
    Gaudi, AWS Neuron and CPUs)."""


HOST_LAUNCH_SOURCE = ("TensorRT-LLM gptSessionBenchmark runs CUDA graphs only with --enable_cuda_graph, which the "
                      "v0.5 - v0.9 performance pages' commands do not pass: benchmarks/cpp/gptSessionBenchmark.cpp "
                      "at WhiteD2125/TensorRT-LLM@6ad7cf1b, a copy of NVIDIA/TensorRT-LLM's main branch between "
                      "0.9.0 and 0.10.0; docs/source/performance.md at v0.6.1 / v0.9.0")
"""Where EngineRule.host_launched_layers comes from (trtllm-session), printed beside a per-layer overhead."""

PP_HOST_LOOP_SOURCE = ("NVIDIA/TensorRT-LLM tensorrt_llm/_torch/pyexecutor/py_executor.py, PyExecutor."
                       "_executor_loop_pp as of the 1.0 - 1.2 releases: num_micro_batches = pp_size, stage 2 "
                       "sampler_event.synchronize / recv_object per micro-batch, stage 3 _update_requests and "
                       "_handle_responses; PR #3878 (one micro-batch per stage), PR #10349 (merged 2026-02-10, a "
                       "non-blocking loop, after release 1.2)")
"""Where EngineRule.pp_host_loop comes from, printed beside the pipeline host loop's cost."""

ENGINES: dict[str, EngineRule] = {
    # TensorRT-LLM: KV-cache pool = kv_cache_free_gpu_mem_fraction (default 0.9) of the memory FREE after the model
    # (LLM API reference, tensorrt_llm.llmapi.KvCacheConfig: free_gpu_memory_fraction = 0.9,
    # nvidia.github.io/TensorRT-LLM/llm-api/reference/KvCacheConfig.html; "How to Change KV Cache Behavior",
    # nvidia.github.io/TensorRT-LLM/examples/kvcacheconfig.html: "allocate 90% of free GPU memory for KV cache"; the
    # perf-overview page: 0.90, 0.95 "in many cases").
    # All-reduce: TensorRT-LLM >= 1.0 picks its own custom all-reduce kernel for small messages (AllReduceStrategy
    # AUTO); v0.5/v0.6.1 engines used NCCL unless built with --use_custom_all_reduce (off then): the runs CSV's
    # tp_allreduce column says nccl for those rows.
    # Concurrency cap with --pp: max_batch_size per micro-batch, max_batch_size x pp requests in all (TensorRT-LLM
    # PyTorchModelEngine.get_max_num_sequences: max_num_active_requests = max_batch_size x pp).
    # Devices: NVIDIA GPUs only ("TensorRT-LLM ... optimize inference on NVIDIA GPUs", nvidia.github.io/TensorRT-LLM
    # overview; the same library builds trtllm-session's engines).
    # FP4 MLA pools: an MLA model's NVFP4 KV cache carries TensorRT-LLM's side pools (TRTLLM_FP4_MLA_POOLS).
    # Pipeline host loop (PP_HOST_LOOP_SOURCE): the PP loop of the releases the runs file holds (1.0; before PR
    # #10349) blocks on each micro-batch's sample state before its per-request host work.
    "trtllm": EngineRule("free", 0.9, "custom", batch_cap_per_microbatch=True, fp4_mla_pools=True,
                         pp_host_loop=True, devices=(("NVIDIA", "gpu"),)),
    # TensorRT-LLM v0.5/v0.6.1 gptSessionBenchmark (docs/source/performance.md at v0.6.1, commit 138f96d4): the
    # page's GPT-J, Llama 2 7B and 70B build commands have no --paged_kv_cache (only Falcon-180B's does), so the
    # session holds the batch's own contiguous KV cache for its input + output length, no pool: 1.0 of total, as
    # gpt-fast. All-reduce: NCCL (the builds omit --use_custom_all_reduce, off by default then).
    # Host-launched layers (HOST_LAUNCH_SOURCE): gptSessionBenchmark uses CUDA graphs only with --enable_cuda_graph,
    # which the v0.5 - v0.9 pages' commands do not pass, so every forward launches each layer's kernels from the host.
    # (The Jetson page's command passes it; its rows are Llama 3 8B, 32 layers, on [serving.default], whose
    # per_step_overhead_s is 0: charged per layer or not, the same.)
    "trtllm-session": EngineRule("total", 1.0, host_launched_layers=True, devices=(("NVIDIA", "gpu"),)),
    # vLLM: gpu_memory_utilization (default 0.9) of TOTAL GPU memory: weights + activations + KV cache <= that share
    # of the device's total memory (docs.vllm.ai, engine arguments; vLLM-Omni's memory guide: "requested_memory =
    # total_gpu_memory x gpu_memory_utilization"). The stored docs.vllm.ai/en/stable vllm/config/cache.py page now
    # reads Field(default=0.92): later releases than the bundled vllm rows' keep 0.9 here (--memory-fraction 0.92).
    # All-reduce: vLLM's custom all-reduce kernel on CUDA and on ROCm (MI300: ROCm/vllm PR #27, 2024-05;
    # vllm-project/vllm PR #14125, #16010, 2025), NCCL/RCCL only above its size limit.
    # Concurrency cap with --pp: max_num_seqs counts every running request, whichever batch of the pp-deep queue it
    # is in (vllm/v1/core/sched/scheduler.py: max_num_running_reqs = scheduler_config.max_num_seqs; schedule()
    # stops admitting at len(self.running) == max_num_running_reqs): max_batch_size in all.
    "vllm": EngineRule("total", 0.9, "custom", batch_cap_per_microbatch=False),
    # gpt-fast: one batch, its own KV cache; no pool is reserved. All-reduce: torch.distributed (NCCL).
    # Devices: NVIDIA and AMD GPUs ("Supports Nvidia and AMD GPUs", the meta-pytorch/gpt-fast README's feature list)
    # and CPUs (generate.py at pytorch-labs/gpt-fast@0055c42d: default_device 'cuda' if available else 'cpu';
    # device_sync takes cuda, cpu and mps, 'not yet supported' for any other device).
    # 'cpu' and 'mps' whatever the chip: any vendor's CPU (a probed Arm or Graviton one too) and Apple GPUs.
    "gpt-fast": EngineRule("total", 1.0, devices=(("NVIDIA", "gpu"), ("AMD", "gpu"), ("Apple", "gpu"), ("*", "cpu"))),
    # Optimum Habana run_generation.py (Intel Gaudi tables): one static batch whose KV cache is allocated for
    # max_input_tokens + max_new_tokens (--use_kv_cache); no pool is reserved (s-gaudisrv).
    # Devices: Intel Gaudi only (Optimum Habana: "the interface between the Transformers and Diffusers libraries and
    # Intel Gaudi AI Accelerators (HPU)", huggingface.co/docs/optimum/habana).
    "optimum-habana": EngineRule("total", 1.0, devices=(("Intel", "asic"),)),
    # SGLang-JAX (TPU): KV pool = mem_fraction_static x total HBM - weights (sgl-project/sglang-jax
    # model_runner_kv_cache_mixin.py, _profile_available_bytes: available - total x (1 - mem_fraction_static)); the
    # TPU v6e rows' launch command sets --mem-fraction-static=0.8 (s-tpusrv, issue 10).
    # Devices: Google TPUs only ("SGL-JAX ... inference engine ... specifically optimized for Google TPUs", the
    # sglang-jax README; docs.sglang.io/platforms/tpu.html: SGLang's TPU support is this backend, TPU v6e / v7).
    "sgl-jax": EngineRule("total", 0.8, devices=(("Google", "tpu"),)),
    # AWS transformers-neuronx / NxD Inference (s-neusrv): compiled for a static batch of a fixed sequence length (the
    # Neuron benchmark tables' 'Batch Size' and 'Sequence Length' columns), the KV cache pre-allocated for that length
    # per batch slot; no pool beyond it (the rows' sequence length = prompt + output, the batch's own KV cache).
    # Devices: AWS Inferentia / Trainium only (the AWS Neuron SDK, awsdocs-neuron.readthedocs-hosted.com: "the SDK
    # ... for AWS Inferentia and AWS Trainium"; transformers-neuronx and NxD Inference are its libraries).
    "neuron": EngineRule("total", 1.0, devices=(("AWS", "asic"),)),
    # SGLang (CUDA/ROCm): KV pool = mem_fraction_static x total memory - weights, as SGLang-JAX's (server_args.py
    # --mem-fraction-static: the fraction of GPU memory for weights and the KV pool). Default: SGLang's own rule,
    # a function of the device's memory and the layout (sglang_memory_default; 0.88 is that code's fallback where it
    # cannot read the memory); a run launched with --mem-fraction-static gives it as --memory-fraction (the runs
    # files' memory_fraction cell: the MI355X rows' 0.578). All-reduce: SGLang's own custom kernel (sglang PR #2904,
    # as --tp-allreduce says).
    # Devices: SGLang's hardware platforms (docs.sglang.io/docs/hardware-platforms/overview): NVIDIA GPUs (Jetson
    # Orin too), AMD GPUs, Intel XPU (GPUs), CPU servers (Intel Xeon with AMX, its cpu_server page), Ascend NPUs; its
    # TPU support is the separate SGLang-JAX engine (docs.sglang.io/platforms/tpu.html: `--engine sgl-jax`), and it
    # names no Gaudi or AWS Neuron device. (Until utserve, s33, a TPU was taken with this GPU memory rule.)
    "sglang": EngineRule("total", 0.88, "custom", per_device=True,
                         devices=(("NVIDIA", "gpu"), ("AMD", "gpu"), ("Intel", "gpu"), ("Intel", "cpu"),
                                  ("Huawei", "npu"))),
}

VLLM_MAX_NUM_SEQS_SOURCE = ("vllm-project/vllm vllm/engine/arg_utils.py at 99d7eb5d6a51, EngineArgs._set_default_args: "
                            "max_num_seqs 1024 where the device's total memory is 70 GiB or more and its name does "
                            "not contain 'a100' ('For GPUs like H100 and MI300x'), else 256, for `vllm serve` and "
                            "the LLM class alike")
"""Where vLLM's default cap on running requests comes from (engine_default_max_batch_size)."""

_VLLM_BIG_GPU_BYTES = 70 * 2**30
"""vLLM's `device_memory >= 70 * GiB_bytes` (VLLM_MAX_NUM_SEQS_SOURCE)."""


def engine_default_max_batch_size(engine: str | None, spec: AcceleratorSpec, path: str | None = None) -> int | None:
    """The engine's own default cap on requests in flight on `spec`, where a source gives it for that device: vLLM's
    max_num_seqs on a GPU, 1024 on one of 70 GiB or more that is not an A100, else 256 (VLLM_MAX_NUM_SEQS_SOURCE);
    None elsewhere, where the calibration's max_batch_size (2048, TensorRT-LLM's LLM API default) stands, and where
    the --calibration file `path` sets max_batch_size for `spec` (user_table_sets), the user's figure as
    --max-batch-size is (rev1: vLLM's 1024 replaced a table's 512, and the note called it vLLM's default). Until
    ut4srv (2026-12-06) `--engine vllm --batch max` ran TensorRT-LLM's 2048 without a word: 1,758 requests of
    Llama 3 8B in flight on one H100, 1,768 on an A100, where vLLM holds 1,024 and 256. vLLM's other platforms
    (TPU, Gaudi, Neuron, CPU) take other branches or forks of that code: not applied there."""
    if engine != "vllm" or spec.kind != "gpu" or user_table_sets(spec, path, "max_batch_size"):
        return None
    return 1024 if spec.memory_bytes >= _VLLM_BIG_GPU_BYTES and "a100" not in spec.name.lower() else 256


def user_table_sets(spec: AcceleratorSpec, path: str | None, name: str) -> bool:
    """True where the --calibration file `path` sets ServingCalibration field `name` for `spec`: in the table that
    matches the device (calibration.serving_table_for) or, where that table leaves it out, in the file's
    [serving.default] it builds on (calibration.load_serving_tables). False without a file and for a measured spec
    (MEASURED_CALIBRATION reads no table)."""
    if path is None or spec.measured:
        return False
    from accelopt.predict.calibration import load_serving_tables, serving_table_for

    tables = load_serving_tables(path)
    table = serving_table_for(spec, tables)
    if name not in table.values:
        table = tables["default"]
    return name in table.values and table.where != BUNDLED_TABLE_FILE


def vllm_prefill_chunk_note(engine: str | None, spec: AcceleratorSpec, used: int, tokens: int,
                            path: str | None = None) -> str | None:
    """'default used:' where `plan serve --engine vllm` left --max-prefill-tokens out on a GPU on which `vllm serve`
    chunks prefill at fewer tokens than the `used` default (the [serving.*] table's max_prefill_chunk_tokens,
    TensorRT-LLM's max_num_tokens, 8192) and a forward's prompt tokens (`tokens`: prompt x the batch prefilled
    together) exceed that: vLLM's max_num_batched_tokens default is 8192 for `vllm serve` (16384 offline) on a GPU of
    70 GiB or more that is not an A100, 2048 (8192 offline, its LLM class) on the others (VLLM_MAX_NUM_SEQS_SOURCE's
    branch). Which one a run used depends on how it was launched, so the figure keeps the table's value and says so
    (ut4srv, 2026-12-06: nothing was said). None elsewhere, and where the --calibration file `path` sets
    max_prefill_chunk_tokens for `spec` (user_table_sets): the user's figure, not TensorRT-LLM's default (rev1)."""
    if engine != "vllm" or spec.kind != "gpu" or user_table_sets(spec, path, "max_prefill_chunk_tokens"):
        return None
    big = spec.memory_bytes >= _VLLM_BIG_GPU_BYTES and "a100" not in spec.name.lower()
    serve, offline = (8192, 16384) if big else (2048, 8192)
    if serve >= used or tokens <= serve:
        return None
    return (f"default used: {spec.name}: prefill chunks of {used:,} tokens (--max-prefill-tokens left out: the "
            f"[serving.*] table's max_prefill_chunk_tokens, TensorRT-LLM's max_num_tokens default), where `vllm serve` "
            f"on this GPU chunks at {serve:,} (its max_num_batched_tokens default; {offline:,} in vLLM's offline LLM "
            f"class, as benchmark_throughput.py runs it: vllm-project/vllm vllm/engine/arg_utils.py at 99d7eb5d6a51, "
            f"EngineArgs._set_default_args) — give --max-prefill-tokens {serve} for a `vllm serve` run")


SGLANG_RULE_SOURCE = ("sgl-project/sglang python/sglang/srt/server_args.py at commit 001067fffe33, "
                      "ServerArgs._handle_gpu_memory_settings")
"""Where SGLang's default --mem-fraction-static comes from (the heuristic of sglang PR #10975, as it stands there)."""

_MIB = 2**20
_SGLANG_BIG_GPU_MIB = 60 * 1024
"""Above this capacity SGLang reserves at least 10 GiB (`gpu_mem > 60 * 1024`)."""


@dataclass(frozen=True, kw_only=True)
class SGLangMemoryDefault:
    """SGLang's default mem_fraction_static on one device and layout, with the terms it is made of (bytes here; SGLang
    counts MiB: its gpu_mem is the device's total memory in MiB, and the note prints MiB)."""

    fraction: float = unit("fraction")
    gpu_mem_bytes: float = unit("B")
    reserved_bytes: float = unit("B")
    chunked_prefill_tokens: int = unit("count")
    cuda_graph_max_bs: int = unit("count")
    graph_bytes: float = unit("B")
    """CUDA-graph reserve, prefill graph included."""
    prefill_graph_bytes: float = unit("B")
    sglang_tp: int = unit("count")
    """SGLang's --tp-size: every device of the replica (tp x attention-DP ranks x nothing else; pp apart)."""

    def note(self, device: str) -> str:
        """The 'default used:' line `plan serve` prints (text and JSON) beside a result that rests on it."""
        gpu, reserved = self.gpu_mem_bytes / _MIB, self.reserved_bytes / _MIB
        return (f"default used: SGLang's mem_fraction_static on {device} at --tp-size {self.sglang_tp} = "
                f"{self.fraction:.3f} = ({gpu:,.0f} - {reserved:,.0f} MiB reserved) / {gpu:,.0f} MiB: 512 + 1.5 x "
                f"chunked_prefill_size {self.chunked_prefill_tokens} + 1024 x tp x pp / 8 + CUDA graphs "
                f"{self.graph_bytes / _MIB:,.0f} (decode max_bs {self.cuda_graph_max_bs}, prefill "
                f"{self.prefill_graph_bytes / _MIB:,.0f}), at least 10 GiB above 60 GiB ({SGLANG_RULE_SOURCE}; "
                "no speculative decoding, PD disaggregation or DeepEP buffers) — give the run's "
                "--mem-fraction-static as --memory-fraction")


def _sglang_buckets(gpu_mem_mib: float, sglang_tp: int) -> tuple[int, int]:
    """(chunked_prefill_size, CUDA-graph max_bs) SGLang picks by the device's memory (SGLANG_RULE_SOURCE; its
    comments name T4 / 4090 / A100-40GB / H100 / H200 / B200, MI300 for the buckets; the NPU bucket is left out)."""
    small_tp = sglang_tp < 4
    if gpu_mem_mib < 20 * 1024:
        return 2048, 8
    if gpu_mem_mib < 35 * 1024:
        return 2048, 24 if small_tp else 80
    if gpu_mem_mib < 60 * 1024:
        return 4096, 32 if small_tp else 160
    if gpu_mem_mib < 160 * 1024:  # the < 90 GiB (H100) and < 160 GiB (H200) buckets hold the same values
        return 8192, 256 if small_tp else 512
    return 16384, 512


def _sglang_prefill_graph_sizes(max_tokens: int) -> int:
    """How many token counts SGLang captures a prefill graph for, up to `max_tokens` (its
    _generate_prefill_cuda_graph_batch_sizes: steps of 4 to 32, 16 to 256, 32 to 512, 64 to 1024, 256 to 4096,
    512 beyond)."""
    steps = ((4, 32, 4), (48, 256, 16), (288, 512, 32), (576, 1024, 64), (1280, 4096, 256), (4608, max_tokens, 512))
    return sum(len(range(lo, min(hi, max_tokens) + 1, step)) for lo, hi, step in steps)


def sglang_memory_default(memory_bytes: float, *, tp: int, pp: int = 1, attention_dp: int = 1,
                          mla: bool = False) -> SGLangMemoryDefault:
    """SGLang's default mem_fraction_static (SGLANG_RULE_SOURCE): round((gpu_mem - reserved) / gpu_mem, 3) with
    reserved (MiB) = 512 + 1.5 x max(chunked_prefill_size, 2048) + 1024 x tp x pp / 8 + the CUDA-graph reserve
    (2 x decode max_bs; with DP attention + 3 x max_bs x dp, + 1.5 x max_bs x dp past max_bs 300; the prefill graph:
    1.5 GiB for an MLA model, else 8 MiB per captured size), at least 10 GiB on a device above 60 GiB. The path of a
    plain launch: no speculative decoding (+2-6 GiB), no PD disaggregation, no DeepEP (+2 GiB), post-capture KV
    sizing off (SGLANG_ENABLE_POST_CAPTURE_KV_SIZING defaults to False), prefill CUDA graph on (the default backend
    on CUDA and ROCm). `tp` is the attention tensor-parallel degree; SGLang's --tp-size counts tp x attention_dp."""
    gpu = memory_bytes / _MIB
    sglang_tp = tp * attention_dp
    chunk, max_bs = _sglang_buckets(gpu, sglang_tp)
    graph = 2.0 * max_bs
    if attention_dp > 1:  # DP attention pads more (and more again at large max_bs)
        graph += max_bs * attention_dp * 3 + (max_bs * attention_dp * 1.5 if max_bs > 300 else 0.0)
    prefill_graph = 1.5 * 1024 if mla else 8.0 * _sglang_prefill_graph_sizes(chunk)  # prefill max_bs = chunk
    graph += prefill_graph
    reserved = 512 + max(chunk, 2048) * 1.5 + sglang_tp * pp / 8 * 1024 + graph
    if gpu > _SGLANG_BIG_GPU_MIB:
        reserved = max(reserved, 10 * 1024)
    return SGLangMemoryDefault(fraction=round((gpu - reserved) / gpu, 3), gpu_mem_bytes=memory_bytes,
                               reserved_bytes=reserved * _MIB, chunked_prefill_tokens=chunk, cuda_graph_max_bs=max_bs,
                               graph_bytes=graph * _MIB, prefill_graph_bytes=prefill_graph * _MIB, sglang_tp=sglang_tp)


def _vendor_words(vendor: str) -> str:
    return "any vendor's" if vendor == "*" else vendor


def engine_device_mismatch(engine: str, spec: AcceleratorSpec) -> str | None:
    """Why `engine` (a key of ENGINES) does not run on `spec` (its vendor/kind is not one of the engine's devices),
    or None where it does or the engine is not tied to one vendor's devices."""
    allowed = ENGINES[engine].devices
    if not allowed or any(v.lower() in ("*", spec.vendor.lower()) and k == spec.kind for v, k in allowed):
        return None
    runs_on = " or ".join(f"{_vendor_words(v)} {k.upper()}s" for v, k in allowed)
    return f"--engine {engine} runs on {runs_on} only, not on {spec.name} ({spec.vendor} {spec.kind.upper()})"


def engine_memory_fraction(engine: str, spec: AcceleratorSpec, *, tp: int, pp: int = 1, attention_dp: int = 1,
                           mla: bool = False) -> tuple[float, str | None]:
    """The share of memory `engine` takes by default on `spec` at this layout, and the 'default used:' line to print
    beside the result where that share is a device-dependent rule (SGLang's); None for a fixed documented
    default (vLLM's 0.9, TensorRT-LLM's 0.9 of free memory, ...). An InfeasibleError where the rule leaves nothing."""
    rule = ENGINES[engine]
    if not rule.per_device:
        return rule.memory_utilization, None
    d = sglang_memory_default(spec.memory_bytes, tp=tp, pp=pp, attention_dp=attention_dp, mla=mla)
    if d.fraction <= 0:
        raise InfeasibleError(f"{spec.name}: SGLang's default reserves {d.reserved_bytes / _MIB:,.0f} MiB of "
                              f"its {d.gpu_mem_bytes / _MIB:,.0f} MiB ({SGLANG_RULE_SOURCE}): nothing is left for "
                              "weights and the KV cache",
                              "give --memory-fraction (the run's --mem-fraction-static), or use a device with more "
                              "memory")
    return d.fraction, d.note(spec.name)


MEASURED_CALIBRATION = replace(DEFAULT_CALIBRATION, family="probed", prefill_compute_efficiency=1.0,
                               attention_compute_efficiency=1.0, decode_compute_efficiency=1.0,
                               decode_bandwidth_efficiency=1.0)
"""For a spec written by `accelopt probe` (measured = true): its matmul peak is already the best achieved GEMM
rate and its bandwidth a STREAM rate, so they are not derated again (the datasheet efficiencies above would
apply twice). Overheads besides GEMMs and streaming reads are not modelled: an optimistic estimate."""


def serving_calibrations(path: str | None = None) -> dict[str, ServingCalibration]:
    """`[serving.NAME]` tables of predict/data/calibration.toml (and of `path`), as ServingCalibration by name.
    A table other than 'default' holds only what differs from 'default'. The bundled tables are read once; a user
    file on every call (it may have been edited since)."""
    return dict(_bundled_serving_calibrations()) if path is None else _serving_calibrations(path)


@functools.lru_cache(maxsize=1)
def _bundled_serving_calibrations() -> dict[str, ServingCalibration]:
    return _serving_calibrations(None)


def _serving_calibrations(path: str | None) -> dict[str, ServingCalibration]:
    from accelopt.predict.calibration import load_serving_tables

    tables = load_serving_tables(path)
    base = dict(tables["default"].values)
    out: dict[str, ServingCalibration] = {}
    known = {f.name for f in fields(ServingCalibration)} - {"family", "fitted", "fitted_on", "table_file",
                                                             "derived_from", "derived_fields", "derived_on",
                                                             "measured_link", "device_scaling", "tp_allreduce",
                                                             "token_buckets", "per_layer_overhead", "fp4_mla_kv_pools",
                                                             "pp_microbatches", "max_batch_size_per_microbatch",
                                                             "pp_host_loop", "engine", "engine_fitted_on"}
    for name, t in tables.items():
        bad = set(t.values) - known
        if bad:
            raise unknown_fields(f"{t.where}: [serving.{name}]", sorted(bad),
                                 (*sorted(known), "match", "fitted_on", "derived_from", "derived_on", "source"))
        text = [k for k, v in t.values.items() if isinstance(v, str) and k not in ("memory_basis", "reference_device")]
        if text:
            raise InputError(f"{t.where}: [serving.{name}] field {text[0]} = {t.values[text[0]]!r} is text, not a "
                             "number", f"give {text[0]} as a plain number (only memory_basis and "
                             "reference_device are text)")
        values: dict[str, Any] = {**base, **t.values}
        try:
            out[name] = ServingCalibration(family=name, fitted=name != "default" and bool(t.fitted_on),
                                           fitted_on=tuple(t.fitted_on),
                                           derived_from=t.derived_from, derived_on=tuple(t.derived_on),
                                           # its numbers: memory_basis / reference_device are rules, not figures
                                           derived_fields=tuple(k for k, v in t.values.items()
                                                                if not isinstance(v, str)) if t.derived_from else (),
                                           table_file=t.where, **values)
        except InputError as e:  # name the file and table of the bad value
            raise InputError(f"{t.where}: [serving.{name}]: {e.problem}", e.fix) from None
        if out[name].reference_device:  # a misspelt device exits 2 when the file is read, not on a sibling's run
            from accelopt.predict.calibration import catalog_reference

            catalog_reference(out[name].reference_device, f"{t.where}: [serving.{name}]", t.match)
    return out


def calibration_for_spec(spec: AcceleratorSpec, calibration: ServingCalibration = DEFAULT_CALIBRATION,
                         path: str | None = None, engine: str | None = None) -> ServingCalibration:
    """The calibration a prediction on `spec` uses: `calibration` when the caller gave one; else
    MEASURED_CALIBRATION for a measured spec, else the `[serving.NAME]` table matching the device, with its
    `[serving.NAME.engine.ENGINE]` overlay for `engine` where it has one (with_engine). The one path `plan serve`,
    its JSON and HTML, and `validate --serving` take to a table."""
    if calibration is not DEFAULT_CALIBRATION:
        return calibration
    if spec.measured:
        return MEASURED_CALIBRATION
    from accelopt.predict.calibration import load_serving_tables, serving_table_for

    table = serving_table_for(spec, load_serving_tables(path))
    return with_engine(serving_calibrations(path)[table.name], engine, path)


def with_engine(cal: ServingCalibration, engine: str | None, path: str | None = None) -> ServingCalibration:
    """`cal` with the engine-dependent fields of its table's `[serving.NAME.engine.ENGINE]` overlay for `engine`
    (calibration.ENGINE_FIELDS), its `engine` and `engine_fitted_on` set and its fitted_on the table's rows and the
    overlay's; `cal` as it is where the table has no overlay for the engine (or no engine is said)."""
    if not engine:
        return cal
    from accelopt.predict.calibration import load_serving_tables

    table = load_serving_tables(path).get(cal.family)
    overlay = table.engines.get(engine) if table is not None and table.where == cal.table_file else None
    if overlay is None:
        return cal
    costs: dict[str, Any] = dict(overlay.values)  # ENGINE_FIELDS only (calibration._engine_overlay checks)
    try:
        return replace(cal, engine=engine, engine_fitted_on=overlay.fitted_on,
                       fitted_on=(*cal.fitted_on, *overlay.fitted_on), **costs)
    except InputError as e:  # name the file and overlay of the bad value
        raise InputError(f"{overlay.where}: [serving.{overlay.name}]: {e.problem}", e.fix) from None


def fitted_engines(cal: ServingCalibration) -> tuple[str, ...]:
    """The engines of the bundled runs `cal`'s table (without its overlay) was fitted on, in file order; () where
    none of its fitted_on is a bundled row (a user's table fitted on the user's runs)."""
    from accelopt.predict.serving_validation import read_serving_runs  # (it imports this module)

    own = set(cal.fitted_on) - set(cal.engine_fitted_on)
    return tuple(dict.fromkeys(r["engine"] for r in read_serving_runs()[0] if r["id"] in own))


def engine_overlay_note(cal: ServingCalibration, engine: str | None) -> str | None:
    """'engine vllm: no calibration of its own on nvidia-hopper; ...' where `engine` runs on a fitted table that has
    no overlay for it and was fitted on other engines' rows: its per-step / per-request costs are then another
    engine's (ut4srv, 2026-12-06: vLLM and SGLang on Hopper run whole decode steps below the 4.5 ms TensorRT-LLM's
    rows set); None where the overlay applies, no engine is said, the table is not fitted (its caption says
    'uncalibrated') or it was fitted on that engine's rows."""
    if not engine or cal.engine or not cal.fitted or cal.derived_from:
        return None
    engines = fitted_engines(cal)
    if engine in engines:
        return None
    on = f", fitted on {' / '.join(engines)} rows" if engines else ""
    return (f"engine {engine}: no calibration of its own on {cal.family}; per-step / per-request costs "
            f"(per_step_overhead_s {cal.per_step_overhead_s * 1e3:g} ms, per_request_overhead_s "
            f"{cal.per_request_overhead_s * 1e3:g} ms) are the family's{on}; to give it its own, add a "
            f"[serving.{cal.family}.engine.{engine}] table (per_step_overhead_s, per_request_overhead_s, fitted_on: "
            f"the ids of your {engine} runs) to a file given as --calibration")


def engine_calibration(spec: AcceleratorSpec, *, memory_utilization: float | None = None,
                       memory_basis: str | None = None, max_prefill_chunk_tokens: int | None = None,
                       max_batch_size: int | None = None, path: str | None = None,
                       measured_link: comm.MeasuredLink | None = None,
                       tp_allreduce: str | None = None, int4_group_size: int | None = None,
                       pp_microbatches: int | None = None,
                       max_batch_size_per_microbatch: bool | None = None,
                       per_layer_overhead: bool | None = None,
                       fp4_mla_kv_pools: bool | None = None,
                       pp_host_loop: bool | None = None,
                       token_buckets: str | None = None, engine: str | None = None) -> ServingCalibration:
    """The calibration `plan serve` uses on `spec` (the `[serving.*]` tables of `path` replacing the bundled ones
    by name, when given), with the engine settings (--pp-microbatches among them), the checkpoint's int4 group size
    (--int4-group-size) and the measured link (--collectives) a user gave (None: the default)."""
    from accelopt.predict.serving_validation import published_runs_of  # (it imports this module)

    cal = calibration_for_spec(spec, path=path, engine=engine)
    if cal.table_file == BUNDLED_TABLE_FILE:  # a user's table (--calibration) says what it was fitted on, not us
        cal = replace(cal, published_runs_of_device=published_runs_of(spec.name))
    given: dict[str, Any] = {"memory_utilization": memory_utilization, "memory_basis": memory_basis,
                             "max_prefill_chunk_tokens": max_prefill_chunk_tokens, "max_batch_size": max_batch_size,
                             "measured_link": measured_link, "tp_allreduce": tp_allreduce,
                             "int4_group_size": int4_group_size, "pp_microbatches": pp_microbatches,
                             "max_batch_size_per_microbatch": max_batch_size_per_microbatch,
                             "per_layer_overhead": per_layer_overhead, "fp4_mla_kv_pools": fp4_mla_kv_pools,
                             "pp_host_loop": pp_host_loop, "token_buckets": token_buckets}
    return replace(cal, **{k: v for k, v in given.items() if v is not None})


@dataclass(frozen=True, kw_only=True)
class PhaseTime:
    """One phase's roofline terms, seconds (over all pipeline stages, for one replica)."""

    compute_s: float = unit("s")
    memory_s: float = unit("s")
    comm_s: float = unit("s")
    overhead_s: float = unit("s", default=0.0)
    """Per-forward overheads (calibration step_overhead_s x forwards: per_step_overhead_s, per layer on an engine
    that launches every layer from the host)."""
    launch_floor_s: float = unit("s", default=0.0)
    """The forwards' kernel-launch floor, a lower bound on the roofline term (launch_floor.forward_floor_s x
    forwards) on an NVIDIA GPU, under any `[serving.*]` table; 0 where none applies (no sourced floor for the
    device). total_s = roof_s + comm_s + overhead_s."""
    total_s: float = unit("s")

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"bound": ""}

    @property
    def roof_s(self) -> float:
        """The kernels' time: the roofline's larger term, at least the launch floor."""
        return max(self.compute_s, self.memory_s, self.launch_floor_s)

    @property
    def bound(self) -> str:
        """'compute' or 'memory': the larger roofline term (communication is reported on its own); 'launch' where
        the launch floor exceeds both (a forward of so small a model is bounded by its kernels' launches)."""
        if self.launch_floor_s > max(self.compute_s, self.memory_s):
            return "launch"
        return "compute" if self.compute_s >= self.memory_s else "memory"


@dataclass(frozen=True, kw_only=True)
class ServingPrediction:
    """Predicted serving figures for one model, device, layout and batch (all estimates)."""

    model: str
    device: str
    tp: int = unit("count")
    pp: int = unit("count")
    pp_microbatches: int = unit("count", default=1)
    """Micro-batches of ceil(batch / pp_microbatches) sequences in flight over the pp stages (1: none, or pp 1);
    prefill, decode_step, TPOT and the throughputs are the pipelined ones (serving._pipelined)."""
    n_devices: int = unit("count")
    batch: int = unit("count")
    prompt_len: int = unit("count")
    output_len: int = unit("count")
    weight_dtype: str
    """Linear layers' weights (attention, dense MLP, shared and, unless expert_weight_dtype, routed experts);
    embeddings and the LM head stay 16-bit."""
    expert_weight_dtype: str | None = None
    """The routed experts' weights (--expert-weight-dtype) when they differ from weight_dtype; None otherwise."""
    kv_dtype: str
    compute_dtype: str
    """The dtype of the peak the linear GEMMs run at (nvfp4/mxfp4 weights without an fp4 peak: 16-bit)."""
    expert_compute_dtype: str | None = None
    """The same for the routed experts, when expert_weight_dtype is given; None otherwise."""
    scheduling: str = "static"
    """'static' (the batch starts together), 'continuous' (`batch` requests in flight, staggered) or 'waves' (a
    closed loop of fixed-length requests at max load, `--batch max`: static batches one after another, a pipeline
    kept full between them)."""
    ttft_s: float = unit("s")
    """Time to first token (estimate): static, the request overhead + prefill of the whole batch; continuous, the
    request overhead + half a decode step + this request's prefill, and with one output token (no request decodes)
    the static figure (+ queue_wait_s at a request rate)."""
    request_rate_per_s: float | None = unit("Hz", default=None)
    """The request rate this point was predicted for (None: a given batch or concurrency)."""
    queue_wait_s: float = unit("s", default=0.0)
    """Mean wait in the queue before prefill at `request_rate_per_s` (part of ttft_s)."""
    tpot_s: float = unit("s")
    """Time per output token after the first: (E2E - TTFT) / (output - 1), as vLLM benchmark_serving and
    trtllm-bench report it (estimate); static, the mean decode step; continuous, the mean decode step plus the
    other in-flight requests' prefills that stall this request's decode, spread over its output tokens."""
    e2e_latency_s: float = unit("s")
    decode_tokens_per_s: float = unit("tok/s")
    """Output tokens/s of one replica while decoding: batch / mean decode step (no prefill stalls); a finite run's
    (`requests`): its output tokens over its waves' decode time."""
    output_tokens_per_s: float = unit("tok/s")
    """Output tokens/s of one replica over the whole request (prefill and the calibration's per-request overhead
    included)."""
    output_tokens_per_s_per_device: float = unit("tok/s")
    prefill: PhaseTime
    decode_step: PhaseTime
    """One decode step at the mean decode context (with pp_microbatches > 1: one micro-batch's pass through the
    stages, stretched to the pipeline's cycle where the busiest stage sets it)."""
    kv_cache_bytes_per_token: float = unit("B")
    """Whole model, all layers, all KV heads, for one token, before sliding windows cap the cache: a windowed layer
    keeps at most `window` tokens (kv_cache_bytes, kv_cache_bytes_per_device apply the cap)."""
    weights_bytes_per_device: float = unit("B")
    kv_cache_bytes_per_device: float = unit("B")
    workspace_bytes_per_device: float = unit("B")
    memory_bytes_per_device: float = unit("B")
    usable_memory_bytes_per_device: float = unit("B")
    fits: bool
    max_batch: int = unit("count")
    """Largest batch whose weights + KV cache + workspace fit (0: not even batch 1)."""
    usd_per_million_output_tokens: float | None = unit("USD")
    """None when the device has no price (give --price-usd-per-hour)."""
    energy_j_per_output_token: float | None = unit("J")
    """Estimate from the device power model; None without a TDP."""
    calibration: ServingCalibration = field(default=DEFAULT_CALIBRATION)
    assumed: tuple[comm.Assumption, ...] = ()
    """Defaults used for link figures the device spec lacks (printed beside the result)."""
    moe: MoEServing | None = None
    """Expert / attention-data parallelism figures (serving_moe); None for plain tensor parallelism."""
    tpot_p50_s: float | None = unit("s", default=None)
    """With token buckets (calibration.token_buckets): the median decode step of a request (the AWS Neuron tables'
    'TPOT Latency P50'), a step at the bucket most steps run; tpot_s stays the mean. None without buckets."""
    pp_host_round_s: float = unit("s", default=0.0)
    """Host seconds each round of the engine's blocking pipeline-parallel loop adds (calibration.pp_host_round_s:
    pp_host_per_request_s x batch, with --pp > 1 on an engine with that loop; 0 otherwise): in tpot_s, decode steps,
    ttft_s (the first token comes back through the loop too) and the throughputs, not in decode_step (the devices')."""
    requests: int | None = unit("count", default=None)
    """A finite max-load run's requests (--requests, finite_run): served in waves of `batch`, the last holding what
    is left (last_wave_batch); decode_tokens_per_s, output_tokens_per_s, its per-device figure and the cost and
    energy per token are then the whole run's. None: an endless run of steady waves (--batch max alone)."""
    last_wave_batch: int | None = unit("count", default=None)
    """The requests of a finite run's last wave (= batch where `batch` divides `requests`); None without requests."""
    lengths_run: LengthsRun | None = None
    """--lengths FILE: the run of requests of different lengths (predict.serving_lengths), whose means are then
    ttft_s, tpot_s and e2e_latency_s and whose throughput the throughputs are (`requests` its requests; batch, the
    memory, the prefill and decode_step those of `--batch max --requests N` at the mean lengths: a full wave's, or
    all N's where one wave holds them); None otherwise."""
    decode_weight_rate: decode_gemm.DecodeWeightRate | None = None
    """The decode step's weight reads at the device's measured GEMM rate at its batch (predict/data/
    measured_decode_gemm.csv, interpolated in log M); None: at the table's decode_bandwidth_efficiency."""
    estimate: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["prefill"]["bound"] = self.prefill.bound
        d["decode_step"]["bound"] = self.decode_step.bound
        return d


@dataclass(frozen=True, kw_only=True)
class ServeSweep:
    """One device's batch sweep, as `plan serve` reports it."""

    device: str
    model: str
    tp: int = unit("count")
    pp: int = unit("count")
    max_batch: int = unit("count", "largest batch that fits")
    decode_ridge_batch: int | None = unit("count", "smallest batch at which decode is compute-bound (null: none)")
    calibration: ServingCalibration
    points: list[ServingPrediction]

    @classmethod
    def of(cls, s: BatchSweep) -> ServeSweep:
        first = s.points[0]
        return cls(device=first.device, model=first.model, tp=first.tp, pp=first.pp, max_batch=s.max_batch,
                   decode_ridge_batch=s.ridge_batch, calibration=first.calibration, points=list(s.points))


@dataclass(frozen=True, kw_only=True)
class ServeMemory:
    """Memory per device of a serving request on a device where not even one request fits: the figures the error's
    text gives in GiB, in bytes (as each point's memory fields)."""

    batch: int = unit("count")
    """The requests counted: the requested --batch / --concurrency (1 when none is given)."""
    weights_bytes_per_device: float = unit("B")
    kv_cache_bytes_per_device: float = unit("B")
    """The KV cache of `batch` requests at prompt + output tokens."""
    workspace_bytes_per_device: float = unit("B")
    """The runtime workspace at `batch` (the problem's text names batch 1's beside the weights)."""
    memory_bytes_per_device: float = unit("B")
    """weights + KV cache + workspace."""
    usable_memory_bytes_per_device: float = unit("B")
    """What the engine's memory rule leaves for them (its fraction of the capacity)."""


@dataclass(frozen=True, kw_only=True)
class ServeError:
    """A device on which the model cannot be served, or a request it cannot serve beside the points it shows (a
    requested batch over its memory, a --rate beyond what it completes: why the command exits 2); problem and fix,
    as the CLI prints them."""

    device: str
    problem: str
    fix: str
    memory: ServeMemory | None = None
    """Where not even one request fits the device (no points shown): the memory terms the problem names, as
    numbers (null for the other errors: their points carry them)."""


class NothingFitsError(InfeasibleError):
    """Not even one request fits the device: the problem and fix, and the memory terms as numbers."""

    def __init__(self, problem: str, fix: str, *, memory: ServeMemory) -> None:
        super().__init__(problem, fix)
        self.memory = memory


@dataclass(frozen=True, kw_only=True)
class ServeResult:
    """`accelopt plan serve`: serving latency, throughput, memory, cost and energy per batch (estimates)."""

    SCHEMA_KIND: ClassVar[str] = "plan-serve"
    SCHEMA_VERSION: ClassVar[int] = 21
    # 3 added calibration.published_runs_of_device; 4 calibration.tp_allreduce (a default: older documents read);
    # 5 points[].expert_weight_dtype and expert_compute_dtype (defaults null); 6 input_warnings (a default: []);
    # 7 points[].pp_microbatches (default 1) and calibration.pp_microbatches (default null);
    # 8 calibration.max_batch_size_per_microbatch (default null); 9 points[].prefill / decode_step.launch_floor_s
    # (default 0) and their bound 'launch' (a fitted NVIDIA table's launch floor, srvfit; any table's since srv2);
    # 10 calibration.int8_weight_only_bandwidth_ratio (default 1.0); 11 errors[].memory (the memory terms where not
    # one request fits, as numbers; default null); 12 calibration.per_step_overhead_layers (default null) and
    # calibration.per_layer_overhead (default false): the per-forward overhead charged per layer (srvlayer);
    # 13 points[].requests and last_wave_batch (--requests: a finite max-load run's waves, rwaves; defaults null)
    # 14 model (the model's name at the top, in a document whose results are empty too; default '')
    # 15 calibration.fp4_mla_kv_pools (default false): an MLA model's NVFP4 KV cache counted in TensorRT-LLM's FP4
    # MLA layout (utserve, 2026-12-06)
    # 16 calibration.pp_host_per_request_s (default 0) and pp_host_loop (default false), points[].pp_host_round_s
    # (default 0): the host time a round of TensorRT-LLM's blocking PP loop adds per request in flight (rpphost)
    # 17 calibration.derived_from, derived_fields, derived_on (defaults '' / []): a [serving.*] table derived from a
    # measurement, not fitted (rmi355)
    # 18 calibration.token_buckets and points[].tpot_p50_s (defaults null): --token-buckets, each decode step at its
    # token bucket's length and the median step beside the mean TPOT (rtrn4)
    # 19 points[].lengths_run (default null): --lengths FILE, requests of different lengths under continuous
    # batching, TTFT / TPOT / E2E as mean, p50, p90, p99 (pvar)
    # 20 points[].decode_weight_rate (default null): the decode step's weights read at the device's measured GEMM rate
    # at its batch (predict/data/measured_decode_gemm.csv; rt4)
    # 21 calibration.engine and engine_fitted_on (defaults '' / []): the [serving.NAME.engine.ENGINE] overlay whose
    # per-step / per-request costs the prediction took (peng, 2026-12-06)
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
    """2: each point carries `moe` (expert / attention-data parallelism, null for tensor parallelism only)."""

    results: list[ServeSweep]
    errors: list[ServeError]
    model: str = ""
    """The model served, as each result's `model` names it; there also when no device can hold it (`results`
    empty), so that `history compare` can tell two runs of different models apart ('' before version 14)."""
    unused_config_keys: list[str] = field(default_factory=list)
    """Keys of a Hugging Face config.json the model builder did not use."""
    measured_link: comm.MeasuredLink | None = None
    """The scale-up link measured by `probe --collectives` (--collectives FILE) used in place of the catalog's."""
    notes: list[str] = field(default_factory=list)
    """The lines printed under the tables: what a group reaches of a measured link on a switchless domain, a
    --collectives without effect, a prompt + output beyond the model's positions (or within them only through
    rope scaling)."""
    input_warnings: list[str] = field(default_factory=list)
    """Warnings about the command's inputs that nothing else in the result shows, as the console prints them on
    stderr: a --hardware spec `probe` measured on a busy machine, a --calibration file's [family.*] tables (serving
    reads only its [serving.*] tables)."""
    estimate: bool = True


# ---------------------------------------------------------------------------------------------
# Bytes


def weight_bytes_per_param(weight_dtype: str, cal: ServingCalibration = DEFAULT_CALIBRATION) -> float:
    """Stored bytes per linear-layer weight. int4 adds, per group of int4_group_size weights, one fp16 scale and one
    4-bit zero point (AWQ/GPTQ layout: AutoAWQ awq/modules/linear/gemm.py WQLinear_GEMM at
    030fe2a15b959425d278de8121f03ed895e3b10c registers qweight (in, out/8) int32, qzeros (in/group, out/8) int32 and
    scales (in/group, out) fp16), 0.5 + 2.5/128 = 0.5195 B at group 128; nvfp4 is
    0.5 B + one FP8 E4M3 scale per 16 weights = 0.5625 B, mxfp4 0.5 B + one E8M0 scale per 32 = 0.53125 B
    (compute.FP4_OPERAND_BYTES: NVIDIA, "Introducing NVFP4", 2025; OCP MX v1.0 sec. 5). NVFP4's one fp32 scale per
    tensor (4 B per weight matrix) is left out: under 1e-6 of the bytes of any model here."""
    _check_dtype("--weight-dtype", weight_dtype, WEIGHT_DTYPES)
    if weight_dtype in FP4_OPERAND_BYTES:
        return FP4_OPERAND_BYTES[weight_dtype]
    b = DTYPE_BYTES["int8" if weight_dtype == "w8a8" else weight_dtype]
    if weight_dtype == "int4":
        b += (2.0 + 0.5) / cal.int4_group_size  # fp16 scale + packed 4-bit zero point per group
    return b


def int4_input_widths(model: TransformerConfig, weight_dtype: str, moe: MoELayout = NO_MOE) -> dict[str, int]:
    """The input widths (what an int4 group runs along) of the linear layers whose weights are int4, by role: the
    residual stream's (q/k/v, MLA's down-projections, gate/up) `hidden`; the out-projection's `o_width`; MLA's
    up-projections' latent ranks; the MLP down-projection's `ffn` (the first dense layers' dense_ffn); only the
    routed experts' (hidden, ffn) under --expert-weight-dtype int4 with other weights. Empty: nothing is int4."""
    dense, experts = weight_dtype == "int4", model.is_moe and expert_dtype(weight_dtype, moe) == "int4"
    widths: dict[str, int] = {}
    if dense or experts:
        widths["hidden"] = model.hidden
    if dense:
        widths["attention output"] = model.o_width
        if model.mla is not None:
            widths |= {"kv_lora_rank": model.mla.kv_lora_rank}
            widths |= {"q_lora_rank": model.mla.q_lora_rank} if model.mla.q_lora_rank else {}
        if not model.is_moe:
            widths["MLP"] = model.ffn
        elif model.first_dense_layers:
            widths["dense MLP"] = model.dense_ffn or model.ffn
    if experts:
        widths["expert MLP"] = model.ffn
    return widths


def int4_rank_widths(model: TransformerConfig, weight_dtype: str, moe: MoELayout = NO_MOE,
                     tp: int = 1) -> dict[str, int]:
    """The input widths one tensor-parallel rank holds of the int4 row-parallel layers (the out-projection and the
    MLP down-projections, split along their input by Megatron TP, Shoeybi et al. 2019 sec. 3), where tp > 1 splits
    them evenly; the routed experts' only under plain TP (no expert parallelism). Empty at tp 1."""
    if tp == 1:
        return {}
    full = int4_input_widths(model, weight_dtype, moe)
    split = ["attention output", "MLP", "dense MLP"] + ([] if moe.active else ["expert MLP"])
    return {k: full[k] // tp for k in split if k in full and full[k] % tp == 0}


def int4_group_problem(model: TransformerConfig, group: int, weight_dtype: str,
                       moe: MoELayout = NO_MOE, tp: int = 1) -> tuple[str, str] | None:
    """(problem, fix) for an int4 group size no checkpoint of `model` can have, or one the engine cannot split over
    `tp` ranks; None where it can. A group of weights shares one scale along a layer's input, so each int4 layer's
    input width is a whole number of groups: AutoAWQ and GPTQ quantize in_features / group_size groups, and vLLM
    refuses a checkpoint whose layer input, per tensor-parallel rank, is not a multiple of its group_size
    (vllm/model_executor/layers/quantization/awq.py AWQLinearMethod.create_weights: 'The input size is not aligned
    with the quantized weight shape. This can be caused by too large tensor parallel size.'). A per-channel
    checkpoint (one scale per output row, GPTQ's group_size -1, TensorRT-LLM's --weight_only_precision int4) is
    written as one layer's input width: accepted (its scales are then counted at one per that many weights in every
    layer). `plan serve --int4-group-size` and a serving runs file's int4_group_size cell are checked here, both."""
    widths = int4_input_widths(model, weight_dtype, moe)
    if not widths or group in widths.values():
        return None
    named = ", ".join(f"{k} {v}" for k, v in widths.items())
    if all(w % group == 0 for w in widths.values()):
        ranks = int4_rank_widths(model, weight_dtype, moe, tp)
        if all(w % group == 0 for w in ranks.values()):
            return None
        per = ", ".join(f"{k} {v}" for k, v in ranks.items())
        common = math.gcd(*ranks.values(), *widths.values())
        return (f"does not divide the input width per tensor-parallel rank of {model.name}'s int4 row-parallel "
                f"layers at tp {tp} ({per}): each rank holds a whole number of groups of a layer's input, so vLLM "
                "refuses such a layout ('This can be caused by too large tensor parallel size')",
                f"give a smaller tp, or a group size that divides {common} (e.g. {math.gcd(common, 128)})")
    # at tp > 1 the suggested group must also split into the row-parallel layers' per-rank inputs
    common = math.gcd(*widths.values(), *int4_rank_widths(model, weight_dtype, moe, tp).values())
    example = math.gcd(common, 128)  # AWQ/GPTQ's default 128 where it divides every width
    why = (f"is larger than every input width of {model.name}'s int4 layers ({named})" if group > max(widths.values())
           else f"does not divide the input width of {model.name}'s int4 layers ({named})")
    return (f"{why}: a group of weights shares one scale along a layer's input, so each width must be a whole number "
            "of groups (vLLM's AWQ/GPTQ loaders refuse such a checkpoint)",
            f"give the checkpoint's group size, one that divides {common} (e.g. {example}"
            f"{', AWQ/GPTQ' + chr(39) + 's default' if example == 128 else ''}), "
            f"or one layer's width (e.g. {model.hidden}) for a per-channel checkpoint")


def kv_cache_bytes_per_token(model: TransformerConfig, kv_dtype: str = "bf16",
                             cal: ServingCalibration | None = None) -> float:
    """K and V for every layer and KV head: 2 x layers x kv_heads x head_dim x bytes (MLA: layers x
    (kv_lora_rank + qk_rope_head_dim) x bytes; an NVFP4 one in TensorRT-LLM's FP4 MLA layout where
    cal.fp4_mla_kv_pools, fp4_mla_kv_bytes_per_token_layer), before a sliding window caps a layer's tokens.

    Pope et al. 2022 sec. 3.1; Kwon et al. 2023 (vLLM) sec. 3. Llama-2-7B in bf16:
    2 x 32 x 32 x 128 x 2 = 524288 B = 0.5 MiB per token. DeepSeek-V3 (MLA): 61 x 576 x 2 = 70272 B.
    """
    check_kv_dtype(kv_dtype)
    if fp4_mla_layout(model, kv_dtype, cal):
        return float(model.layers * fp4_mla_kv_bytes_per_token_layer(model))
    return float(model.layers * model.kv_cache_elems_per_token_layer() * kv_bytes_per_value(kv_dtype))


def fp4_mla_layout(model: TransformerConfig, kv_dtype: str, cal: ServingCalibration | None) -> bool:
    """An MLA model's NVFP4 KV cache kept in TensorRT-LLM's FP4 MLA layout (cal.fp4_mla_kv_pools: --engine trtllm)."""
    return kv_dtype == "nvfp4" and model.mla is not None and cal is not None and cal.fp4_mla_kv_pools


# TensorRT-LLM's FP4 MLA cache (TRTLLM_FP4_MLA_POOLS): tensorrt_llm/_torch/attention_backend/fp4_mla/__init__.py at
# b3aeda520569dc6617c6d2de5b0df4275a00786b: FP4_MLA_K_RESIDUAL_DIM = FP4_MLA_Q_RESIDUAL_DIM = 64, FP4_BLOCK_SIZE = 16,
# FP4_MLA_TOKENS_PER_BLOCK = 128 (the only page size its manager takes), HP_BLOCK_SIZE = 16, FP4_MLA_SCALE_ROW_GROUP
# = 128, FP4_MLA_SCALE_COL_GROUP = 4; get_fp4_mla_v_scale_pool_size(v_head_dim, page) = ceil(v_head_dim / 128) x
# ceil(ceil(page / 16) / 4) x 32 x 16 scale bytes a page.
FP4_MLA_K_RESIDUAL_DIM = 64
FP4_MLA_BLOCK = 16
FP4_MLA_TOKENS_PER_PAGE = 128
FP4_MLA_HP_RING_TOKENS = 16
"""The BF16 ring's tokens a sequence and layer (HP_BLOCK_SIZE; + tokens_per_gen_step - 1 with speculative decoding,
which plan serve does not model)."""


def fp4_mla_kv_bytes_per_token_layer(model: TransformerConfig) -> int:
    """Bytes a token and layer in TensorRT-LLM's FP4 MLA cache (Fp4MlaKVCacheManagerV2.get_layer_bytes_per_token,
    Role.ALL, TRTLLM_FP4_MLA_POOLS): the key of latent + rotary key + a 64-value residual at ceil(n/2) B, its FP8
    block scales ceil(n/16) B, and the value scales (grouped along the tokens, swizzled) a page's share. DeepSeek-V3
    (kv_lora_rank 512, rotary 64): n = 640, 320 + 40 + 4096 / 128 = 392 B, against 576 x 0.5625 = 324 B for the
    latent alone. Its packed-V role, kept only by the cutedsl backend without the fused V transpose (the default on
    SM 107 alone), is not counted."""
    assert model.mla is not None
    n = model.mla.cache_width + FP4_MLA_K_RESIDUAL_DIM
    page = FP4_MLA_TOKENS_PER_PAGE
    v_scale_page = (math.ceil(model.mla.kv_lora_rank / 128) * math.ceil(math.ceil(page / FP4_MLA_BLOCK) / 4)
                    * 32 * 16)
    return math.ceil(n / 2) + math.ceil(n / FP4_MLA_BLOCK) + math.ceil(v_scale_page / page)


def fp4_mla_kv_bytes_per_sequence_layer(model: TransformerConfig) -> int:
    """Bytes a sequence and layer of TensorRT-LLM's FP4 MLA BF16 ring (Fp4MlaKVCacheManagerV2._hp_bytes_per_page: a
    sliding layer of HP_BLOCK_SIZE = 16 tokens of the latent + rotary key at 2 B; no speculative rewind):
    DeepSeek-V3: 16 x 576 x 2 = 18,432 B."""
    assert model.mla is not None
    return FP4_MLA_HP_RING_TOKENS * model.mla.cache_width * 2


def kv_bytes_per_value(kv_dtype: str) -> float:
    """Stored bytes per cached K or V value: the dtype's width; nvfp4 0.5 B (a 4-bit E2M1 value) + one FP8 E4M3 scale
    per 16 values = 0.5625 B (compute.FP4_OPERAND_BYTES['nvfp4'], the NVFP4 layout of NVFP4_KV_SOURCE; SGLang's FP4
    KV cache, 'FP4 with block size 16 supports approximately 1.78x more tokens than FP8' = 1 / 0.5625, its
    quantized_kv_cache.md at 03cd2ec4). NVFP4's one FP32 scale per tensor (TensorRT-LLM's per-layer K/V scale) is
    left out: 4 B a layer, not a value. int8 and fp8 scales are not counted (per-tensor in TensorRT-LLM and vLLM's
    fp8; kv_int8_engine_note says it for the per-head ones)."""
    return FP4_OPERAND_BYTES["nvfp4"] if kv_dtype == "nvfp4" else DTYPE_BYTES[kv_dtype]


def cached_tokens_per_layer(model: TransformerConfig, context: float) -> float:
    """Tokens a layer holds in its KV cache at `context`, averaged over layers: `context` on full-attention
    layers, min(context, window) on sliding-window layers (Mistral 7B sec. 2, rolling buffer cache)."""
    frac_win = model.windowed_layers / model.layers
    return float((1 - frac_win) * context + frac_win * model.keys_attended(context, True))


def kv_cache_bytes(model: TransformerConfig, context: float, kv_dtype: str = "bf16") -> float:
    """KV cache of one sequence at `context` tokens, whole model (windows applied)."""
    return kv_cache_bytes_per_token(model, kv_dtype) * cached_tokens_per_layer(model, context)


def _embedding_params(model: TransformerConfig) -> tuple[int, int]:
    """(input-embedding params not shared with the head, a learned position table included: looked up, never
    multiplied; LM-head params)."""
    head = model.vocab * model.hidden
    return (0 if model.tied_embeddings else head) + model.position_params(), head


def _expert_params_total(model: TransformerConfig) -> int:
    """Routed-expert MLP params over all MoE layers (shared experts are always read, so not here)."""
    return model.moe_layers * model.experts * model.mlp_params_per_expert() if model.is_moe else 0


def expert_dtype(weight_dtype: str, moe: MoELayout = NO_MOE) -> str:
    """The routed experts' weight dtype: --expert-weight-dtype (MoELayout.expert_weight_dtype), else weight_dtype."""
    return moe.expert_weight_dtype or weight_dtype


def _weight_bytes_total(model: TransformerConfig, weight_dtype: str, cal: ServingCalibration,
                        moe: MoELayout = NO_MOE) -> float:
    """All weights (every expert). Linear layers in `weight_dtype`, the routed experts in expert_dtype; embeddings
    and the LM head stay 16-bit, as AWQ/GPTQ, the TensorRT-LLM fp8 recipe, DeepSeek-V3's fp8 checkpoint and gpt-oss's
    MXFP4 one (quantization_config.modules_to_not_convert) leave them unquantized."""
    emb_in, head = _embedding_params(model)
    experts = _expert_params_total(model)
    linear = model.params_total() - emb_in - head - experts
    return (linear * weight_bytes_per_param(weight_dtype, cal)
            + experts * weight_bytes_per_param(expert_dtype(weight_dtype, moe), cal) + (emb_in + head) * ACT_BYTES)


def experts_touched(model: TransformerConfig, tokens: int) -> float:
    """Expected distinct routed experts per MoE layer that `tokens` tokens use.

    Each token picks top_k of E experts; assuming uniform, independent routing, an expert is missed by
    one token with probability 1 - k/E, so E_touched = E x (1 - (1 - k/E)^tokens) (balls into bins).
    Real routers are imbalanced, which touches fewer experts: this is an upper bound on bytes read.
    """
    if not model.is_moe:
        return 0.0
    e, k = model.experts, model.top_k
    return e * (1.0 - (1.0 - k / e) ** tokens)


def decode_weight_bytes_read(model: TransformerConfig, batch: int, weight_dtype: str,
                             cal: ServingCalibration = DEFAULT_CALIBRATION, moe: MoELayout = NO_MOE) -> float:
    """Weight bytes one decode step reads (whole model): every non-expert weight, the experts the
    batch touches (see `experts_touched`, in expert_dtype), the LM head; the input embedding reads only `batch`
    rows."""
    emb_in, head = _embedding_params(model)
    experts = _expert_params_total(model)
    non_expert_linear = model.params_total() - emb_in - head - experts
    expert_read = model.moe_layers * experts_touched(model, batch) * model.mlp_params_per_expert()
    return (non_expert_linear * weight_bytes_per_param(weight_dtype, cal)
            + expert_read * weight_bytes_per_param(expert_dtype(weight_dtype, moe), cal) + head * ACT_BYTES)


# ---------------------------------------------------------------------------------------------
# FLOPs


def _matmul_params_per_token(model: TransformerConfig) -> int:
    """Params one token multiplies by (MoE: active experts only), LM head included, lookup excluded."""
    emb_in, _ = _embedding_params(model)
    return model.params_active() - emb_in


def attention_flops_per_token(model: TransformerConfig, context: float) -> float:
    """QK^T and AV for one decoded token over `context` keys: 4 x layers x (heads x head_dim) x context
    (2 x heads x (qk + v) per key in general), with min(context, window) keys on windowed layers.

    Chowdhery et al. 2022 (PaLM), Appendix B (the 12·L·H·Q·T training term is 3x this forward term);
    Kaplan et al. 2020, sec. 2.1. GQA shares K/V but not these FLOPs. MLA decodes in the absorbed form
    (DeepSeek-V2 sec. 2.1.2: W^UK folded into the query, W^UV into the output), attending in the latent space:
    2 x heads x (kv_lora_rank + rope) for the scores and 2 x heads x kv_lora_rank for attention x V per key; the
    folded matrices cost the same 2 x params per token as the up-projections they replace.
    """
    if model.mla is not None:
        per_key = 2.0 * model.heads * (2 * model.mla.kv_lora_rank + model.mla.qk_rope_head_dim)
    else:
        per_key = float(model.attn_core_flops_per_key())
    return per_key * model.layers * cached_tokens_per_layer(model, context)


def _causal_keys_sum(model: TransformerConfig, prompt_len: int) -> float:
    """Sum over prompt positions i = 1..P of the keys position i attends to, averaged over layers:
    P(P+1)/2 on full layers; sum of min(i, w) = w(w+1)/2 + (P - w) w for P > w on windowed layers."""
    full = prompt_len * (prompt_len + 1) / 2.0
    w = model.sliding_window
    if w is None or prompt_len <= w:
        return full
    frac_win = model.windowed_layers / model.layers
    return (1 - frac_win) * full + frac_win * (w * (w + 1) / 2.0 + (prompt_len - w) * w)


def prefill_attention_flops(model: TransformerConfig, batch: int, prompt_len: int) -> float:
    """The attention core's FLOPs in prefilling `batch` prompts (the part of prefill_flops that runs at the
    attention kernel's rate): sum over positions i = 1..P of 4·L·d·i = 4·L·d·P(P+1)/2, i capped at the window on
    sliding-window layers. MLA prefills in the naive up-projected form (per-head K and V of width qk and v;
    DeepSeek-V2 sec. 2.1.2 folds W^UK and W^UV only for decode), not decode's latent-space form, whose
    2 x heads x (2 kv_lora_rank + rope) per key is 3.4x DeepSeek-V2-Lite's naive 2 x heads x (qk + v): taken for
    prefill (until 2026-12-02) it was subtracted from the linear FLOPs, whose term went negative past ~50k tokens."""
    return batch * float(model.attn_core_flops_per_key()) * model.layers * _causal_keys_sum(model, prompt_len)


def prefill_flops(model: TransformerConfig, batch: int, prompt_len: int) -> float:
    """Forward FLOPs of prefilling `batch` prompts: 2 x params per token (Kaplan et al. 2020, sec. 2.1)
    for every prompt token, the LM head for the last token only (the engine samples from it: vLLM
    vllm/v1/worker/gpu_model_runner.py gathers `hidden_states[logits_indices]` before `compute_logits`), and
    causal attention (prefill_attention_flops)."""
    _, head = _embedding_params(model)
    body = _matmul_params_per_token(model) - head
    return batch * (2.0 * body * prompt_len + 2.0 * head) + prefill_attention_flops(model, batch, prompt_len)


def decode_flops_per_step(model: TransformerConfig, batch: int, context: float) -> float:
    """One decode step: batch x (2 x active matmul params + attention over `context`)."""
    return batch * (2.0 * _matmul_params_per_token(model) + attention_flops_per_token(model, context))


# ---------------------------------------------------------------------------------------------
# Links


@dataclass(frozen=True)
class _Link:
    bandwidth_byte_per_s: float
    latency_s: float
    ranks_per_domain: int
    """Of the group the link was picked for, the ranks NCCL's tree all-reduce chains: those of one scale-up domain on
    an NVIDIA or AMD GPU whose engine all-reduces through NCCL/RCCL (ServingCalibration.tp_allreduce 'nccl'), else 1
    (comm.tree_chain_ranks, comm.tree_allreduce_s)."""
    chain_latency_s: float
    """The step latency of the tree's chain steps inside a scale-up domain: the scale-up link's (= latency_s for a
    group inside one domain; latency_s is then the scale-out link's, charged to the tree's steps across domains)."""
    assumed: tuple[comm.Assumption, ...] = ()
    custom: bool = False
    """Whether the engine's own all-reduce kernel runs on this link (custom_allreduce_runs): its all-reduces up to
    CUSTOM_ALLREDUCE_MAX_BYTES are timed by custom_allreduce_s, larger ones by NCCL/RCCL's ring or chain."""
    custom_ratio: float | None = None
    """The rate the engine's kernel moves its bytes at, as a fraction of bandwidth_byte_per_s (custom_allreduce_ratio:
    1 on a PCIe-only link); None: the H100 NVLink fit, CUSTOM_ALLREDUCE_BANDWIDTH_RATIO."""


def _link(spec: AcceleratorSpec, group: int, cal: ServingCalibration, what: str) -> _Link:
    """The link a group of `group` devices talks over (comm.pick_link, the rule training uses too). A link measured
    by `probe --collectives` (`plan serve --collectives`: cal.measured_link; else the spec's own) is used inside the
    scale-up domain as measured, without a bandwidth efficiency: its bus bandwidth is already the rate a collective
    achieves (comm.Links.of does the same for training)."""
    measured = cal.measured_link or comm.measured_of(spec)
    bw, lat, assumed = comm.pick_link(spec, group, measured)
    if not bw:
        raise InfeasibleError(*_no_link(spec, group, what))
    lat = _step_latency_s(lat, assumed, cal)
    in_domain = group <= spec.scaleup_domain_devices
    if measured is not None and in_domain:  # pick_link gave the measured figure (even where the spec lists no link)
        eff = 1.0
    else:
        eff = _link_efficiency(spec, cal, in_domain and spec.scaleup_bandwidth_byte_per_s is not None)
    # NCCL/RCCL chains a domain's ranks: what runs across domains, and above the engine kernel's size limit
    p_in = int(comm.tree_chain_ranks(comm.chains_in_domain(spec), np.asarray([group]), np.asarray([1]),
                                     int(spec.scaleup_domain_devices))[0])
    lat_in = lat if in_domain else _step_latency_s(*comm.pick_link(spec, int(spec.scaleup_domain_devices),
                                                                    measured)[1:], cal)
    return _Link(bw * eff, lat, p_in, lat_in, tuple(assumed), custom_allreduce_runs(spec, group, cal),
                 custom_allreduce_ratio(spec, cal))


def replica_slice_chips(spec: AcceleratorSpec, tp: int, pp: int, moe: MoELayout = NO_MOE) -> int:
    """The chips of the TPU slice one replica runs on: its tp x pp x attention-dp devices, at most one scale-up
    domain (training's slice: the job's chips, or one slice of a multi-slice job; training.evaluate)."""
    return min(tp * pp * moe.attention_dp, max(int(spec.scaleup_domain_devices), 1))


def tp_ici_share(spec: AcceleratorSpec, tp: int, pp: int, moe: MoELayout = NO_MOE) -> float:
    """The share of a TPU chip's ICI the tensor-parallel group has: its own mesh axes' links (comm.ici_shares, the
    rule training's tp collectives follow: 'How to Scale Your Model', sharding.md, 'bytes / (bidirectional ICI
    bandwidth * num_axes)'), the replica's slice (replica_slice_chips) meshed as [the rest, tp]; 1 on any other
    device, a group of one, or a slice whose torus shape is not cited (ici_shape_assumption says so)."""
    if spec.kind != "tpu" or tp <= 1 or tp > spec.scaleup_domain_devices:
        return 1.0
    chips = np.asarray([replica_slice_chips(spec, tp, pp, moe)])
    return float(comm.ici_shares(spec, chips, np.asarray([tp]))[0][0])


def _tp_link(s: _Setup) -> _Link:
    """The link the tensor-parallel all-reduces run on (_link), on a TPU slice cut to the group's own mesh axes'
    share of the chip's ICI (tp_ici_share): the whole ICI charged a v5p tp-4 replica (a 2x2x1 slice) the links of
    the dimension it does not span, as training's collectives were before rtpuaxis."""
    link = _link(s.spec, s.tp, s.cal, "tensor parallelism")
    share = tp_ici_share(s.spec, s.tp, s.pp, s.moe)
    return link if share == 1.0 else replace(link, bandwidth_byte_per_s=link.bandwidth_byte_per_s * share)


def _no_link(spec: AcceleratorSpec, group: int, what: str) -> tuple[str, str]:
    """(problem, fix) where comm.pick_link finds no bandwidth for a group of `group` devices: the spec has no scale-up
    link at all, or the group spans scale-up domains and it has no scale-out one. It said 'the catalog lists no link
    bandwidth' and asked for scaleup_bandwidth_byte_per_s for both, also of a device listing one (MI300X at --tp 16:
    8 per Infinity Fabric domain, no scale-out figure until 2026-12-05; MI350X now, MI325X until utcat cited one)."""
    domain = int(spec.scaleup_domain_devices)
    own = comm.OWN_SPEC
    if spec.scaleup_bandwidth_byte_per_s is None:
        return comm.no_link_problem(spec, what, group), f"use --tp 1 --pp 1, or give scaleup_bandwidth_byte_per_s {own}"
    return (f"{what} over {group} x {spec.name}: {group} devices span {math.ceil(group / domain)} scale-up domains of "
            f"{domain}, and its spec lists no scale-out bandwidth (scaleout_bandwidth_byte_per_s) to link them",
            f"keep {what} within {domain} devices (one domain), or give scaleout_bandwidth_byte_per_s {own}")


def _step_latency_s(lat: float, assumed: list[comm.Assumption], cal: ServingCalibration) -> float:
    """`lat` of comm.pick_link, or the calibration's own latency where pick_link used the default (not a spec
    figure)."""
    if cal.link_step_latency_s is not None and any(a.field.endswith("latency_s") for a in assumed):
        return cal.link_step_latency_s
    return lat


CUSTOM_ALLREDUCE_FIELD = "tp_allreduce_latency_s"
"""The Assumption field of an engine's custom all-reduce (not a spec figure: --tp-allreduce replaces it); value: the
fixed latency per all-reduce used (CUSTOM_ALLREDUCE_LATENCY_S)."""

# vLLM's custom all-reduce kernel (vllm_ops.all_reduce, CustomAllreduce), MEASURED on H100 by the SGLang team:
# sgl-project/sglang PR #2904 "optimize custom allreduce kernel" (github.com/sgl-project/sglang/pull/2904, 2025-01-15),
# "unit test performance in H100 (without cuda graph)", table "vllm", latency (ms) per call at tp 2/4/8 for data sizes
# 512, 4096, 32768, 262144, 524288, 1048576. The test (sgl-kernel/tests/test_trt_reduce.py at 4fd490c, `performance`)
# all-reduces torch.float32 tensors of that many ELEMENTS (4 bytes each) and times 5000 back-to-back calls: the
# message sizes are 2 KiB .. 4 MiB. Without CUDA graphs, so a launch is inside each figure (engines replay decode in
# CUDA graphs: an upper side). Bytes -> seconds per tp:
CUSTOM_ALLREDUCE_MEASURED_BYTES = (2048, 16384, 131072, 1048576, 2097152, 4194304)
CUSTOM_ALLREDUCE_MEASURED_S = {
    2: (9.5e-6, 8.8e-6, 8.7e-6, 12.9e-6, 17.7e-6, 26.6e-6),
    4: (9.1e-6, 8.5e-6, 9.2e-6, 20.6e-6, 26.9e-6, 40.2e-6),
    8: (10.1e-6, 9.3e-6, 11.8e-6, 24.1e-6, 30.4e-6, 45.0e-6),
}
# The fixed latency per call: the smallest message's figure (2 KiB: 9.5 / 9.1 / 10.1 us), the "time of the smallest
# messages" sense of latency (NVIDIA/nccl-tests issue #333: time = latency + size / bandwidth).
CUSTOM_ALLREDUCE_LATENCY_S = {tp: figures[0] for tp, figures in CUSTOM_ALLREDUCE_MEASURED_S.items()}
# The kernel's rate, as a fraction of the rate NCCL's ring reaches on the same link (_Link.bandwidth_byte_per_s: the
# catalog's scale-up bandwidth x the training family's scaleup_bw_eff, or a probed bus bandwidth). FITTED 2026-12-01
# (ampfit, issue 10) by custom_allreduce_bandwidth_fit: the RULE, declared before fitting: time =
# CUSTOM_ALLREDUCE_LATENCY_S[tp] + 2 (tp-1)/tp x bytes / (ratio x 0.8 x 450 GB/s, H100 SXM's NVLink as the catalog
# and [family.nvidia-hopper] give it), ratio on the grid 0.30..1.00 step 0.01, minimising the mean |log(model /
# measured)| over the 9 figures of 1 MiB and above (where the bytes term is most of the time); the 9 smaller figures
# are held out. Result 0.56 (interior; mean |log error| 0.111): the kernel moves bytes at 0.56 x 360 = 202 GB/s of
# bus bandwidth where NCCL's ring is taken at 360. Every one of the 18 figures is within 25% (tolerance stated
# before fitting: the issue's per-row bound), tests/test_serving_custom_allreduce_latency.py.
CUSTOM_ALLREDUCE_BANDWIDTH_RATIO = 0.56
# vLLM CustomAllreduce(max_size=8192 * 1024): a larger all-reduce goes through NCCL (pynccl); its supported world
# sizes are 2, 4, 6 and 8 (vllm/distributed/device_communicators/custom_all_reduce.py, _SUPPORTED_WORLD_SIZES).
CUSTOM_ALLREDUCE_MAX_BYTES = 8 * 2**20
CUSTOM_ALLREDUCE_WORLD_SIZES = (2, 4, 6, 8)
"""Group sizes vLLM's CustomAllreduce all-reduces at (_SUPPORTED_WORLD_SIZES @00d618a; any other size logs 'Custom
allreduce is disabled due to an unsupported world size' and NCCL runs; a later version of the file lists 16, for
all-gather and reduce-scatter over multi-node NVLink, and its should_custom_ar still refuses an all-reduce over more
than 8)."""
PCIE_X16_BYTE_PER_S = 128e9
"""The fastest PCIe link, per direction: PCIe 6.0 x16, 64 GT/s x 16 lanes / 8 bits (PCI-SIG PCIe 6.0 specification,
2022). A spec holds no link type, so a scale-up link no faster than this is read as PCIe-only, where vLLM keeps its
kernel off above 2 ranks (custom_allreduce_skipped); every NVLink / Infinity Fabric domain of the catalog is faster
(V100's NVLink 150 GB/s the slowest), and a probed PCIe box measures well under it."""


def custom_allreduce_latency_s(tp: int) -> float:
    """The fixed latency of one custom all-reduce over `tp` ranks: the measured figure of the smallest measured tp >=
    `tp` (tp 6 takes tp 8's, no tp 6 was measured), else the largest measured (tp 8's, for a domain of more)."""
    measured = sorted(CUSTOM_ALLREDUCE_LATENCY_S)
    return CUSTOM_ALLREDUCE_LATENCY_S[next((t for t in measured if t >= tp), measured[-1])]


def custom_allreduce_s(n_bytes: float, tp: int, nccl_byte_per_s: float,
                       ratio: float = CUSTOM_ALLREDUCE_BANDWIDTH_RATIO) -> float:
    """Seconds of one custom all-reduce of `n_bytes` over `tp` ranks on a link where NCCL's ring reaches
    `nccl_byte_per_s`: the measured fixed latency + the ring's 2 (tp-1)/tp x bytes at `ratio` of that rate."""
    return custom_allreduce_latency_s(tp) + 2 * (tp - 1) / tp * n_bytes / (ratio * nccl_byte_per_s)


def custom_allreduce_bandwidth_fit(link_byte_per_s: float = 0.8 * 450e9) -> tuple[float, float]:
    """(ratio, mean |log error|) of the declared rule above CUSTOM_ALLREDUCE_BANDWIDTH_RATIO, re-run."""
    grid = [round(0.30 + 0.01 * i, 2) for i in range(71)]
    fit = [(n, tp, t) for tp, ts in CUSTOM_ALLREDUCE_MEASURED_S.items()
           for n, t in zip(CUSTOM_ALLREDUCE_MEASURED_BYTES, ts, strict=True) if n >= 2**20]

    def loss(ratio: float) -> float:
        return sum(abs(math.log(custom_allreduce_s(n, tp, link_byte_per_s, ratio) / t)) for n, tp, t in fit) / len(fit)

    best = min(grid, key=loss)
    return best, loss(best)


def pcie_only_link_byte_per_s(spec: AcceleratorSpec, cal: ServingCalibration) -> float | None:
    """The scale-up link's rate (a probed one where given) where it is no faster than PCIe (PCIE_X16_BYTE_PER_S: a
    spec holds no link type), else None: the reading custom_allreduce_skipped and custom_allreduce_ratio share."""
    measured = cal.measured_link or comm.measured_of(spec)
    link_byte_per_s = measured.bandwidth_byte_per_s if measured is not None else spec.scaleup_bandwidth_byte_per_s
    return link_byte_per_s if link_byte_per_s is not None and link_byte_per_s <= PCIE_X16_BYTE_PER_S else None


def custom_allreduce_ratio(spec: AcceleratorSpec, cal: ServingCalibration) -> float:
    """The fraction of NCCL's ring rate the engine's kernel moves its bytes at on `spec`'s scale-up link:
    CUSTOM_ALLREDUCE_BANDWIDTH_RATIO (fitted on H100 NVLink), or 1 on a PCIe-only link (pcie_only_link_byte_per_s).

    Why 1 there (rsrvA, 2026-12-06): on such a link vLLM runs its kernel at 2 ranks only (custom_allreduce_skipped),
    and at 2 ranks it is always the one-stage kernel (csrc/custom_all_reduce.cuh, CustomAllreduce::allreduce,
    REDUCE_CASE: 'if (world_size_ == 2) cross_device_reduce_1stage', vllm-project/vllm@036bb685, the PR #2192 era; the
    same branch in later trees): each rank loads the peer's whole buffer once (packed_reduce over the ranks'
    pointers), n bytes a direction, what NCCL's ring moves at 2 ranks (2 (p-1)/p x n). The fitted 0.56 is the rate
    the kernel's loads reach on H100 NVLink (202 GB/s of bus bandwidth where NCCL's ring is taken at 360; its 36
    blocks x 512 threads of 16-byte loads, 288 KiB in flight); a PCIe link is 1.6x (PCIe 6.0 x16, 128 GB/s) to 13x
    (3.0 x16, 15.75 GB/s) below that, so the link, not the kernel, bounds its bytes, as it bounds NCCL's (how fast
    the loads go at PCIe's longer latency is not measured: an assumption, printed). Not a fit: vLLM PR #2192's
    T4 and A30 pairs (both TP 2 over PCIe) measured the kernel faster than NCCL end to end, where 0.56 made it the
    slower (tests/test_serving_custom_allreduce_a100.py)."""
    return 1.0 if pcie_only_link_byte_per_s(spec, cal) is not None else CUSTOM_ALLREDUCE_BANDWIDTH_RATIO


def custom_allreduce_runs(spec: AcceleratorSpec, group: int, cal: ServingCalibration) -> bool:
    """Whether a tensor-parallel all-reduce over `group` x `spec` runs the engine's own kernel: the engine's setting
    is 'custom', the device is an NVIDIA/AMD GPU (elsewhere the library's all-reduce is timed either way) and vLLM's
    kernel would run for the group (custom_allreduce_skipped)."""
    return (group > 1 and cal.tp_allreduce == "custom" and comm.chains_in_domain(spec)
            and custom_allreduce_skipped(spec, group, cal) is None)


def custom_allreduce_skipped(spec: AcceleratorSpec, tp: int, cal: ServingCalibration) -> str | None:
    """Why vLLM's CustomAllreduce does not all-reduce over `tp` x `spec` (vllm/distributed/device_communicators/
    custom_all_reduce.py @00d618a, CustomAllreduce.__init__ and should_custom_ar), so NCCL/RCCL runs; None where it
    does: the group spans scale-up domains (custom_allreduce_off); its size is not one the kernel supports
    (CUSTOM_ALLREDUCE_WORLD_SIZES); or it is more than 2 GPUs without a full NVLink connection ('not supported on
    more than two PCIe-only GPUs': is_fully_connected reads NVML's NVLink state, a spec its link rate,
    PCIE_X16_BYTE_PER_S)."""
    if custom_allreduce_off(spec, tp):
        return (f"--tp {tp} spans {math.ceil(tp / spec.scaleup_domain_devices)} scale-up domains of "
                f"{spec.scaleup_domain_devices:g} devices: the engine's custom all-reduce runs inside one node only "
                "(vLLM turns it off across nodes)")
    if tp not in CUSTOM_ALLREDUCE_WORLD_SIZES:
        return (f"--tp {tp} is not a group size vLLM's custom all-reduce supports "
                f"({', '.join(map(str, CUSTOM_ALLREDUCE_WORLD_SIZES))}; vLLM turns it off for any other)")
    link_byte_per_s = pcie_only_link_byte_per_s(spec, cal)
    if tp > 2 and link_byte_per_s is not None:
        return (f"its scale-up link, {link_byte_per_s / 1e9:.4g} GB/s, is no faster than PCIe (PCIe 6.0 x16: "
                f"{PCIE_X16_BYTE_PER_S / 1e9:g} GB/s per direction), and vLLM turns its custom all-reduce off on more "
                "than two GPUs without a full NVLink connection ('not supported on more than two PCIe-only GPUs')")
    return None


def custom_allreduce_assumed(spec: AcceleratorSpec, tp: int, cal: ServingCalibration) -> comm.Assumption | None:
    """The figure printed where a tensor-parallel all-reduce is the engine's own kernel (custom_allreduce_runs): vLLM's
    kernel as measured on H100, which on another engine or device is an assumption; value = its fixed latency."""
    if not custom_allreduce_runs(spec, tp, cal):
        return None
    return comm.Assumption(CUSTOM_ALLREDUCE_FIELD, custom_allreduce_latency_s(tp),
                           "the engine's custom all-reduce (vLLM, TensorRT-LLM, SGLang) timed as vLLM's kernel "
                           "measured on 8 x H100 (sgl-project/sglang PR #2904: 9.5/9.1/10.1 µs at tp 2/4/8, 2 KiB) + "
                           f"its bytes at {custom_allreduce_ratio(spec, cal):g} of NCCL's ring rate "
                           f"({CUSTOM_ALLREDUCE_BANDWIDTH_RATIO:g} on NVLink, fitted on those H100 figures; 1 on a "
                           "PCIe-only link: custom_allreduce_ratio), up to 8 MiB "
                           "(NCCL above); --tp-allreduce nccl for NCCL/RCCL's chain", "scale-up")


def custom_allreduce_off(spec: AcceleratorSpec, tp: int) -> bool:
    """Whether a tensor-parallel group of `tp` x `spec` spans more than one scale-up domain, where the engines' own
    all-reduce kernel does not run and the all-reduces go through NCCL/RCCL's ring or tree over the scale-out link
    (`_link`): vLLM's CustomAllreduce turns itself off for a group that is not all on one node ('Custom allreduce is
    disabled because this process group spans across nodes.', and its supported world sizes are 2, 4, 6 and 8:
    vllm/distributed/device_communicators/custom_all_reduce.py @00d618a, CustomAllreduce.__init__)."""
    return tp > spec.scaleup_domain_devices


def custom_allreduce_note(spec: AcceleratorSpec, tp: int, cal: ServingCalibration) -> str | None:
    """The note printed where the engine's custom all-reduce was asked for (its default, or the calibration's) but
    vLLM's kernel would not run for the group (custom_allreduce_skipped: across scale-up domains, an unsupported group
    size, more than 2 PCIe-only GPUs), so NCCL/RCCL's is timed instead; None where it does not apply."""
    if tp <= 1 or cal.tp_allreduce != "custom" or not comm.chains_in_domain(spec):
        return None
    why = custom_allreduce_skipped(spec, tp, cal)
    if why is None:
        return None
    link = "the scale-out link" if custom_allreduce_off(spec, tp) else "the scale-up link"
    return (f"{spec.name}: {why}, so the tensor-parallel all-reduces are timed as NCCL/RCCL's ring or tree over "
            f"{link}")


@functools.lru_cache(maxsize=1)
def _training_families() -> dict[str, Any]:
    from accelopt.predict.calibration import load_calibrations

    return load_calibrations()


def _link_efficiency(spec: AcceleratorSpec, cal: ServingCalibration, inside: bool) -> float:
    """The calibration's own link efficiency, else the training calibration's scaleup_bw_eff / scaleout_bw_eff of
    the device family: the same bandwidth rule as training (predict/data/calibration.toml)."""
    if cal.link_bandwidth_efficiency is not None:
        return cal.link_bandwidth_efficiency
    from accelopt.predict.calibration import calibration_for

    fam = calibration_for(spec, _training_families())
    return fam.scaleup_bw_eff if inside else fam.scaleout_bw_eff


def ring_or_tree_allreduces_s(n_bytes: float, p: int, link: _Link, calls: int = 1) -> float:
    """Seconds of `calls` all-reduces over p devices carrying n_bytes in all (n_bytes / calls each), each timed as
    the faster of a ring and a tree all-reduce on `link` (comm.allreduce_s, the rule training uses: NCCL's tuner
    picks the algorithm per message size; Thakur et al. 2005), or, where the engine's own kernel runs (link.custom)
    and a message is within its size limit, as that kernel (custom_allreduce_s); 0 for p <= 1."""
    if p <= 1:
        return 0.0
    if link.custom and n_bytes / calls <= CUSTOM_ALLREDUCE_MAX_BYTES:  # the engine's own kernel
        ratio = CUSTOM_ALLREDUCE_BANDWIDTH_RATIO if link.custom_ratio is None else link.custom_ratio
        return calls * custom_allreduce_s(n_bytes / calls, p, link.bandwidth_byte_per_s, ratio)
    one = comm.allreduce_s(np.asarray(n_bytes / calls), np.asarray(p), np.asarray(link.bandwidth_byte_per_s),
                           np.asarray(link.latency_s), p_in=np.asarray(link.ranks_per_domain),
                           lat_in=np.asarray(link.chain_latency_s))
    return calls * float(one)


def links_assumed(spec: AcceleratorSpec, tp: int, pp: int, cal: ServingCalibration,
                  moe: MoELayout = NO_MOE, is_moe: bool = True) -> tuple[comm.Assumption, ...]:
    """Defaults the tensor-, pipeline- and expert-parallel links of a layout use (printed beside the result); a dense
    model (`is_moe` False) has no expert exchange, so its attention-DP replicas use no link between them."""
    out: list[comm.Assumption] = []
    for group, used in ((tp, tp > 1), (tp * pp * moe.attention_dp, pp > 1)):
        if used:
            out += [a for a in _link(spec, group, cal, "").assumed if a not in out]
    if is_moe:
        out += [a for a in serving_moe.assumed_links(spec, tp, moe, cal) if a not in out]
    # a TPU tp group inside a larger slice whose torus shape is not cited: given the whole ICI (training's rule)
    chips = replica_slice_chips(spec, tp, pp, moe)
    shape_default = comm.ici_shape_assumption(spec, chips) if 1 < tp < chips else None
    out += [shape_default] if shape_default is not None else []
    if cal.link_step_latency_s is not None:  # the calibration's latency is used, not the default
        out = [a for a in out if not a.field.endswith("latency_s")]
    custom = custom_allreduce_assumed(spec, tp, cal)
    return tuple(out) if custom is None else (*out, custom)


# ---------------------------------------------------------------------------------------------
# Checks


def _check_dtype(what: str, dtype: str, allowed: tuple[str, ...], fix: str = "") -> None:
    if dtype not in allowed:
        raise InputError(f"{what} {dtype!r} is not supported{case_hint(dtype, allowed)}",
                         fix or f"give {what} one of: {', '.join(allowed)} ({dtypes.accepted_spellings(allowed)})")


def attention_peak_note(spec: AcceleratorSpec, weight_dtype: str) -> str | None:
    """The note for a device that lists no 16-bit peak: its attention (16-bit queries, keys and values) is timed at
    the peak its matmuls run at (_setup's attention peak), an assumption printed rather than taken silently."""
    if spec.peak("bf16") is not None or spec.peak("fp16") is not None:
        return None
    return (f"{spec.name} lists no bf16/fp16 peak: its attention (16-bit queries, keys and values) is timed at its "
            f"{compute_dtype_for(spec, weight_dtype)} peak, an assumption (give a bf16 or fp16 peak in its catalog "
            "TOML to replace it)")


KV_FP8_STORAGE_SOURCE = ("vLLM's fp8 KV cache runs so on GPUs without FP8 math, tested on A100: vllm-project/vllm "
                         "PR #2279, 'Support FP8-E5M2 KV Cache'")
TRTLLM_NO_FP8_SOURCE = ("TensorRT-LLM lists no FP8 on Ampere or older (support matrix, v0.18.2: 'Ampere (SM80, SM86) - "
                        "FP32, FP16, BF16, INT8, INT4'; its v0.6.1 performance.md: on A100 'remove --enable_fp8 "
                        "--fp8_kv_cache')")


def kv_fp8_storage_note(spec: AcceleratorSpec, kv_dtype: str) -> str | None:
    """The note for --kv-dtype fp8 on a device whose catalog entry lists no fp8 peak (A100, MI250X, V100): the cache
    is modelled as 8-bit storage (1 B per value) converted to 16 bits inside the attention kernel, which is timed at
    the 16-bit peak as on every device (_setup), a way of running it said rather than taken silently. A TensorRT-LLM
    engine, which has no FP8 there, is refused for such an NVIDIA GPU (kv_device_problem; this note said so until
    utserve, 2026-12-06, with exit 0; its `engine` argument, unused since, went in utleft7). None where the device
    lists an fp8 peak."""
    if kv_dtype != "fp8" or spec.peak("fp8") is not None:
        return None
    return (f"--kv-dtype fp8 on {spec.name}, which lists no fp8 peak: the KV cache is modelled as 8-bit storage "
            f"converted to 16 bits inside the attention kernel ({KV_FP8_STORAGE_SOURCE})")


# An int8 KV cache in the engines that take one with conditions (what `plan serve` models: 1 byte a value, no scales)
VLLM_INT8_KV_SOURCE = ("vLLM's CacheDType lists int8 only as 'int8_per_token_head', in recent versions "
                       "(vllm-project/vllm vllm/config/cache.py at 002f10e0; at c1d86421 it lists auto, bfloat16 and "
                       "the fp8 types alone)")
SGLANG_INT8_KV_SOURCE = ("SGLang's INT8 KV cache (--int8-kv-cache) is 'a phase-1 feature': MHA models only, the Triton "
                         "attention backend only, --page-size 1, stored as int8 plus an FP16 scale and zero point per "
                         "token per head (sgl-project/sglang docs/advanced_features/quantized_kv_cache.md at 03cd2ec4)")


NVFP4_KV_SOURCE = ("TensorRT-LLM's NVFP4 KV cache: nvidia.github.io/TensorRT-LLM 1.3.0rc27 features/quantization.html "
                   "'NVFP4 KV Cache' (offline ModelOpt quantization, then KvCacheConfig(dtype='nvfp4')); NVIDIA's "
                   "blog 'Optimizing Inference for Long Context and Large Batch Sizes with NVFP4 KV Cache' "
                   "(developer.nvidia.com, 2025-12-08): on Blackwell GPUs, the cache dequantized from NVFP4 to FP8 "
                   "before the attention math")
"""Where an NVFP4 KV cache's layout, devices and dequantization come from (kv_device_problem, kv_nvfp4_note)."""
NVFP4_KV_ENGINES = {
    "trtllm": "KvCacheConfig(dtype='nvfp4'), trtllm-serve --kv_cache_dtype nvfp4 (NVIDIA/TensorRT-LLM PR #11487)",
    "vllm": "--kv-cache-dtype nvfp4 (vllm/config/cache.py at 002f10e0: CacheDType 'nvfp4'; 'nvfp4_4over6' uses "
            "the NVFP4 layout, scales per 16 values)",
    "sglang": "--kv-cache-dtype fp4_e2m1, experimental: E2M1 with one 8-bit exponent scale per 16 values, the same "
              "0.5625 B a value (sgl-project/sglang docs/advanced_features/quantized_kv_cache.md at 03cd2ec4); later "
              "versions refuse fp4_e2m1 as deprecated and take --kv-cache-dtype nvfp4 or fp4_mx_block16 "
              "(sgl-project/sglang configure_kv_cache_dtype: '--kv-cache-dtype=fp4_e2m1 is deprecated')",
}
"""The engines with a 4-bit KV cache of NVFP4's bytes, and how each is asked for one (kv_engine_refusal)."""
NVFP4_KV_SM100_ENGINES = {
    "trtllm": ("TensorRT-LLM runs its NVFP4 KV cache through trtllm-gen kernels built for SM100/SM103 only: 'Currently "
               "NVFP4 is only available for SM10X in trtllm-gen' (NVIDIA/TensorRT-LLM issue #10241, 'Add NVFP4 KV "
               "cache support for SM120 in trtllm-gen', put on the roadmap 2026-01-22, still asked for 2026-07-25); "
               "its FP4 MLA kernel 'requires SM100 or SM103' (tensorrt_llm/_torch/attention_backend/fmha/fp4_mla.py "
               "at a78bc11935101aa2522c46aba6658b27c08c72dc, Fp4MlaFmha.is_available)"),
    "vllm": ("vLLM's --kv-cache-dtype nvfp4 'is hard-wired to the SM100 trtllm-gen path and rejected on SM120' "
             "(vllm-project/vllm issue #49011, 2026-07-18; the SM120 pull requests #49818, closed unmerged, and "
             "#54772, open on 2026-09-08)"),
}
"""Engines whose NVFP4 KV cache runs on datacenter Blackwell (compute capability 10.x: b200, gb200, b300, gb300)
only, not on SM120 (rtx-pro-6000-server), with the source; SGLang's fp4_e2m1 cache is quantized and dequantized by
its own PyTorch/Triton code (KVFP4QuantizeUtil, sgl-project/sglang PR #10078), so it is not tied to SM100
(kv_device_problem)."""
NVFP4_KV_DATACENTER_GPUS = ("b200", "gb200", "b300", "gb300")
"""The bundled catalog's datacenter Blackwell GPUs (NVIDIA, an fp4 peak, compute capability 10.x): those every engine
runs an NVFP4 KV cache on (kv_device_problem accepts them with any engine); named in its fixes and in
`plan serve --kv-dtype`'s help (tests/test_serve_kv_nvfp4_gpus_named.py checks the tuple against the catalog)."""
NVFP4_KV_SM120_GPUS = ("rtx-pro-6000-server",)
"""The bundled catalog's SM120 Blackwell GPUs (NVIDIA, an fp4 peak, compute capability 12.x): an NVFP4 KV cache runs
there with SGLang only (NVFP4_KV_SM100_ENGINES)."""
NVFP4_KV_GPUS_TEXT = ", ".join(NVFP4_KV_DATACENTER_GPUS)
NVFP4_KV_VLLM_HEAD_SIZE_SOURCE = ("vLLM's NVFP4 KV cache runs on its TRTLLM attention backend, whose metadata builder "
                                  "raises 'TRTLLM NVFP4 KV cache requires head_size to be a multiple of 16 and <= 256' "
                                  "(a stored copy of vLLM's TRTLLM attention backend, read 2026-12-05, s31 rvkv/fin2; "
                                  "its reshape-and-cache kernel checks 'head_size % 16 == 0' too)")
"""Why vLLM refuses an NVFP4 KV cache for a head size that is not a multiple of 16 or is above 256
(kv_engine_refusal); no preset breaks it, a config.json can."""
NVFP4_KV_VLLM_HEAD_SIZE = (16, 256)
"""(multiple, largest) head size vLLM's NVFP4 KV cache takes (NVFP4_KV_VLLM_HEAD_SIZE_SOURCE)."""
NVFP4_KV_VLLM_MLA_SOURCE = ("vLLM refuses it for a multi-head latent attention model: 'nvfp4 KV cache is not "
                            "supported with MLA (Multi-head Latent Attention) backends' (vllm-project/vllm "
                            "vllm/config/vllm.py at 000fc94b754f66aeb60ef5acf1ea2e94cdc65164, "
                            "VllmConfig.validate_nvfp4_kv_cache_with_mla); its 'nvfp4_ds_mla' cache is the layout of "
                            "the sparse MLA backends (DeepSeek V3.2/V4's sparse attention), which accelopt does not "
                            "model")
NVFP4_KV_TRTLLM_MLA_SOURCE = ("TensorRT-LLM sizes an MLA model's NVFP4 cache as the latent alone (kv_lora_rank + "
                              "qk_rope_head_dim values a token and layer) at ceil(n/2) + ceil(n/16) bytes, 0.5625 B a "
                              "value (NVIDIA/TensorRT-LLM tensorrt_llm/_torch/pyexecutor/kv_cache_manager_v2.py at "
                              "00be09f78ecf0691f2b8e15dea518d1d6468679e, _get_static_cache_size_layer_components), and "
                              "runs it through its FP4 MLA kernel, which requires qk_rope_head_dim 64 "
                              "(FP4_MLA_Q_RESIDUAL_DIM; fmha/fp4_mla.py at a78bc11935101aa2522c46aba6658b27c08c72dc, "
                              "Fp4MlaFmha.is_available)")
"""Where an MLA model's NVFP4 KV cache stands in each engine (kv_engine_refusal, kv_nvfp4_note): vLLM refuses it,
TensorRT-LLM sizes the latent at NVFP4's bytes (what kv_cache_bytes_per_token counts) with a 64-wide rotary key,
SGLang's fp4_e2m1 cache came for MLA first (sgl-project/sglang PR #10078, cited by quantized_kv_cache.md at
03cd2ec4: MLATokenToKVPool with one scale per 16 values, the same 0.5625 B a value)."""
TRTLLM_FP4_MLA_POOLS = ("a 64-value FP4 key residual beside the latent, the value block scales, and a BF16 ring of "
                        "16 tokens (+ the speculative rewind) a sequence and layer: "
                        "tensorrt_llm/_torch/attention_backend/fp4_mla/cache_manager.py at "
                        "2b5d7a1b9883eebb2878f9be709372347f26b149, Fp4MlaKVCacheManagerV2.get_layer_bytes_per_token")
"""What TensorRT-LLM's FP4 MLA kernel keeps beside the NVFP4 latent, said in kv_nvfp4_note: counted with --engine
trtllm (fp4_mla_kv_bytes_per_token_layer, fp4_mla_kv_bytes_per_sequence_layer; the FP4 MLA path requires that
manager's page metadata: 'FP4 MLA requires Fp4MlaKVCacheManagerV2 page metadata', fp4_mla/__init__.py at
b3aeda52), not counted without an engine named."""
SGLANG_FP4_KV_DEQUANT = ("SGLang dequantizes a layer's FP4 cache to 16 bits before its attention kernel reads it "
                         "(sgl-project/sglang python/sglang/srt/mem_cache/memory_pool.py: MHATokenToKVPoolFP4."
                         "_get_key_buffer / _get_value_buffer and the MLA pool's get_key_buffer call "
                         "KVFP4QuantizeUtil.batched_dequantize on the layer's whole buffer), and its "
                         "quantized_kv_cache.md (at 03cd2ec4) warns that a dequantization not fused with the "
                         "attention kernel 'can be extremely slow'")
"""How SGLang's fp4_e2m1 cache is read (kv_nvfp4_note): not inside the attention kernel, as TensorRT-LLM's is
(NVFP4_KV_SOURCE), but by a pass of its own, which the model does not time. Read 2026-12-05 (s31 rvkv) in the
library's stored copy of memory_pool.py (its commit not recorded there)."""
SGLANG_FP4_KV_HOPPER = ("SGLang's attention-backend support matrix (docs.sglang.io/docs/advanced_features/"
                        "attention_backend, 'FP4 KV Cache' column) lists an FP4 KV cache for the Triton, Torch Native, "
                        "FlexAttention, FA4 and TRTLLM MHA backends and the FlashInfer MLA, FlashMLA, Cutlass MLA, "
                        "TRTLLM MLA and FA4 ones, not for FA3, its default on Hopper; FA4 'supports both prefill and "
                        "decode on SM90 (Hopper) and SM100 (Blackwell)' (sgl-project/sgl-project.github.io commit "
                        "e83f1320); its dtype setup checks only torch.float4_e2m1fn_x2, no compute capability "
                        "(python/sglang/srt/mem_cache/kv_cache_dtype.py configure_kv_cache_dtype); on Ampere and Ada "
                        "its MHA default is flashinfer, 'otherwise falls back to triton' (the same page, 'Other "
                        "Architectures (Ampere, Ada)'), and Triton lists an FP4 KV cache")
"""Why `plan serve --kv-dtype nvfp4 --engine sglang` runs on an Ampere, Ada or Hopper GPU (compute capability 8.x or
9.x; kv_device_problem, kv_nvfp4_note): SGLang's FP4 KV cache is quantized and dequantized by its own PyTorch code
(KVFP4QuantizeUtil: torch.compile'd arithmetic on uint8 exponent scales, no FP4 instruction) and read by backends that
run there, with an --attention-backend other than the default. Read 2026-12-06 (utserve, Hopper); Ampere and Ada
added by utleft7 (2026-12-06, rvs32c's note: the argument held there too, and SGLang's Triton backend runs there).
Older GPUs (Volta, Turing: no bf16) are not taken."""
SGLANG_FP4_KV_HOPPER_BACKENDS = ("on Hopper, launch SGLang with --attention-backend triton (or fa4 with --page-size "
                                 "128) for an MHA model, flashmla or flashinfer for an MLA one: its default there, "
                                 "fa3, takes no FP4 KV cache; on Ampere and Ada, --attention-backend triton for an MHA "
                                 "model (the default there, flashinfer, takes none), and for an MLA one FlashInfer MLA "
                                 "is the one backend listing an FP4 KV cache that is not Hopper or Blackwell only (not "
                                 "checked on those GPUs here)")
"""The launch flags a Hopper run of SGLang's FP4 KV cache needs (SGLANG_FP4_KV_HOPPER), said in its note."""
FP4_MLA_ROPE_DIM = 64
"""The rotary key width TensorRT-LLM's FP4 MLA kernel takes (FP4_MLA_Q_RESIDUAL_DIM, NVFP4_KV_TRTLLM_MLA_SOURCE)."""


def kv_int8_engine_note(model: TransformerConfig, kv_dtype: str, engine: str | None) -> str | None:
    """The note for --kv-dtype int8 with --engine vllm or sglang, which take an int8 KV cache only in some versions
    or with conditions (VLLM_INT8_KV_SOURCE, SGLANG_INT8_KV_SOURCE): what is modelled (1 byte a value; the
    per-token-head scales, 4 / head_dim bytes a value with SGLang's two FP16 figures, are not counted) and what the
    engine needs. It was taken without a word (utserve3's leftover). An MLA model with SGLang is refused
    (check_kv_engine). None for any other dtype or engine."""
    if kv_dtype != "int8" or engine not in ("vllm", "sglang"):
        return None
    if engine == "vllm":
        return (f"--kv-dtype int8 with --engine vllm: {VLLM_INT8_KV_SOURCE}; modelled as 1 byte a value, the "
                "per-token-head scales not counted (use that vLLM's --kv-cache-dtype int8_per_token_head, or "
                "--kv-dtype fp8 for vLLM's fp8 cache)")
    return (f"--kv-dtype int8 with --engine sglang: {SGLANG_INT8_KV_SOURCE}; modelled as 1 byte a value, the scale "
            f"and zero point (4 B a token a head: {4 / model.head_dim:.1%} more at head dim {model.head_dim}) not "
            "counted, and timed as any other attention kernel (not the Triton backend's own rate)")


def kv_engine_refusal(model: TransformerConfig, kv_dtype: str, engine: str | None, *, kv: str = "--kv-dtype",
                      engine_flag: str = "--engine") -> tuple[str, str] | None:
    """(why, fix) where the engine cannot run that KV cache for this model, None where it can: --kv-dtype int8 with
    --engine sglang for an MLA model, as SGLang's int8 KV cache runs MHA models only (SGLANG_INT8_KV_SOURCE);
    --kv-dtype nvfp4 with --engine vllm for a head size vLLM's NVFP4 cache does not take (NVFP4_KV_VLLM_HEAD_SIZE). `kv`
    and `engine_flag` name where the two come from in the fix (plan serve's flags, a runs-file row's cells)."""
    if kv_dtype == "int8" and engine == "sglang" and model.mla is not None:
        return (f"{model.name} uses multi-head latent attention, and {SGLANG_INT8_KV_SOURCE}",
                f"use {kv} fp8 (SGLang's fp8_e4m3 / fp8_e5m2 cache) or bf16, or another {engine_flag}")
    if kv_dtype == "nvfp4" and engine is not None and engine not in NVFP4_KV_ENGINES:
        return (f"{engine} has no NVFP4 KV cache (the engines that run one: "
                f"{', '.join(f'{e}: {how}' for e, how in NVFP4_KV_ENGINES.items())})",
                f"use {kv} fp8 or bf16 with {engine}, or {engine_flag} {' or '.join(NVFP4_KV_ENGINES)}")
    step, most = NVFP4_KV_VLLM_HEAD_SIZE
    if (kv_dtype == "nvfp4" and engine == "vllm" and model.mla is None
            and (model.head_dim % step != 0 or model.head_dim > most)):
        others = " or ".join(e for e in NVFP4_KV_ENGINES if e != engine)
        return (f"{model.name} has head size {model.head_dim}, where vLLM's NVFP4 KV cache takes a multiple of {step} "
                f"and at most {most} ({NVFP4_KV_VLLM_HEAD_SIZE_SOURCE})",
                f"use {kv} fp8 or bf16 with {engine}, or {engine_flag} {others}")
    if kv_dtype == "nvfp4" and model.mla is not None:
        others = " or ".join(e for e in NVFP4_KV_ENGINES if nvfp4_mla_refusal(model, e) is None)
        if (why := nvfp4_mla_refusal(model, engine)) is not None:
            return (f"{model.name} uses multi-head latent attention, and {why}",
                    f"use {kv} fp8 (an 8-bit latent cache) or bf16 with {engine}"
                    + (f", or {engine_flag} {others}" if others else ""))
    return None


def nvfp4_mla_refusal(model: TransformerConfig, engine: str | None) -> str | None:
    """Why `engine` runs no NVFP4 KV cache for this multi-head latent attention model, None where it runs one (or no
    engine is named: SGLang and TensorRT-LLM do): vLLM refuses NVFP4 with MLA (NVFP4_KV_VLLM_MLA_SOURCE);
    TensorRT-LLM's FP4 MLA kernel takes a 64-wide rotary key only (NVFP4_KV_TRTLLM_MLA_SOURCE)."""
    assert model.mla is not None
    if engine == "vllm":
        return NVFP4_KV_VLLM_MLA_SOURCE
    if engine == "trtllm" and model.mla.qk_rope_head_dim != FP4_MLA_ROPE_DIM:
        return (f"its rotary key is {model.mla.qk_rope_head_dim} wide, where TensorRT-LLM's FP4 MLA kernel takes "
                f"{FP4_MLA_ROPE_DIM} only ({NVFP4_KV_TRTLLM_MLA_SOURCE})")
    return None


def kv_device_problem(spec: AcceleratorSpec, kv_dtype: str, engine: str | None = None, *,
                      any_engine: bool = False) -> tuple[str, str] | None:
    """(why, fix) where `spec` cannot hold an NVFP4 KV cache, None where it can (or for another dtype): the engines
    run it on NVIDIA Blackwell GPUs only (NVFP4_KV_SOURCE), told in the catalog by an NVIDIA GPU listing an fp4 peak
    (NVFP4_KV_DATACENTER_GPUS, NVFP4_KV_SM120_GPUS). An AMD GPU with an fp4 peak (mi355x) has MXFP4's, and NVFP4 no
    native path there (NVFP4_AMD_SOURCE); Hopper and older list no fp4 peak. With `engine` named, TensorRT-LLM and vLLM
    run it on compute capability 10.x only (NVFP4_KV_SM100_ENGINES): an SM120 part (rtx-pro-6000-server) is refused
    for them, naming the engine that runs it there (SGLang). An Ampere, Ada or Hopper GPU (compute capability 8.x or
    9.x: a100, l40s, h100, h200; since utleft7 Ampere and Ada too) holds SGLang's (SGLANG_FP4_KV_HOPPER): taken
    with --engine sglang, refused without an engine or with another, naming --engine sglang; `any_engine` (the
    library's predictions, which name no engine) takes it where some engine runs it. An fp8 KV cache with --engine
    trtllm / trtllm-session on an NVIDIA GPU listing no fp8 peak (Ampere and older) is refused too
    (TRTLLM_NO_FP8_SOURCE)."""
    nvidia = spec.kind == "gpu" and spec.vendor == "NVIDIA"
    if kv_dtype == "fp8" and engine in ("trtllm", "trtllm-session") and nvidia and spec.peak("fp8") is None:
        return (f"--kv-dtype fp8 with --engine {engine} on {spec.name}, which lists no fp8 peak: "
                f"{TRTLLM_NO_FP8_SOURCE}",
                f"give --kv-dtype int8 or bf16 with --engine {engine} on {spec.name}, or --engine vllm, whose fp8 "
                "cache runs there as 8-bit storage converted in the attention kernel")
    if kv_dtype != "nvfp4":
        return None
    major = (spec.cuda_capability() or (0, 0))[0]
    sglang_gpu = nvidia and major in (8, 9)  # Ampere, Ada, Hopper: SGLang's own PyTorch quantize/dequantize
    if sglang_gpu and (engine == "sglang" or any_engine):
        return None
    if nvidia and spec.peak("fp4") is not None:
        cc = spec.cuda_capability()
        if engine not in NVFP4_KV_SM100_ENGINES or (cc is not None and cc[0] == 10):
            return None
        where = (f"compute capability {spec.compute_capability}" if cc is not None
                 else "no compute_capability in its catalog entry")
        there = [e for e in NVFP4_KV_ENGINES if e not in NVFP4_KV_SM100_ENGINES]
        return (f"--kv-dtype nvfp4 with --engine {engine} on {spec.name} ({where}): {NVFP4_KV_SM100_ENGINES[engine]}",
                f"use --kv-dtype fp8 or bf16 with --engine {engine} on {spec.name}, --engine {' or '.join(there)} "
                f"for its NVFP4 KV cache there, or a datacenter Blackwell GPU ({NVFP4_KV_GPUS_TEXT})"
                + ("; or give compute_capability in its spec TOML, with its source" if cc is None else ""))
    if sglang_gpu:  # TensorRT-LLM's and vLLM's run on Blackwell only; SGLang's on Ampere, Ada and Hopper too
        named = f"with --engine {engine}" if engine is not None else "without --engine"
        arch = "Hopper" if major == 9 else "Ada" if spec.compute_capability == "8.9" else "Ampere"
        return (f"--kv-dtype nvfp4 {named} on {spec.name} ({arch}, compute capability {spec.compute_capability}): "
                f"TensorRT-LLM's and vLLM's NVFP4 KV cache run on NVIDIA Blackwell GPUs only ({NVFP4_KV_SOURCE}); "
                f"SGLang's runs on Hopper, Ada and Ampere too ({SGLANG_FP4_KV_HOPPER})",
                f"give --engine sglang for its FP4 KV cache on {spec.name}, use --kv-dtype fp8 or bf16, or a Blackwell "
                f"GPU ({', '.join(NVFP4_KV_DATACENTER_GPUS + ((), NVFP4_KV_SM120_GPUS)[engine is None])})")
    # without --engine as with sglang: the fix below names SGLang's Ampere / Ada / Hopper route, which 'Blackwell
    # GPUs only' (said without --engine until rvs32d, 2026-12-06) denied
    where = ("NVIDIA Blackwell GPUs, and SGLang's on Hopper, Ada and Ampere too (compute capability 8.x, 9.x)"
             if engine in (None, "sglang")
             else "NVIDIA Blackwell GPUs only")
    why = (f"--kv-dtype nvfp4 on {spec.name}: an NVFP4 KV cache runs on {where} ({NVFP4_KV_SOURCE})"
           + (f", and {NVFP4_AMD_SOURCE}" if _amd_gpu(spec) else f"; {spec.name} lists no fp4 peak (not Blackwell)"
              if spec.peak("fp4") is None else ""))
    gpus = NVFP4_KV_DATACENTER_GPUS + (() if engine in NVFP4_KV_SM100_ENGINES else NVFP4_KV_SM120_GPUS)
    return why, (f"use --kv-dtype fp8 or bf16 on {spec.name}, or a Blackwell GPU ({', '.join(gpus)}) for an NVFP4 KV "
                 "cache" + (" (or an Ampere, Ada or Hopper one with --engine sglang)"
                            if engine in (None, "sglang") else "")
                 + ("; or give compute_capability in its spec TOML, with its source"
                    if nvidia and spec.cuda_capability() is None and engine in (None, "sglang") else ""))


def nvfp4_kv_runs(model: TransformerConfig, spec: AcceleratorSpec, engine: str | None) -> bool:
    """An NVFP4 KV cache runs for this model on `spec` with `engine` (None: with some engine): the device holds one
    (kv_device_problem) and the engine runs it for this model (kv_engine_refusal); where it does, the memory fixes
    name --kv-dtype nvfp4 (_smaller_dtype_fix, nothing_fits_error), and only there."""
    return kv_device_problem(spec, "nvfp4", engine) is None and kv_engine_refusal(model, "nvfp4", engine) is None


def check_kv_device(spec: AcceleratorSpec, kv_dtype: str, engine: str | None = None, *,
                    any_engine: bool = False) -> None:
    """An InfeasibleError (this device is listed as not served; alone, exit 2) for a KV cache `spec` cannot hold
    with `engine` (kv_device_problem; `any_engine`: with no engine that holds it)."""
    if (problem := kv_device_problem(spec, kv_dtype, engine, any_engine=any_engine)) is not None:
        raise InfeasibleError(*problem)


def kv_nvfp4_note(kv_dtype: str, engine: str | None, model: TransformerConfig | None = None) -> str | None:
    """The note beside an --kv-dtype nvfp4 prediction: the bytes a value it counts and where they come from, that
    the values are dequantized inside the attention kernel (timed as any other attention kernel: no dequantization
    time of its own is added; with SGLang, by a pass before it that is not timed, SGLANG_FP4_KV_DEQUANT), and the
    engine's name for it; for a multi-head latent attention model, the latent is
    what is cached (NVFP4_KV_MLA_SOURCES), and with TensorRT-LLM the FP4 MLA kernel's side pools, not counted, are
    said. None for any other dtype."""
    if kv_dtype != "nvfp4":
        return None
    how = f"; {engine}: {NVFP4_KV_ENGINES[engine]}" if engine in NVFP4_KV_ENGINES else ""
    mla = ""
    if model is not None and model.mla is not None:
        mla = (f"; {model.name} caches its latent (kv_lora_rank + qk_rope_head_dim = {model.mla.cache_width} values "
               "a token and layer) at that width")
        if engine is None:
            mla += (f", as {NVFP4_KV_TRTLLM_MLA_SOURCE}; that kernel's side pools are not counted (TensorRT-LLM: "
                    f"{TRTLLM_FP4_MLA_POOLS}; --engine trtllm counts them)")
        elif engine == "trtllm":
            per_token, ring = fp4_mla_kv_bytes_per_token_layer(model), fp4_mla_kv_bytes_per_sequence_layer(model)
            mla += (f" and runs it through the FP4 MLA kernel ({NVFP4_KV_TRTLLM_MLA_SOURCE}), whose cache manager "
                    f"keeps {TRTLLM_FP4_MLA_POOLS}: counted, {per_token} B a token and layer (against "
                    f"{model.mla.cache_width * FP4_OPERAND_BYTES['nvfp4']:g} B for the latent alone) and "
                    f"{ring:,} B a sequence and layer for the ring (memory only; no speculative rewind)")
    if engine == "sglang":  # its own 8-bit exponent scales, and a dequantization pass before the attention kernel
        return (f"--kv-dtype nvfp4: {FP4_OPERAND_BYTES['nvfp4']:g} B per cached value{how}{mla}; "
                f"{SGLANG_FP4_KV_DEQUANT}: that pass is not timed (no dequantization time is added); "
                f"{SGLANG_FP4_KV_HOPPER_BACKENDS} ({SGLANG_FP4_KV_HOPPER})")
    return (f"--kv-dtype nvfp4: {FP4_OPERAND_BYTES['nvfp4']:g} B per cached value (a 4-bit E2M1 value + one FP8 E4M3 "
            f"scale per 16; the per-tensor FP32 scale not counted), as {NVFP4_KV_SOURCE}{how}{mla}; the values are "
            "dequantized inside the attention kernel, which is timed as with a 16-bit cache (no dequantization time "
            "is added)")


def kv_engine_note(model: TransformerConfig, kv_dtype: str, engine: str | None) -> str | None:
    """The note on how the KV dtype is modelled for the engine (kv_int8_engine_note, kv_nvfp4_note), None if none:
    the one line `plan serve` and `validate --serving` print for it."""
    return kv_int8_engine_note(model, kv_dtype, engine) or kv_nvfp4_note(kv_dtype, engine, model)


def check_kv_engine(model: TransformerConfig, kv_dtype: str, engine: str | None) -> None:
    """Refuse a KV cache the engine does not run for this model (kv_engine_refusal), naming the two flags."""
    if (refused := kv_engine_refusal(model, kv_dtype, engine)) is not None:
        raise InputError(f"--kv-dtype {kv_dtype} with --engine {engine}: {refused[0]}", refused[1])


def weight_only_fp4(spec: AcceleratorSpec, weight_dtype: str) -> bool:
    """nvfp4/mxfp4 weights on a device without an fp4 peak: served as weight-only 4-bit (W4A16), the block-scaled
    weights dequantized to 16 bits inside the matmul kernel, as vLLM serves gpt-oss's MXFP4 experts on Hopper and
    Ampere (vllm/model_executor/layers/quantization/mxfp4.py at 007d50058a06dec0f82472d63c819244d460c40d:
    get_mxfp4_backend picks the Marlin or triton_kernels MoE backend off SM100, get_supported_act_dtypes is
    bfloat16). Their bytes stay 4-bit + the block scales (weight_bytes_per_param). So are nvfp4 weights on an AMD GPU
    with an fp4 peak (mi355x): that peak is MXFP4's, and NVFP4 has no native path there (NVFP4_AMD_SOURCE)."""
    if weight_dtype not in FP4_OPERAND_BYTES:
        return False
    return spec.peak("fp4") is None or (weight_dtype == "nvfp4" and _amd_gpu(spec))


def _amd_gpu(spec: AcceleratorSpec) -> bool:
    return spec.kind == "gpu" and spec.vendor == "AMD"


NVFP4_AMD_SOURCE = (
    "NVFP4 has no native path on AMD GPUs: the MI355X's FP4 matrix rate is MXFP4's ('MXFP6/MXFP4 matrix', its product "
    "page), ROCm/aiter PR #4021 (a maintainer: 'there's no native hardware support for that', gfx942/gfx950) and "
    "meta-pytorch/MSLK PR #381 (ROCm FP4 GEMMs: MXFP4 native on gfx950 only, 'Not supported on ROCm: NVFP4'); vLLM "
    "runs NVFP4 models on MI300 and MI355X by emulation (vllm-project/vllm PR #35733, merged 2026-03)")
"""Why nvfp4 weights on an AMD GPU run at a 16-bit peak (weight_only_fp4, weight_only_note)."""

MXFP4_ROCM_SOURCE = (
    "vLLM serves MXFP4 MoE weights on ROCm with its Triton backend, activations bf16 "
    "(vllm/model_executor/layers/quantization/mxfp4.py at 007d50058a06dec0f82472d63c819244d460c40d: get_mxfp4_backend "
    "returns TRITON on ROCm with triton_kernels)")
"""Where weight-only MXFP4 runs on an AMD GPU without an fp4 peak (weight_only_note)."""

FP4_NO_PATH_SOURCE = (
    "vLLM's MXFP4 backends run on CUDA, XPU and ROCm GPUs only (vllm/model_executor/layers/quantization/mxfp4.py at "
    "007d50058a06dec0f82472d63c819244d460c40d: get_mxfp4_backend returns NONE on any other platform: TPU, HPU, "
    "Neuron, CPU), and no stored source gives an NVFP4 or MXFP4 weight path for a device that is not a GPU")
"""Why 4-bit float weights are refused on a device that is not a GPU and lists no fp4 peak (fp4_weight_only_problem)."""


FP4_WEIGHT_ONLY_SOURCE = ("vLLM's FP4 Marlin kernel, the weight-only path for nvfp4 and mxfp4 weights off FP4 tensor "
                          "cores, needs CUDA compute capability 7.5 (Turing) or newer "
                          "(vllm/model_executor/layers/quantization/utils/marlin_utils_fp4.py at "
                          "de5f26d5923e2b31dbb3d80efc45d5fd41f09946: is_fp4_marlin_supported() is "
                          "current_platform.has_device_capability(75); 8.0 in earlier releases)")

MXFP4_MIN_CAPABILITY_SOURCE = (
    "vLLM loads MXFP4 checkpoints only on compute capability 8.0 (Ampere) or newer, whatever its Marlin kernel runs "
    "on: Mxfp4Config.get_min_capability() returns 80 (vllm/model_executor/layers/quantization/mxfp4.py at "
    "007d50058a06dec0f82472d63c819244d460c40d, as at afdb4a4ff429377d0fcfac3752e814ffc36ea41d), and vLLM refuses a "
    "quantization method whose minimum capability is above the GPU's ('The quantization method ... is not supported "
    "for the current GPU'); its activations are bfloat16 only (get_supported_act_dtypes), which Ampere brought")
"""Why mxfp4 weights are refused on a Turing GPU (t4) that serves nvfp4 ones (fp4_weight_only_problem)."""

NVFP4_MIN_CAPABILITY_SOURCE = (
    f"{FP4_WEIGHT_ONLY_SOURCE}, and vLLM loads NVFP4 checkpoints from 7.5 too: ModelOptNvFp4Config."
    "get_min_capability() returns 75 (vllm/model_executor/layers/quantization/modelopt.py at "
    "00155cdecca722d98e34234c3d172725b7720b7d)")
"""Why nvfp4 weights are refused on an NVIDIA GPU older than Turing (v100) and served on a t4."""

FP4_MIN_GPU_WORDS = {"nvfp4": "an NVIDIA GPU of Turing or newer (t4, a100, h100-sxm)",
                     "mxfp4": "an NVIDIA GPU of Ampere or newer (a100, l4, h100-sxm)"}
"""The NVIDIA GPUs vLLM serves each 4-bit float format on (NVFP4_MIN_CAPABILITY_SOURCE,
MXFP4_MIN_CAPABILITY_SOURCE)."""
"""Where weight-only FP4 runs on NVIDIA GPUs (fp4_weight_only_problem). TensorRT-LLM has no weight-only FP4 path for
older GPUs: NVIDIA Model Optimizer's support matrix (https://nvidia.github.io/Model-Optimizer/guides/
0_support_matrix.html) lists FP4 as 'Per-Block FP4 Weight & Activations, GPUs: Blackwell and Later' for TensorRT /
TensorRT-LLM (W4A4 at the fp4 peak, compute_dtype_for), and its weight-only 4-bit rows (W4A16) are INT4 (AWQ)."""


def fp4_weight_only_problem(spec: AcceleratorSpec, weight_dtype: str) -> str:
    """Why `spec` cannot serve nvfp4/mxfp4 weights weight-only ('' when it can, or when they run W4A4 at its fp4
    peak): an NVIDIA GPU older than Turing (nvidia_turing_or_newer: V100), where no published engine has an FP4
    weight-only kernel (FP4_WEIGHT_ONLY_SOURCE); mxfp4 on an NVIDIA GPU older than Ampere (nvidia_ampere_or_newer:
    T4 too), below vLLM's MXFP4 minimum capability (MXFP4_MIN_CAPABILITY_SOURCE); and a device that is not a GPU
    (TPU, Gaudi, Trainium, CPU, ...), where none has an FP4 path at all (FP4_NO_PATH_SOURCE). AMD GPUs keep the
    weight-only path (MXFP4_ROCM_SOURCE, NVFP4_AMD_SOURCE), as do GPUs of other vendors from a --catalog file (no
    cited support matrix either way)."""
    if weight_dtype not in FP4_OPERAND_BYTES or spec.peak("fp4") is not None:
        return ""
    if spec.kind != "gpu":
        why = f"{FP4_NO_PATH_SOURCE}; {spec.name} is {spec.vendor}'s {spec.kind}"
    elif spec.vendor != "NVIDIA" or (nvidia_ampere_or_newer(spec) or
                                     (weight_dtype == "nvfp4" and nvidia_turing_or_newer(spec))):
        return ""
    else:
        source = MXFP4_MIN_CAPABILITY_SOURCE if weight_dtype == "mxfp4" else NVFP4_MIN_CAPABILITY_SOURCE
        peaks = ("an int8 but no bf16 tensor peak (Turing)" if nvidia_turing_or_newer(spec)
                 else "neither a bf16 nor an int8 tensor peak (Volta or older)")
        why = f"{source}; {spec.name} lists {peaks}"
    return (f"--weight-dtype {weight_dtype} on {spec.name}: it has no fp4 peak, so {weight_dtype} weights would run "
            f"weight-only, and {why}")


TRTLLM_FP4_HARDWARE_SOURCE = (
    "TensorRT-LLM's quantization hardware support matrix lists NVFP4 and MXFP4 on Blackwell (sm100/103, sm120) only, "
    "not on Hopper, Ada or Ampere (NVIDIA/TensorRT-LLM docs/source/features/quantization.md at "
    "09d4c79ba941a5c2c62c878c3572c0dcc8b85efa, 'Hardware Support Matrix'); its one off-Blackwell FP4 path is gpt-oss's "
    "MXFP4 MoE weights on H200 with BF16 activations through the TRITON MoE backend (its 'Deployment Guide for GPT-OSS "
    "on TensorRT-LLM', MoE Backend Support Matrix), routed experts only")
"""Why nvfp4/mxfp4 weights are refused with --engine trtllm / trtllm-session on an NVIDIA GPU without an fp4 peak
(trtllm_fp4_weight_problem)."""
TRTLLM_ENGINE_NAMES = ("trtllm", "trtllm-session")


def trtllm_fp4_weight_problem(spec: AcceleratorSpec, weight_dtype: str, expert_weight_dtype: str | None,
                              engine: str | None, *, moe: bool = False) -> tuple[str, str] | None:
    """(why, fix) where TensorRT-LLM (`engine` trtllm or trtllm-session) cannot serve these 4-bit float weights on
    `spec`, None where it can or another engine is named: on an NVIDIA GPU listing no fp4 peak (Hopper and older)
    TensorRT-LLM has no weight-only FP4 path for the dense layers (TRTLLM_FP4_HARDWARE_SOURCE), where vLLM's Marlin
    kernel serves them (fp4_weight_only_problem); MXFP4 routed experts on a Hopper GPU run (its TRITON MoE backend),
    which the fix names for an MoE model (`moe`).
    Until ut3srv (2026-12-06) `plan serve --engine trtllm --weight-dtype nvfp4 --hardware h100-sxm` printed a
    prediction under a note naming vLLM's kernel, a run TensorRT-LLM does not make."""
    if engine not in TRTLLM_ENGINE_NAMES or not (spec.kind == "gpu" and spec.vendor == "NVIDIA"):
        return None
    if spec.peak("fp4") is not None:
        return None
    hopper = (spec.cuda_capability() or (0, 0))[0] == 9
    experts = expert_weight_dtype or weight_dtype
    bad = [f"--weight-dtype {weight_dtype}"] if weight_dtype in FP4_OPERAND_BYTES else []
    if experts in FP4_OPERAND_BYTES and experts != weight_dtype and not (experts == "mxfp4" and hopper):
        bad.append(f"--expert-weight-dtype {experts}")
    if not bad:
        return None
    keep = (" (MXFP4 routed experts alone, --weight-dtype bf16 --expert-weight-dtype mxfp4, run on Hopper)"
            if hopper and moe else "")
    return (f"{' and '.join(bad)} with --engine {engine} on {spec.name}, which lists no fp4 peak: "
            f"{TRTLLM_FP4_HARDWARE_SOURCE}",
            f"use --engine vllm (its FP4 Marlin kernel serves them weight-only on {spec.name}), --weight-dtype "
            f"{'fp8 or int4' if spec.peak('fp8') is not None else 'int4'} with --engine {engine}{keep}, or a "
            "Blackwell GPU (b200, gb200, b300, gb300, "
            "rtx-pro-6000-server)")


SGLANG_NVFP4_HARDWARE_SOURCE = (
    "SGLang's modelopt_fp4 quantization (the NVFP4 checkpoints' method) needs compute capability 10.0: "
    "ModelOptFp4Config.get_min_capability returns 100, its linear method quantizes the activations to FP4 for an FP4 "
    "GEMM (W4A4, no weight-only path) and its MoE method raises 'Current platform does not support NVFP4 "
    "quantization. Please use Blackwell and above.' (sgl-project/sglang "
    "python/sglang/srt/layers/quantization/modelopt_quant.py at faeb96856c4417d55695feec2f4d2463c8adb7fd, and alike at "
    "003ca3e5152c94c92d88fd43d5eb58e55201e895)")
"""Why nvfp4 weights are refused with --engine sglang on an NVIDIA GPU without an fp4 peak
(sglang_nvfp4_weight_problem)."""


def sglang_nvfp4_weight_problem(spec: AcceleratorSpec, weight_dtype: str, expert_weight_dtype: str | None,
                                engine: str | None) -> tuple[str, str] | None:
    """(why, fix) where SGLang (`engine` sglang) cannot serve NVFP4 weights or routed experts on `spec`: an NVIDIA
    GPU listing no fp4 peak (Hopper and older), where SGLang has no weight-only NVFP4 path
    (SGLANG_NVFP4_HARDWARE_SOURCE); None where it can or another engine is named. MXFP4 is not ruled on here.
    Until ut3misc (2026-12-06) `plan serve --engine sglang --weight-dtype nvfp4 --hardware h100-sxm` printed a
    prediction under a note naming vLLM's Marlin kernel, a path SGLang does not take."""
    if engine != "sglang" or not (spec.kind == "gpu" and spec.vendor == "NVIDIA") or spec.peak("fp4") is not None:
        return None
    bad = [f"--weight-dtype {weight_dtype}"] if weight_dtype == "nvfp4" else []
    if expert_weight_dtype == "nvfp4" and weight_dtype != "nvfp4":
        bad.append(f"--expert-weight-dtype {expert_weight_dtype}")
    if not bad:
        return None
    return (f"{' and '.join(bad)} with --engine sglang on {spec.name}, which lists no fp4 peak: "
            f"{SGLANG_NVFP4_HARDWARE_SOURCE}",
            f"use --engine vllm (its FP4 Marlin kernel serves them weight-only on {spec.name}), --weight-dtype "
            f"{'fp8 or int4' if spec.peak('fp8') is not None else 'int4'} with --engine sglang, or a Blackwell GPU "
            "(b200, gb200, b300, gb300, rtx-pro-6000-server)")


def engine_fp4_weight_problem(spec: AcceleratorSpec, weight_dtype: str, expert_weight_dtype: str | None,
                              engine: str | None, *, moe: bool = False) -> tuple[str, str] | None:
    """(why, fix) where the named engine has no path for these 4-bit float weights on `spec`: TensorRT-LLM's
    (trtllm_fp4_weight_problem) or SGLang's (sglang_nvfp4_weight_problem) rule; None otherwise."""
    return (trtllm_fp4_weight_problem(spec, weight_dtype, expert_weight_dtype, engine, moe=moe)
            or sglang_nvfp4_weight_problem(spec, weight_dtype, expert_weight_dtype, engine))


def _int8_read_words(cal: ServingCalibration, dense_int8: bool) -> str:
    """How the int8 weight-only weights are read (int8_weight_only_bandwidth_ratio): the table's cited ratio, or
    the 16-bit path's efficiency as a default where the family has none. Only the dense weights take the ratio
    (_Setup.weight_read_ratio: --weight-dtype int8); routed experts alone in int8 are read at the 16-bit path's."""
    if not dense_int8:
        return ("not modelled: the routed experts' int8 weights are read at the 16-bit path's bandwidth efficiency "
                "(int8_weight_only_bandwidth_ratio applies to --weight-dtype int8, a whole model's weights, as its "
                "source measured them)")
    r = cal.int8_weight_only_bandwidth_ratio
    if cal.table_file != BUNDLED_TABLE_FILE:  # a --calibration file's figure: its own, whatever it rests on
        unset = "" if r < 1.0 else ", or the default 1.0, the 16-bit path's, where the table leaves it out"
        return (f"their weights are read at {r:g} x the decode bandwidth efficiency (int8_weight_only_bandwidth_ratio "
                f"of the [serving.{cal.family}] table of {cal.table_file}{unset})")
    if r < 1.0:
        return (f"their weights are read at {r:g} x the decode bandwidth efficiency (int8_weight_only_bandwidth_ratio "
                f"of the {cal.family!r} table: a published int8 weight-only / bf16 bandwidth measurement, cited in "
                "its calibration file)")
    return (f"default used: their weights are read at the 16-bit path's bandwidth efficiency "
            f"(int8_weight_only_bandwidth_ratio 1.0 of the {cal.family!r} table: no published int8 weight-only "
            "bandwidth measurement for this family) — give int8_weight_only_bandwidth_ratio in a --calibration "
            "[serving.*] table to replace it")


def weight_only_note(p: ServingPrediction, vendor: str = "") -> str | None:
    """The line `plan serve` prints under a prediction whose nvfp4/mxfp4 weights (or routed experts) run weight-only
    (weight_only_fp4: computed at a 16-bit peak) or whose int8 ones do (always weight-only: compute_dtype_for), None
    otherwise."""
    pairs = [("", p.weight_dtype, p.compute_dtype)]
    if p.expert_weight_dtype is not None and p.expert_compute_dtype is not None:
        pairs = [("routed experts' ", p.expert_weight_dtype, p.expert_compute_dtype)] + (
            pairs if p.weight_dtype != p.expert_weight_dtype else [])
    hit = [(who, w, c) for who, w, c in pairs if w in FP4_OPERAND_BYTES and c != "fp4"]
    int8 = [(who, c) for who, w, c in pairs if w == "int8"]
    lines = []
    if hit:
        who, w, c = hit[0]
        lines.append(_fp4_weight_only_words(p.device, who, w, c, vendor))
    if int8:  # beside an fp4 line too: --weight-dtype int8 --expert-weight-dtype mxfp4 has both
        who, c = int8[0]
        lines.append(f"on {p.device} the {who}int8 weights are served weight-only (W8A16: 1 B per weight, "
                     "dequantized to 16 bits inside the matmul kernel, as gpt-fast's int8 and TensorRT-LLM's "
                     f"--weight_only_precision int8 run), so their matmuls run at the {c} peak; int8 weights and "
                     "activations (SmoothQuant W8A8) at the int8 peak are --weight-dtype w8a8; "
                     f"{_int8_read_words(p.calibration, p.weight_dtype == 'int8')}")
    return "; ".join(lines) or None


def _fp4_weight_only_words(device: str, who: str, w: str, c: str, vendor: str) -> str:
    """weight_only_note's line for 4-bit float weights served weight-only on `device` (of `vendor`), with the source
    of the path it assumes: vLLM's Marlin / triton_kernels on NVIDIA, its ROCm Triton backend for MXFP4 on AMD, and
    for NVFP4 on AMD an emulation whose own dequantize pass is not charged (an assumption, said)."""
    stored = (f"the {who}{w} weights are served as weight-only 4-bit (stored and read at "
              f"{weight_bytes_per_param(w):g} B per weight with their block scales, dequantized to 16 bits inside the "
              "matmul kernel")
    if vendor == "AMD" and w == "nvfp4":
        return (f"{device} has no NVFP4 path ({NVFP4_AMD_SOURCE}): {stored}), so their matmuls run at the {c} peak; "
                "an assumption: vLLM's emulation dequantizes the weights in a pass of their own, which is not charged, "
                "so the time is a lower bound")
    if vendor == "AMD":
        return f"{device} has no fp4 peak: {stored}, as {MXFP4_ROCM_SOURCE}), so their matmuls run at the {c} peak"
    if w == "nvfp4":  # NVFP4's weight-only path is the FP4 Marlin GEMM alone (modelopt.py W4A16 / its Marlin backend)
        return (f"{device} has no fp4 peak: {stored}, as vLLM's FP4 Marlin kernel does from compute capability 7.5: "
                "marlin_utils_fp4.py at de5f26d5923e2b31dbb3d80efc45d5fd41f09946), so their matmuls run at the "
                f"{c} peak")
    # MXFP4 weight-only reaches here on NVIDIA GPUs of compute capability 8.0 or newer without an fp4 peak (A100, L4,
    # H100, ...): older ones are refused (MXFP4_MIN_CAPABILITY_SOURCE)
    return (f"{device} has no fp4 peak: {stored}, as vLLM's Marlin / triton_kernels MXFP4 kernels do on NVIDIA GPUs "
            "of compute capability 8.0 or newer: vllm mxfp4.py at 007d50058a06dec0f82472d63c819244d460c40d), so "
            f"their matmuls run at the {c} peak")


def compute_dtype_for(spec: AcceleratorSpec, weight_dtype: str) -> str:
    """The dtype the matmuls run in, which the device must have a peak for.

    fp8 weights run as W8A8 matmuls (TensorRT-LLM/vLLM fp8), and so do w8a8 ones at the int8 peak (int8 weights and
    activations: SmoothQuant, Xiao et al. 2023; TensorRT-LLM `convert_checkpoint.py --smoothquant`, vLLM's INT8
    W8A8); int8 and int4 are weight-only (W8A16 / W4A16): the integer weights are dequantized to 16 bits inside the
    matmul kernel, which runs at the 16-bit peak (gpt-fast quantize.py `--mode int8`, WeightOnlyInt8QuantHandler:
    int8 weights and a per-channel scale, bf16 activations, at commit 0f925b5d; TensorRT-LLM `--use_weight_only
    --weight_only_precision int8`, QuantAlgo W8A16; AWQ/GPTQ kernels for int4); nvfp4/mxfp4 run as W4A4 matmuls
    at the fp4 peak (the activations are quantized to the same block format: FP4 tensor cores take both operands
    in it, NVIDIA "Introducing NVFP4", 2025) where the device has one, and else as weight-only 4-bit at the 16-bit
    peak (weight_only_fp4); bf16/fp16 as given.
    """
    _check_dtype("--weight-dtype", weight_dtype, WEIGHT_DTYPES)
    sixteen = next((d for d in ("bf16", "fp16") if spec.peak(d) is not None), None)
    if problem := fp4_weight_only_problem(spec, weight_dtype):
        others = [d for d in WEIGHT_DTYPES if d not in FP4_OPERAND_BYTES and _runs_on(spec, d)]
        raise InfeasibleError(problem, f"use --weight-dtype {' or '.join(others) or 'of another kind'} on "
                                       f"{spec.name}, or {FP4_MIN_GPU_WORDS[weight_dtype]}, an AMD GPU (mi300x) or "
                                       f"one with an fp4 peak (b200) for {weight_dtype} weights")
    peak_key = "fp4" if weight_dtype in FP4_OPERAND_BYTES else "int8" if weight_dtype == "w8a8" else weight_dtype
    weight_only = weight_dtype in WEIGHT_ONLY or weight_only_fp4(spec, weight_dtype)
    if weight_only:  # dequantized to 16 bits for the matmul
        if sixteen is not None:
            return sixteen
    elif spec.peak(peak_key) is not None:
        return peak_key
    usable = [d for d in ("bf16", "fp16", "fp8") if spec.peak(d) is not None]
    usable += ["w8a8"] if spec.peak("int8") is not None else []
    usable += list(WEIGHT_ONLY) if sixteen is not None else []
    usable += [d for d in FP4_OPERAND_BYTES if (sixteen is not None or spec.peak("fp4") is not None)
               and not fp4_weight_only_problem(spec, d)]
    need = (f"a bf16/fp16 peak for {weight_dtype} weight-only matmuls" if weight_only
            else f"a peak for {peak_key} matmuls")
    listed = ", ".join(spec.peak_flop_per_s) or "none"
    fix = (f"use --weight-dtype {' or '.join(usable)}" if usable else
           f"this device lists peaks for {listed} only; add a bf16/fp16/fp8/int8 peak with a --catalog TOML file")
    if weight_dtype in FP4_OPERAND_BYTES:  # neither way to run fp4 weights: W4A4 at the fp4 peak, or weight-only
        raise InfeasibleError(f"device {spec.name!r} has no fp4 peak and no bf16/fp16 peak in the catalog (serving "
                              f"needs one for {weight_dtype} weights: W4A4 matmuls at the fp4 peak, or weight-only at "
                              "the 16-bit peak)", fix)
    missing = "bf16/fp16" if weight_only else peak_key
    raise InfeasibleError(f"device {spec.name!r} has no {missing} peak in the catalog (serving needs {need})",
                          fix)


# Errors name the `plan serve` flag of each argument (every argument of the serving model is one of its flags).
def check_tp_pp(model: TransformerConfig, tp: int, pp: int, moe: MoELayout = NO_MOE) -> None:
    """InputError for a --tp or --pp below 1. plan_serve calls it before the MoE layout checks, whose arithmetic
    divides by the stage's tp x attention-dp devices (rv1, 2026-12-06: --tp 0 --ep 2 was a ZeroDivisionError)."""
    # the fix names what _check_layout accepts: tp by the heads, pp any count up to the layers
    fixes = {"tp": f"give a --tp that divides the {model.heads} attention heads of {model.name}, e.g. "
                   + _tp_hint(model, moe),
             "pp": f"give --pp from 1 to {model.layers} (the layers of {model.name}; a count that does not divide "
                   "them is allowed: the fullest stage holds ceil(layers / pp))"}
    for name, v in (("tp", tp), ("pp", pp)):
        if not isinstance(v, int) or v < 1:
            raise InputError(f"--{name} {v!r} must be a positive integer", fixes[name])


def _check_layout(model: TransformerConfig, tp: int, pp: int, moe: MoELayout = NO_MOE) -> None:
    check_tp_pp(model, tp, pp, moe)
    if model.heads % tp:
        raise InfeasibleError(f"--tp {tp} does not divide the {model.heads} attention heads of {model.name}",
                              "give a --tp that divides the head count, e.g. " + _tp_hint(model, moe))
    kv = model.n_kv_heads
    if kv % tp and tp % kv:
        raise InfeasibleError(f"--tp {tp} neither divides nor is a multiple of the {kv} KV heads of {model.name}",
                              "give a --tp that divides the KV-head count or is a multiple of it (and divides the "
                              f"{model.heads} attention heads), e.g. " + _tp_hint(model, moe))
    split = {k: w for k, w in _tp_split_widths(model, moe).items() if w % tp}
    if split:
        named = ", ".join(f"{k} {w:,}" for k, w in split.items())
        raise InfeasibleError(f"--tp {tp} does not divide the MLP width of {model.name} ({named}): the engines split "
                              f"each MLP's inner width evenly over the tensor-parallel ranks ({TP_SPLIT_SOURCE})",
                              "give a --tp that divides it and the attention heads, e.g. " + _tp_hint(model, moe))
    if pp > model.layers:
        raise InfeasibleError(f"--pp {pp} exceeds the {model.layers} layers of {model.name}",
                              f"give --pp <= {model.layers}")
    serving_moe.check_layout(model, tp, moe)


TP_SPLIT_SOURCE = ("vLLM's column-parallel layers take output_size_per_partition = divide(output_size, tp_size), "
                   "which asserts '{} is not divisible by {}' (vllm/model_executor/layers/linear.py, "
                   "vllm/distributed/utils.py ensure_divisibility), as Megatron-LM's, from which it is taken")
"""Why --tp must divide an MLP's inner width (_check_layout); read 2026-12-06 (utserve)."""


def _tp_split_widths(model: TransformerConfig, moe: MoELayout = NO_MOE) -> dict[str, int]:
    """The MLP inner widths tensor parallelism splits (_check_layout): the dense layers' (every layer of a dense model,
    the first_dense_layers of an MoE one: dense_ffn), and the routed experts' under plain tensor parallelism (no
    --ep / --attention-dp: each expert split over the ranks)."""
    if not model.is_moe:
        return {"MLP": model.ffn}
    widths: dict[str, int] = {}
    if model.layers > model.moe_layers:
        widths["dense MLP"] = model.dense_ffn or model.ffn
    if not moe.active:
        widths["expert MLP"] = model.ffn
    return widths


def _tp_hint(model: TransformerConfig, moe: MoELayout = NO_MOE) -> str:
    """The --tp values up to 64 that _check_layout's head rules accept: each divides the attention heads and divides,
    or is a multiple of, the KV heads ('1, 2, 4, 8, 16, 32' for 32 heads and 8 KV heads; '1, 2, 3, 6, 12, 24' for 24
    heads and 6 KV heads, where the powers of two up to 16 named '1, 2' alone before utserve2, 2026-12-05), and that
    divide the MLP widths tensor parallelism splits (_tp_split_widths, since utserve 2026-12-06)."""
    kv = model.n_kv_heads
    widths = _tp_split_widths(model, moe).values()
    return ", ".join(str(d) for d in range(1, min(model.heads, 64) + 1)
                     if model.heads % d == 0 and (kv % d == 0 or d % kv == 0) and all(w % d == 0 for w in widths))


def _check_counts(batch: int, prompt_len: int, output_len: int) -> None:
    for flag, v, what in (("--batch", batch, "requests"), ("--prompt", prompt_len, "tokens"),
                          ("--output", output_len, "tokens")):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InputError(f"{flag} {v!r} must be a positive whole number of {what}", f"give {flag} >= 1")


# ---------------------------------------------------------------------------------------------
# Memory per device


def _kv_bytes_per_token_per_device(model: TransformerConfig, tp: int, pp: int, kv_dtype: str,
                                   cal: ServingCalibration | None = None) -> float:
    """KV heads split over tp, at least one whole (replicated) head per device when tp > kv_heads
    (TransformerConfig.kv_heads_per_device: vLLM, TensorRT-LLM, NxD Inference). MLA's latent is one per token,
    replicated on every tp rank (vLLM's MLA backend); an NVFP4 one in TensorRT-LLM's FP4 MLA layout where
    cal.fp4_mla_kv_pools. Layers split over pp (the fullest stage holds ceil(L/pp)). Before a sliding window caps
    any layer."""
    layers_dev = math.ceil(model.layers / pp)
    if fp4_mla_layout(model, kv_dtype, cal):
        return float(layers_dev * fp4_mla_kv_bytes_per_token_layer(model))
    if model.mla is not None:
        return float(layers_dev * model.mla.cache_width * kv_bytes_per_value(kv_dtype))
    kv_heads_dev = float(model.kv_heads_per_device(tp))
    return 2.0 * layers_dev * kv_heads_dev * model.head_dim * kv_bytes_per_value(kv_dtype)


def kv_bytes_per_sequence_per_device(model: TransformerConfig, pp: int, kv_dtype: str,
                                     cal: ServingCalibration | None) -> float:
    """KV-cache bytes a sequence holds whatever its length, per device: TensorRT-LLM's FP4 MLA BF16 ring
    (fp4_mla_kv_bytes_per_sequence_layer) on the fullest stage's ceil(L/pp) layers where cal.fp4_mla_kv_pools; 0
    otherwise. Memory only: the decode traffic counts the cache per token."""
    if not fp4_mla_layout(model, kv_dtype, cal):
        return 0.0
    return float(math.ceil(model.layers / pp) * fp4_mla_kv_bytes_per_sequence_layer(model))


def _weights_bytes_per_device(model: TransformerConfig, tp: int, pp: int, weight_dtype: str,
                              cal: ServingCalibration, moe: MoELayout = NO_MOE) -> float:
    """Transformer layers split over tp x pp (fullest stage: ceil(L/pp) layers), plus the K/V heads a device
    holds replicated when tp > kv_heads (kv_replica_weight_bytes); the token table and the LM head split over tp
    (Megatron vocab-parallel), a learned position table whole on every tp rank at any pp (vLLM's GPT-2:
    `wte = VocabParallelEmbedding`, `wpe = nn.Embedding`, vllm/model_executor/models/gpt2.py at
    vllm-project/vllm@e7dffa683de5; split over tp at pp 1 until 2026-12-03, GPT-3 175B at tp 8 was 44 MB under a
    rank's bytes); with pp > 1 an end stage holds one embedding matrix. With pp > 1 the ceil(L/pp) layers and the
    larger end stage's tables are charged to one device: an upper bound on the busiest stage's bytes, exact where the
    fullest stage is the first (pp divides L, or L mod pp = pp - 1 under pp_stage_layers' split), above it by up to a
    layer's or the head's bytes otherwise (README, `plan serve --pp`). The larger end is the first for a model with
    learned positions: its token table (as large as the head) split over tp, and its position table whole; charged
    the head alone, GPT-3 13B's first stage at --pp 2 was 21 MB above this 'upper bound'."""
    emb_in, head = _embedding_params(model)
    body = _weight_bytes_total(model, weight_dtype, cal, moe) - (emb_in + head) * ACT_BYTES
    stage_share = math.ceil(model.layers / pp) / model.layers
    replicas = kv_replica_weight_bytes(model, tp, weight_dtype, cal) * stage_share
    positions = model.position_params()
    # pp 1: the token table (none beside a tied head) and the head; pp > 1: the first stage's token table, as large
    # as the LM head (vocab x hidden, tied or not)
    split_tables = emb_in - positions + head if pp == 1 else head
    return (body * stage_share + split_tables * ACT_BYTES) / tp + positions * ACT_BYTES + replicas


def kv_replica_flops(model: TransformerConfig, tp: int, tokens: float) -> float:
    """GEMM FLOPs one tensor-parallel rank adds for `tokens` beyond its 1/tp share: the replicated Wk, Wv heads
    (2 FLOPs per weight per token; TransformerConfig.kv_replica_params_per_device, 0 when tp <= kv_heads)."""
    return 2.0 * tokens * float(model.kv_replica_params_per_device(tp))


def kv_replica_weight_bytes(model: TransformerConfig, tp: int, weight_dtype: str, cal: ServingCalibration) -> float:
    """Weight bytes one tensor-parallel rank holds (and each forward reads) beyond its 1/tp share of the layers: the
    replicated Wk, Wv heads when tp > kv_heads (TransformerConfig.kv_replica_params_per_device; 0 otherwise and for
    MLA), whole model, in the linear layers' dtype."""
    return float(model.kv_replica_params_per_device(tp)) * weight_bytes_per_param(weight_dtype, cal)


def _workspace_bytes_per_device(model: TransformerConfig, tp: int, batch: int, prompt_len: int,
                                cal: ServingCalibration) -> float:
    """Activation workspace of one prefill chunk plus fp32 logits.

    Inference frees each layer's activations, so the peak is one layer's live tensors per token:
    residual and normed input (2h), q/k/v and attention output ((2h + 2·kv_dim)/tp), SwiGLU/GELU
    gate, up and activated (3·ffn/tp), at 16 bits; tokens per chunk = min(batch·prompt,
    max_prefill_chunk_tokens). Logits: batch x vocab/tp in fp32 (vocab-parallel head).
    """
    qkvo = model.q_width + model.k_width + model.v_width + model.o_width
    per_token = (2 * model.hidden + qkvo / tp + 3 * model.ffn / tp) * ACT_BYTES
    tokens = min(batch * prompt_len, cal.max_prefill_chunk_tokens)
    return tokens * per_token + batch * model.vocab / tp * LOGIT_BYTES


def _memory_per_device(model: TransformerConfig, tp: int, pp: int, batch: int, prompt_len: int, output_len: int,
                       weight_dtype: str, kv_dtype: str, cal: ServingCalibration,
                       moe: MoELayout = NO_MOE) -> tuple[float, float, float]:
    """(weights, KV cache for batch x (prompt + output) tokens, workspace), bytes per device."""
    if moe.active:
        return serving_moe.memory_per_device(model, tp, pp, batch, prompt_len, output_len, weight_dtype, kv_dtype,
                                             cal, moe)
    w = _weights_bytes_per_device(model, tp, pp, weight_dtype, cal, moe)
    kv = batch * (cached_tokens_per_layer(model, prompt_len + output_len) * _kv_bytes_per_token_per_device(
        model, tp, pp, kv_dtype, cal) + kv_bytes_per_sequence_per_device(model, pp, kv_dtype, cal))
    ws = _workspace_bytes_per_device(model, tp, batch, prompt_len, cal)
    return w, kv, ws


def usable_bytes(spec: AcceleratorSpec, weights_bytes: float, workspace_bytes: float,
                 cal: ServingCalibration) -> float:
    """Memory per device weights + workspace + KV cache may fill (see ServingCalibration.memory_basis):
    'total': memory_utilization x capacity (vLLM); 'free': weights + workspace + memory_utilization x what they
    leave free (TensorRT-LLM's KV-cache pool is that fraction of the free memory)."""
    cap = spec.memory_bytes
    if cal.memory_basis == "total":
        return cap * cal.memory_utilization
    fixed = weights_bytes + workspace_bytes
    return fixed + cal.memory_utilization * (cap - fixed)


def max_batch(model: TransformerConfig, spec: AcceleratorSpec, *, tp: int = 1, pp: int = 1, prompt_len: int,
              output_len: int, weight_dtype: str = "bf16", kv_dtype: str = "bf16",
              calibration: ServingCalibration = DEFAULT_CALIBRATION, moe: MoELayout = NO_MOE) -> int:
    """Largest batch whose weights + KV cache + workspace fit in usable memory per device (0 if none).

    Memory grows monotonically with batch, so a doubling search then bisection finds it exactly.
    """
    _check_layout(model, tp, pp, moe)
    model = serving_moe.routed_model(model, moe)  # --dense-experts: every expert on every token
    _check_counts(1, prompt_len, output_len)
    _check_dtype("--weight-dtype", weight_dtype, WEIGHT_DTYPES)
    check_kv_dtype(kv_dtype)
    calibration = calibration_for_spec(spec, calibration)

    def fits(b: int) -> bool:
        w, kv, ws = _memory_per_device(model, tp, pp, b, prompt_len, output_len, weight_dtype, kv_dtype, calibration,
                                       moe)
        return w + kv + ws <= usable_bytes(spec, w, ws, calibration)

    if not fits(1):
        return 0
    lo, hi = 1, 2
    while fits(hi):
        lo, hi = hi, hi * 2
        if hi > 1 << 40:  # a device larger than any model's KV cache needs; stop doubling
            return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


# ---------------------------------------------------------------------------------------------
# Time


@dataclass(frozen=True)
class _Setup:
    model: TransformerConfig
    spec: AcceleratorSpec
    tp: int
    pp: int
    weight_dtype: str
    kv_dtype: str
    peak_flop_per_s: float
    cal: ServingCalibration
    attention_peak_flop_per_s: float
    """The 16-bit peak the attention core runs at (the weights' peak where the device has no 16-bit one)."""
    moe: MoELayout = NO_MOE
    linear_eff_scale: float = 1.0
    """Multiplies the linear GEMMs' compute efficiency: cal.fp4_gemm_efficiency_ratio for FP4 weights, else 1."""
    expert_peak_flop_per_s: float = 0.0
    """The peak the routed experts' GEMMs run at (their dtype's: expert_dtype)."""
    expert_eff_scale: float = 1.0
    """linear_eff_scale of the routed experts' dtype."""
    launch_floor_s: float = 0.0
    """One forward's kernel-launch floor where it bounds the roofline terms (bounding_floor_s), else 0."""

    @property
    def expert_weight_dtype(self) -> str:
        return expert_dtype(self.weight_dtype, self.moe)

    @property
    def weight_read_ratio(self) -> float:
        """The weights' share of decode_bandwidth_efficiency: cal.int8_weight_only_bandwidth_ratio for int8
        (W8A16) weights, whose ratio is measured over a whole model's weight reads (torchao's benchmark, cited in
        calibration.toml), else 1."""
        return self.cal.int8_weight_only_bandwidth_ratio if self.weight_dtype == "int8" else 1.0

    def weights_read_bytes(self, weights: float, expert_bytes: float) -> float:
        """`weights` bytes as the bandwidth-efficiency term reads them: at weight_read_ratio, except `expert_bytes` of
        them (the routed experts read on the dense path) when --expert-weight-dtype is not int8 beside --weight-dtype
        int8: those run their own dtype's kernels, not the int8 weight-only ones, at the full efficiency."""
        r = self.weight_read_ratio
        if r == 1.0 or self.expert_weight_dtype == "int8":
            return weights / r
        return (weights - expert_bytes) / r + expert_bytes

    def linear_s(self, flops: float, expert_flops: float, efficiency: float) -> float:
        """Seconds of `flops` linear GEMM FLOPs at `efficiency`, of which `expert_flops` are the routed experts' (at
        their own peak when --expert-weight-dtype differs from --weight-dtype)."""
        return ((flops - expert_flops) / (self.peak_flop_per_s * efficiency * self.linear_eff_scale)
                + expert_flops / (self.expert_peak_flop_per_s * efficiency * self.expert_eff_scale))


def device_scaled(cal: ServingCalibration, spec: AcceleratorSpec, compute_dtype: str) -> ServingCalibration:
    """`cal` for `spec` when its table names a reference device: the linear-GEMM efficiencies (prefill, decode,
    grouped GEMM) times the measured-matmul ratio at the GEMMs' precision, the attention core's times the 16-bit
    ratio (calibration.matmul_ratio), each capped at 1. Why, and the source of the measurements: training's
    calibration.device_scaled (a sibling with the same datasheet peak sustains another clock under GEMM load).
    Memory bandwidth and overheads are not scaled (no measured bandwidth ratio is in the catalog)."""
    if not cal.reference_device or spec.measured or cal.device_scaling:
        return cal  # (already scaled: a prediction's own calibration passed back in is not scaled twice)
    from accelopt.predict.calibration import catalog_reference, matmul_ratio

    ref = catalog_reference(cal.reference_device, f"{cal.table_file}: [serving.{cal.family}]")
    if spec.name == ref.name:  # the reference itself, however the table spells it (an alias)
        return cal
    r_gemm, d_gemm = matmul_ratio(spec, ref, compute_dtype)
    r_attn, _ = matmul_ratio(spec, ref, "bf16")
    if r_gemm is None and r_attn is None:
        why = (f"not scaled to {spec.name}: no measured matmul rate of both {spec.name} and the table's reference "
               f"device {ref.name} (catalog measured_matmul_flop_per_s), so the table's values as they are")
        return replace(cal, device_scaling=DeviceScaling(reference_device=ref.name, gemm_ratio=None,
                                                         attention_ratio=None, note=why))
    g, a = r_gemm if r_gemm is not None else 1.0, r_attn if r_attn is not None else 1.0
    grouped = cal.grouped_gemm_compute_efficiency
    scaled = replace(cal, prefill_compute_efficiency=min(1.0, cal.prefill_compute_efficiency * g),
                     decode_compute_efficiency=min(1.0, cal.decode_compute_efficiency * g),
                     attention_compute_efficiency=min(1.0, cal.attention_compute_efficiency * a),
                     grouped_gemm_compute_efficiency=None if grouped is None else min(1.0, grouped * g))
    from_ = "" if d_gemm == compute_dtype else f" (the {d_gemm} ratio: no {compute_dtype} measurement of both)"
    note = (f"scaled to {spec.name}: GEMM efficiencies x{g:.3f}{from_}, attention x{a:.3f} (16-bit), by its measured "
            f"matmul fraction of peak over the table's reference device {ref.name}'s (rates and source: `accelopt "
            f"catalog show {spec.name}` / `{ref.name}`)")
    return replace(scaled, device_scaling=DeviceScaling(reference_device=ref.name, gemm_ratio=r_gemm,
                                                        gemm_ratio_dtype=d_gemm if r_gemm is not None else "",
                                                        attention_ratio=r_attn, note=note))


def bounding_floor_s(spec: AcceleratorSpec, model: TransformerConfig) -> float:
    """One forward's launch floor as a LOWER BOUND on its kernels' time, max(roofline, floor), on an NVIDIA GPU
    under any table (launch_floor.bounds); 0 elsewhere. A forward cannot finish before its kernels have run, each at
    least GRAPH_KERNEL_S replayed from a CUDA graph, so its kernel time is at least the floor however small the
    model; the table's per_step_overhead_s (host-side scheduling and sampling, in series with the forward in the
    fitted runs; 0 in an unfitted table) stays added, and so do the all-reduces (kernels the floor does not count).
    Not added to the roofline: a model whose kernels run longer than their launches pays for launches it has already
    paid for (the roofline times the same kernels)."""
    return launch_floor.forward_floor_s(model.layers) if launch_floor.bounds(spec) else 0.0


def launch_floor_points_note(points: list[ServingPrediction], spec: AcceleratorSpec,
                             model: TransformerConfig) -> str | None:
    """The line `plan serve` prints about the launch floor of a device's predictions (`points`): on an NVIDIA GPU
    (any table), 'default used:' where the floor (a lower bound, bounding_floor_s) decides a phase, naming
    the phases and batches; on a device with no sourced floor, that there is none where a decode step falls under
    the forward's NVIDIA launch floor (launch_floor.no_floor_note); None otherwise."""
    if not points:
        return None
    cal = points[0].calibration  # the predictions' own: device-scaled
    if launch_floor.bounds(spec):
        phases = [(what, [p.batch for p in points if getattr(p, attr).bound == "launch"])
                  for what, attr in (("the decode step", "decode_step"), ("the prefill", "prefill"))]
        where = "; ".join(f"{what} at batch {', '.join(map(str, b))}" for what, b in phases if b)
        return launch_floor.bound_note(spec, cal.family, cal.fitted, cal.step_overhead_s(model.layers), model.layers,
                                       where) if where \
            else None
    if launch_floor.nvidia_gpu(spec):
        return None
    step_s = min(p.decode_step.roof_s + p.decode_step.overhead_s for p in points)
    if step_s >= launch_floor.forward_floor_s(model.layers):
        return None
    return launch_floor.no_floor_note(spec, cal.family, step_s, model.layers)


def _expert_compute_dtype(spec: AcceleratorSpec, weight_dtype: str, moe: MoELayout) -> str:
    """compute_dtype_for the routed experts, its refusal naming --expert-weight-dtype when that flag set the dtype."""
    try:
        return compute_dtype_for(spec, expert_dtype(weight_dtype, moe))
    except InfeasibleError as e:
        if moe.expert_weight_dtype is None:
            raise
        raise InfeasibleError(f"--expert-weight-dtype {moe.expert_weight_dtype}: {e.problem}",
                              e.fix.replace("--weight-dtype", "--expert-weight-dtype")) from None


def _setup(model: TransformerConfig, spec: AcceleratorSpec, tp: int, pp: int, weight_dtype: str, kv_dtype: str,
           cal: ServingCalibration, moe: MoELayout = NO_MOE) -> _Setup:
    check_kv_device(spec, kv_dtype, any_engine=True)  # plan serve checked its --engine's (serving_plan)
    compute_dtype = compute_dtype_for(spec, weight_dtype)
    cal = device_scaled(cal, spec, compute_dtype)
    peak = spec.peak(compute_dtype)
    assert peak is not None  # compute_dtype_for guarantees it
    sixteen = next((p for p in (spec.peak("bf16"), spec.peak("fp16")) if p is not None), peak)
    scale = cal.fp4_gemm_efficiency_ratio if compute_dtype == "fp4" else 1.0
    ex_dtype = _expert_compute_dtype(spec, weight_dtype, moe)
    ex_peak = spec.peak(ex_dtype)
    assert ex_peak is not None
    ex_scale = cal.fp4_gemm_efficiency_ratio if ex_dtype == "fp4" else 1.0
    return _Setup(model, spec, tp, pp, weight_dtype, kv_dtype, peak, cal, sixteen, moe, scale, ex_peak, ex_scale,
                  launch_floor_s=bounding_floor_s(spec, model))


def _stage_hops_s(s: _Setup, msg_bytes: float, calls: int) -> float:
    """(pp-1) point-to-point activation sends between consecutive stages."""
    if s.pp == 1:
        return 0.0
    link = _link(s.spec, s.tp * s.pp, s.cal, "pipeline parallelism")
    return (s.pp - 1) * (calls * link.latency_s + msg_bytes / link.bandwidth_byte_per_s)


def _dense_expert_flops(s: _Setup, tokens: int, ex: serving_moe.ExpertKernel) -> float:
    """Routed-expert FLOPs per device left in the dense roofline under plain tensor parallelism (none when the
    grouped-GEMM kernel `ex` took them): 2 x tokens x MoE layers x top_k x params per expert / tp."""
    m = s.model
    if not m.is_moe or ex.flops:
        return 0.0
    return 2.0 * tokens * m.moe_layers * m.top_k * m.mlp_params_per_expert() / s.tp


def _prefill_time(s: _Setup, batch: int, prompt_len: int) -> PhaseTime:
    """Prefill of the batch: compute roofline with weights re-read once per chunk; TP all-reduces
    of tokens x hidden x 2 bytes, two per layer (not overlapped with compute: a conservative choice)."""
    if s.moe.active:  # expert / attention-data parallelism: serving_moe
        return serving_moe.prefill_time(s, batch, prompt_len)
    m = s.model
    tokens = batch * prompt_len
    chunks = math.ceil(tokens / s.cal.max_prefill_chunk_tokens)
    attn = prefill_attention_flops(m, batch, prompt_len)  # causal, windows and MLA's prefill form as prefill_flops
    # MoE: the routed experts' grouped GEMM as its own kernel (serving_moe; nothing for a dense model)
    ex = serving_moe.tp_expert_kernel(s, tokens, math.ceil(tokens / chunks), chunks)
    # linear FLOPs per device: a 1/tp share, plus the replicated K/V heads' GEMMs (2 FLOPs per param per token)
    linear = (prefill_flops(m, batch, prompt_len) - attn - ex.flops * s.tp) / s.tp + kv_replica_flops(m, s.tp, tokens)
    compute_s = (s.linear_s(linear, _dense_expert_flops(s, tokens, ex), s.cal.prefill_compute_efficiency)
                 + attn / s.tp / (s.attention_peak_flop_per_s * s.cal.attention_compute_efficiency)) + ex.time_s
    weights = chunks * (_weight_bytes_total(m, s.weight_dtype, s.cal, s.moe) / s.tp
                        + kv_replica_weight_bytes(m, s.tp, s.weight_dtype, s.cal)) - ex.weight_bytes
    dense_experts = max(0.0, chunks * _expert_params_total(m) * weight_bytes_per_param(s.expert_weight_dtype, s.cal)
                        / s.tp - ex.weight_bytes)  # the routed experts in `weights` (none when their kernel read them)
    bytes_ = s.weights_read_bytes(weights, dense_experts)  # int8 weight-only reads at a lower share of the bandwidth
    bytes_ += tokens * _kv_bytes_per_token_per_device(m, s.tp, 1, s.kv_dtype, s.cal)  # KV written, all layers
    memory_s = bytes_ / (s.spec.memory_bandwidth_byte_per_s * s.cal.decode_bandwidth_efficiency) + ex.time_s
    comm_s = 0.0
    if s.tp > 1:
        link = _tp_link(s)
        n_ar = m.tp_allreduces_per_layer * m.layers  # 2 per layer, 1 for parallel attention + MLP blocks
        comm_s = ring_or_tree_allreduces_s(n_ar * tokens * m.hidden * ACT_BYTES, s.tp, link, calls=n_ar * chunks)
    comm_s += _stage_hops_s(s, tokens * m.hidden * ACT_BYTES, chunks)
    return phase_time(s, compute_s, memory_s, comm_s, chunks)


def phase_time(s: _Setup, compute_s: float, memory_s: float, comm_s: float, forwards: int) -> PhaseTime:
    """A phase of `forwards` forward passes: its roofline terms, at least the launch floor of its forwards
    (s.launch_floor_s, bounding_floor_s), + communication + the per-forward overhead."""
    floor = forwards * s.launch_floor_s
    over = forwards * s.cal.step_overhead_s(s.model.layers)
    return PhaseTime(compute_s=compute_s, memory_s=memory_s, comm_s=comm_s, overhead_s=over, launch_floor_s=floor,
                     total_s=max(compute_s, memory_s, floor) + comm_s + over)


def _decode_step_time(s: _Setup, batch: int, context: float) -> PhaseTime:
    """One decode step at `context` cached tokens per sequence (roofline; see module docstring).

    bytes = weights the batch touches / tp (+ replicated K/V heads) + batch x context x KV bytes per token per device;
    FLOPs = decode_flops_per_step / tp (+ the replicated K/V heads' GEMMs); TP: 2 all-reduces per layer of
    batch x hidden x 2 bytes.
    Over pp stages the per-stage terms add up to the same totals, plus (pp-1) hops.
    """
    if s.moe.active:  # expert / attention-data parallelism: serving_moe
        return serving_moe.decode_step_time(s, batch, context)
    m = s.model
    ex = serving_moe.tp_expert_kernel(s, batch, batch, 1)  # MoE routed experts: their own kernel (else zeros)
    w = (decode_weight_bytes_read(m, batch, s.weight_dtype, s.cal, s.moe) / s.tp
         + kv_replica_weight_bytes(m, s.tp, s.weight_dtype, s.cal) - ex.weight_bytes)
    kv = batch * cached_tokens_per_layer(m, context) * _kv_bytes_per_token_per_device(m, s.tp, 1, s.kv_dtype, s.cal)
    dense_experts = 0.0 if ex.weight_bytes else (m.moe_layers * experts_touched(m, batch) * m.mlp_params_per_expert()
                                                 * weight_bytes_per_param(s.expert_weight_dtype, s.cal) / s.tp)
    bw = s.spec.memory_bandwidth_byte_per_s
    # weights at the device's measured rate at M = batch where predict/data/measured_decode_gemm.csv has one
    # (decode_gemm), the KV cache at the table's
    memory_s = (s.weights_read_bytes(w, dense_experts) / (bw * decode_weight_efficiency(s, batch))
                + kv / (bw * s.cal.decode_bandwidth_efficiency) + ex.time_s)
    attn = batch * attention_flops_per_token(m, context)
    linear = (decode_flops_per_step(m, batch, context) - attn - ex.flops * s.tp) / s.tp + kv_replica_flops(
        m, s.tp, batch)  # per device, replicated K/V heads included
    compute_s = (s.linear_s(linear, _dense_expert_flops(s, batch, ex), s.cal.decode_compute_efficiency)
                 + attn / s.tp / (s.attention_peak_flop_per_s * s.cal.decode_compute_efficiency)) + ex.time_s
    comm_s = 0.0
    if s.tp > 1:
        link = _tp_link(s)
        n_ar = m.tp_allreduces_per_layer * m.layers  # 2 per layer, 1 for parallel attention + MLP blocks
        comm_s = ring_or_tree_allreduces_s(n_ar * batch * m.hidden * ACT_BYTES, s.tp, link, calls=n_ar)
    comm_s += _stage_hops_s(s, batch * m.hidden * ACT_BYTES, 1)
    return phase_time(s, compute_s, memory_s, comm_s, 1)


def measured_decode_weight_rate(s: _Setup, batch: int) -> decode_gemm.DecodeWeightRate | None:
    """The measured weight-read rate of a decode step of `batch` sequences (decode_gemm; None: the table's rate). A
    dense model's only: the rows time dense layers at M = the batch, where an MoE's routed experts see fewer rows."""
    if s.model.is_moe:
        return None
    return decode_gemm.decode_weight_rate(s.spec, s.weight_dtype, batch, s.cal.decode_bandwidth_efficiency)


def decode_weight_efficiency(s: _Setup, batch: int) -> float:
    """The fraction of the memory bandwidth a decode step of `batch` sequences reads its weights at: the measured
    rate (measured_decode_weight_rate) where there is one, else the table's decode_bandwidth_efficiency."""
    rate = measured_decode_weight_rate(s, batch)
    return s.cal.decode_bandwidth_efficiency if rate is None else rate.fraction


def _mean_decode_step_s(s: _Setup, batch: int, prompt_len: int, output_len: int) -> float:
    """Mean step time over decode steps k = 1..output_len-1 at context prompt_len + k.

    Memory and compute terms are each piecewise linear in context (a sliding window bends them at the
    window), so they are evaluated at the two ends and the window and max() is averaged exactly over the
    steps (numpy, no per-step model calls)."""
    import numpy as np

    steps = output_len - 1
    a = _decode_step_time(s, batch, prompt_len + 1)
    if steps <= 1:
        return a.total_s
    ctx: Any = np.arange(prompt_len + 1, prompt_len + steps + 1, dtype=float)
    w = s.model.sliding_window
    inside = w is not None and prompt_len + 1 < w < prompt_len + steps
    knots = sorted({float(prompt_len + 1), float(prompt_len + steps)} | ({float(w)} if inside and w else set()))
    at = [_decode_step_time(s, batch, c) for c in knots]
    mem = np.interp(ctx, knots, [t.memory_s for t in at])
    comp = np.interp(ctx, knots, [t.compute_s for t in at])
    roof = np.maximum(np.maximum(mem, comp), a.launch_floor_s)  # the launch floor bounds each step (phase_time)
    return float(roof.mean()) + a.comm_s + a.overhead_s  # comm depends on batch only


def neuronx_token_buckets(prompt_len: int, output_len: int) -> dict[int, int]:
    """{token bucket: decode steps run at it} of one request under transformers-neuronx's static token buckets
    (aws-neuron/transformers-neuronx@3e15a8b: utils.py power_of_two_bucket_sizes(128, n_positions) doubles from 128
    below n_positions, bucket.py token_sizes appends n_positions, bucket.find runs a step on the smallest bucket that
    holds its position). The compiled n_positions is taken as prompt + output (the AWS tables' runs); the steps are
    positions prompt + 1 .. prompt + output - 1 (the first token comes from the context pass), and each runs on, and
    its attention reads, its bucket's padded K/V slice (static shapes)."""
    n = prompt_len + output_len
    sizes, size = [], NEURONX_FIRST_BUCKET
    while size < n:
        sizes.append(size)
        size *= 2
    sizes.append(n)
    steps: dict[int, int] = {}
    lo = prompt_len + 1  # the first decode position
    for b in sizes:
        if lo > n - 1:
            break
        if b >= lo:
            hi = min(b, n - 1)
            steps[b] = hi - lo + 1
            lo = hi + 1
    return steps


def _bucket_steps_s(s: _Setup, batch: int, prompt_len: int, output_len: int) -> tuple[float, float, int]:
    """(mean step, median step, the median step's bucket) of a request whose decode steps run on the engine's token
    buckets (neuronx_token_buckets), each step timed at its bucket's length (_decode_step_time). The median is the
    lower middle step (statistics.median_low), steps ordered by bucket (a longer bucket is never faster)."""
    steps = neuronx_token_buckets(prompt_len, output_len)
    if not steps:  # one output token: no decode step; the first position's bucket stands in
        b = next(iter(neuronx_token_buckets(prompt_len, 2)))
        t = _decode_step_time(s, batch, b).total_s
        return t, t, b
    times = {b: _decode_step_time(s, batch, b).total_s for b in steps}
    total = sum(steps.values())
    mean = sum(times[b] * k for b, k in steps.items()) / total
    seen, middle = 0, (total - 1) // 2  # median_low's index among the ordered steps
    for b in sorted(steps):
        seen += steps[b]
        if seen > middle:
            return mean, times[b], b
    raise AssertionError("unreachable: the middle step is among the steps")


def microbatches_in_flight(s: _Setup, batch: int) -> int:
    """Micro-batches the batch splits into over the pipeline stages: the engine's (cal.pp_microbatches; None: one per
    stage, as vLLM and TensorRT-LLM run them, see ServingCalibration.pp_microbatches), at most one per sequence of the
    batch; 1 without pipeline parallelism."""
    if s.pp == 1:
        return 1
    return max(1, min(s.cal.pp_microbatches or s.pp, batch))


def pp_stage_layers(layers: int, pp: int) -> tuple[int, ...]:
    """Layers of each pipeline stage, first to last: floor(L/pp) each, the L mod pp left over one more each on the
    stages before the last, from the second-to-last backwards (vLLM's default partition: vllm/distributed/utils.py
    get_pp_indices, `partitions[-i] += 1 for i in range(2, remaining_layers + 2)`: the last stage, which runs the
    final norm and the LM head, never takes an extra layer; the first takes one only when L mod pp = pp - 1; SGLang
    copies the rule). TensorRT-LLM (Mapping.pp_layers, torch.tensor_split) gives them to the first stages instead:
    its last stage holds floor(L/pp) too."""
    counts = [layers // pp] * pp
    for i in range(2, layers % pp + 2):
        counts[-i] += 1
    return tuple(counts)


@dataclass(frozen=True)
class _EndStages:
    """The work of a pass the pipeline's end stages do beside their layers, in seconds at the phase's rates: the input
    embedding's lookup on the first stage (its rows read, not its table), the LM head on the last (Megatron-Core builds
    the embedding on the first pipeline stage and the output layer on the last, pre_process / post_process; vLLM's
    LlamaModel the same, get_pp_group().is_first_rank / is_last_rank, PPMissingLayer elsewhere)."""

    lookup_memory_s: float
    head_compute_s: float
    head_memory_s: float


def _end_stages(s: _Setup, lookup_tokens: int, head_tokens: int, head_reads: int,
                compute_efficiency: float, head_read_efficiency: float | None = None) -> _EndStages:
    """The end stages' own work in a pass of `lookup_tokens` tokens: one embedding row of hidden x 2 bytes per token
    (vocab-parallel: a row lives on one of the tp ranks, 1/tp per rank on average; a learned position table's row on
    every rank), and the LM head's [hidden, vocab/tp] GEMM, 2 x hidden x vocab / tp FLOPs for each of `head_tokens`
    tokens, its hidden x vocab / tp x 2 bytes read `head_reads` times (once per forward: per prefill chunk), at the
    same rates as the phase's linear layers and weights (_prefill_time, _decode_step_time)."""
    m = s.model
    _, head = _embedding_params(m)
    bandwidth = s.spec.memory_bandwidth_byte_per_s * s.cal.decode_bandwidth_efficiency
    rows = lookup_tokens * (1.0 / s.tp + (1.0 if m.position_params() else 0.0))
    return _EndStages(lookup_memory_s=rows * m.hidden * ACT_BYTES / bandwidth,
                      head_compute_s=s.linear_s(2.0 * head_tokens * head / s.tp, 0.0, compute_efficiency),
                      head_memory_s=s.weights_read_bytes(head_reads * head * ACT_BYTES / s.tp, 0.0) / (
                          bandwidth if head_read_efficiency is None
                          else s.spec.memory_bandwidth_byte_per_s * head_read_efficiency))


@dataclass(frozen=True)
class _StageShare:
    """The busiest pipeline stage's shares of a micro-batch's pass: of its roofline time (roof, the stage's layers and
    end-stage work) and of its per-forward overhead (overhead: the stage's layers / L; it launches its own kernels)."""

    roof: float
    overhead: float


def _busiest_stage(s: _Setup, one: PhaseTime, ends: _EndStages) -> _StageShare:
    """The busiest pipeline stage of a pass (the largest roofline time + its share of the overhead). Each stage holds
    its own layers (pp_stage_layers: the ceil(L/pp) split on the stages that take one of the L mod pp left over, the
    floor on the others, the last among them) and their share of the layers' compute and memory terms (the pass's
    terms less the LM head's); the first adds the embedding lookup's reads, the last the LM head's GEMM (_EndStages);
    a stage's time is the larger of its terms (or its share of the launch floor). Before, every stage was charged the
    fullest stage's ceil(L/pp) layers, also the last beside the LM head: Llama 3 8B's 32 layers over 3 stages (11,
    11, 10) charged the last 11 layers + the head. Spread evenly with the layers instead, the LM head of Llama 3 8B
    (0.53 of its 8.0 B params) was undercounted on the last of 2 stages by ~7% of the stage (its 3.5 B layer params
    + 0.53 B head, not 3.75 B)."""
    counts = pp_stage_layers(s.model.layers, s.pp)
    if s.pp == 1 or one.roof_s <= 0:
        share = max(counts) / s.model.layers
        return _StageShare(share, share)
    compute_layers = max(0.0, one.compute_s - ends.head_compute_s)
    memory_layers = max(0.0, one.memory_s - ends.head_memory_s)
    stages = []
    for i, n in enumerate(counts):
        f = n / s.model.layers
        last = i == s.pp - 1
        roof = max(compute_layers * f + (ends.head_compute_s if last else 0.0),
                   memory_layers * f + (ends.lookup_memory_s if i == 0 else 0.0)
                   + (ends.head_memory_s if last else 0.0),
                   one.launch_floor_s * f)
        stages.append((roof + f * one.overhead_s, _StageShare(roof / one.roof_s, f)))
    return max(stages, key=lambda t: t[0])[1]


def _pipelined(one: PhaseTime, m: int, cycle_s: float) -> PhaseTime:
    """`one` (a micro-batch through every stage) with its roofline terms (launch floor included) and its
    per-forward overhead stretched alike so that its total is `cycle_s` where the pipeline, not the micro-batch's own
    pass, sets the time (m micro-batches in flight: the busiest stage's share of each one's work and overhead,
    _decode_cycle_s)."""
    roof_s = one.roof_s
    if m == 1 or cycle_s <= one.total_s or roof_s + one.overhead_s <= 0:
        return one
    r = (cycle_s - one.comm_s) / (roof_s + one.overhead_s)
    return replace(one, compute_s=one.compute_s * r, memory_s=one.memory_s * r, overhead_s=one.overhead_s * r,
                   launch_floor_s=one.launch_floor_s * r, total_s=cycle_s)


def _decode_cycle_s(one_step_s: float, roof_s: float, m: int, overhead_s: float, busiest: _StageShare) -> float:
    """Seconds between two tokens of one micro-batch with m micro-batches in flight over pp stages: its own pass
    through every stage (one_step_s: the stages' roofline terms, the (pp-1) hops and the step overhead), or, when
    longer, the busiest stage's work on all m micro-batches, m x (busiest.roof x roof_s + busiest.overhead x
    overhead_s) (_busiest_stage: its layers and, on an end stage, the LM head or the embedding lookup; the slowest
    stage sets the throughput of a pipeline; Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on
    GPU Clusters Using Megatron-LM", sec. 2.2: with as many micro-batches as stages no stage idles in steady state).
    Each micro-batch's forward pays the per-forward overhead (overhead_s: per_step_overhead_s) and its roofline terms
    (at least the launch floor on an NVIDIA GPU, launch_floor.forward_floor_s: kernels per layer x layers x a
    kernel's time), and a stage launches the kernels of its own layers, so the busiest stage pays its layers' share
    of both per micro-batch, as of the roofline work: with m = pp micro-batches on evenly split layers the bound is
    one pass (roof_s + overhead_s) and the pass itself, which adds the hops, sets the cycle; with m > pp the stage
    bound does, the overhead counted m times. (It was counted once a cycle, in one_step_s: an underestimate wherever
    m x share > 1.)"""
    if m == 1:
        return one_step_s
    return max(one_step_s, m * (busiest.roof * roof_s + busiest.overhead * overhead_s))


def _pipelined_prefill(s: _Setup, batch: int, prompt_len: int, scheduling: str) -> PhaseTime:
    """Prefill of the batch as m micro-batches of ceil(batch/m) sequences through the pp stages. Static (the batch
    starts together): the first finishes after its own pass P, each of the m-1 others one busiest-stage time later
    (the fill of an empty pipeline: m + pp - 1 stage times for m micro-batches over pp stages; Huang et al. 2019,
    "GPipe", sec. 2.2), P + (m-1) x share x (roof + the chunks' per-forward overhead: each micro-batch's forward
    pays it, _decode_cycle_s). Continuous: the prefills join micro-batches of a pipeline that
    is already full, so they take the device time of a decode cycle (_decode_cycle_s): no fill. Waves (a closed
    loop at max load): also no fill. The engine schedules each micro-batch slot on its own (TensorRT-LLM's
    PyExecutor._executor_loop_pp: each iteration schedules the next of its pp slots with the requests that fit,
    prompts or decode steps, and frees a slot's finished requests when its tokens come back), so a micro-batch's
    wave of new prompts enters stage 1 while the other micro-batches hold the other stages: the pipeline fills once,
    at the start of the run, not once per wave. (Until 2026-12-03 a wave paid the fill: TensorRT-LLM v1.0's RTX PRO
    6000 rows, Llama 3.3 70B at --pp 2/4/8, 2048/128, 5000/500 and 20000/2000, were then -18% to -33%, 2 to 6
    times the --pp 1 row's error.)"""
    m = microbatches_in_flight(s, batch)
    micro = math.ceil(batch / m)
    one = _prefill_time(s, micro, prompt_len)
    if m == 1:
        return one
    roof_s = one.roof_s
    chunks = math.ceil(micro * prompt_len / s.cal.max_prefill_chunk_tokens)  # as _prefill_time: a head read each
    ends = _end_stages(s, micro * prompt_len, micro, chunks, s.cal.prefill_compute_efficiency)  # last token: head
    busiest = _busiest_stage(s, one, ends)
    if scheduling in ("continuous", "waves"):  # a pipeline kept full: no fill
        return _pipelined(one, m, _decode_cycle_s(one.total_s, roof_s, m, one.overhead_s, busiest))
    return _pipelined(one, m, one.total_s + (m - 1) * (busiest.roof * roof_s + busiest.overhead * one.overhead_s))


# ---------------------------------------------------------------------------------------------
# Cost and energy (delegated to predict.cost)


def _utilization(phase: PhaseTime, compute_eff: float, bandwidth_eff: float) -> float:
    """Busy fraction of the bounding unit during a phase, for the linear power model of
    predict.cost: the bounding roofline term's efficiency times its share of the phase time
    (communication time counts as idle) -- an estimate."""
    if phase.total_s <= 0:
        return 0.0
    eff = compute_eff if phase.bound == "compute" else bandwidth_eff
    return min(1.0, eff * max(phase.compute_s, phase.memory_s) / phase.total_s)


def _cost_and_energy(s: _Setup, n_devices: int, prefill: PhaseTime, decode: PhaseTime, decode_s: float,
                     output_tokens: int) -> tuple[float | None, float | None]:
    from accelopt.predict import cost

    e2e_s = s.cal.per_request_overhead_s + prefill.total_s + decode_s  # the device is held for the request
    usd: float | None = None
    if s.spec.price_usd_per_hour is not None:
        c = cost.cost_usd(s.spec, n_devices, e2e_s)
        usd = None if c is None else float(c) / output_tokens * 1e6
    energy: float | None = None
    if s.spec.tdp_w is not None:
        facility = cost.Facility()
        bw_eff = s.cal.decode_bandwidth_efficiency
        u_prefill = _utilization(prefill, s.cal.prefill_compute_efficiency, bw_eff)
        u_decode = _utilization(decode, s.cal.decode_compute_efficiency, bw_eff)
        e = float(cost.energy_j(s.spec, n_devices, prefill.total_s, u_prefill, facility))
        e += float(cost.energy_j(s.spec, n_devices, decode_s, u_decode, facility))
        # the request overhead: the device is held (and rented, above) but idle for it, as the throughput counts it
        e += float(cost.energy_j(s.spec, n_devices, s.cal.per_request_overhead_s, 0.0, facility))
        energy = e / output_tokens
    return usd, energy


# ---------------------------------------------------------------------------------------------
# Entry points


def predict_serving(model: TransformerConfig, spec: AcceleratorSpec, *, tp: int = 1, pp: int = 1, batch: int = 1,
                    prompt_len: int, output_len: int, weight_dtype: str = "bf16", kv_dtype: str = "bf16",
                    calibration: ServingCalibration = DEFAULT_CALIBRATION,
                    allow_oom: bool = False, scheduling: str = "static", moe: MoELayout = NO_MOE) -> ServingPrediction:
    """Predict TTFT, TPOT, throughput, memory per device, max batch, cost and energy per token.

    scheduling 'static': `batch` requests start together (TTFT = prefill of the whole batch); 'waves': the same,
    batch after batch in a closed loop at max load, so with pp > 1 a batch's prefill finds the pipeline full
    (_pipelined_prefill: no fill); 'continuous':
    `batch` requests are in flight at once and arrive staggered (in-flight / continuous batching, Yu et al. 2022,
    "Orca", sec. 4; Kwon et al. 2023): a new request waits for the running decode step (half of one on average),
    then its own prefill; throughput over a request's life is the static batch's (each request's prefill runs
    once between decode steps), and so E2E holds the other requests' prefills too (_prefill_stall_s: Little's law
    between concurrency, requests/s and E2E), which TPOT = (E2E - TTFT) / (output - 1) carries (_tpot_s).
    `moe`: expert and attention-data parallelism (serving_moe.MoELayout); `batch` is then the requests of the
    whole replica, spread over the attention-DP ranks, and the replica holds tp x attention_dp x pp devices.
    Raises InfeasibleError when the configuration cannot run (does not fit unless `allow_oom`, tp not
    dividing heads, a dtype without a device peak, TP/PP without a link) and InputError for bad values.
    """
    _check_counts(batch, prompt_len, output_len)
    check_kv_dtype(kv_dtype)
    _check_layout(model, tp, pp, moe)
    model = serving_moe.routed_model(model, moe)  # --dense-experts: every expert on every token
    if scheduling not in SCHEDULING:
        raise InputError(f"scheduling {scheduling!r}", f"use one of {', '.join(SCHEDULING)}")
    calibration = calibration_for_spec(spec, calibration)
    s = _setup(model, spec, tp, pp, weight_dtype, kv_dtype, calibration, moe)
    compute_dtype = compute_dtype_for(spec, weight_dtype)
    n_devices = tp * pp * moe.attention_dp

    w, kv, ws = _memory_per_device(model, tp, pp, batch, prompt_len, output_len, weight_dtype, kv_dtype, calibration,
                                   moe)
    usable = usable_bytes(spec, w, ws, calibration)
    total = w + kv + ws
    fits = total <= usable
    mb = max_batch(model, spec, tp=tp, pp=pp, prompt_len=prompt_len, output_len=output_len,
                   weight_dtype=weight_dtype, kv_dtype=kv_dtype, calibration=calibration, moe=moe)
    if not fits and not allow_oom:
        raise InfeasibleError(
            f"{model.name} on {n_devices} x {spec.name} (tp={tp}, pp={pp}, batch={batch}) needs "
            f"{_gib_text(total)} per device (weights {_gib_text(w)}, KV cache {_gib_text(kv)}, "
            f"workspace {_gib_text(ws)}) > {_gib_text(usable)} usable",
            (f"use batch <= {mb}" if mb else "raise --tp/--pp (or --ep with --attention-dp) or use --weight-dtype "
             "fp8/int8/int4")
            + ", a smaller --kv-dtype (fp8), shorter prompts, or a device with more memory")

    m = microbatches_in_flight(s, batch)  # pipeline parallelism: micro-batches of ceil(batch/m) in flight
    micro = math.ceil(batch / m)
    prefill = _pipelined_prefill(s, batch, prompt_len, scheduling)
    decode_ctx = prompt_len + output_len / 2.0
    p50_s: float | None = None
    if calibration.token_buckets is not None:  # static token buckets: each step at its bucket's length
        one_s, p50_s, decode_ctx = _bucket_steps_s(s, micro, prompt_len, output_len)
    one = _decode_step_time(s, micro, decode_ctx)
    busiest = _busiest_stage(s, one, _end_stages(s, micro, micro, 1, s.cal.decode_compute_efficiency,
                                                 decode_weight_efficiency(s, micro)))
    step = _pipelined(one, m, _decode_cycle_s(one.total_s, one.roof_s, m, one.overhead_s, busiest))
    if p50_s is None:
        one_s = _mean_decode_step_s(s, micro, prompt_len, output_len)
    # the blocking PP loop's host work per round, in series with the devices' cycle (pp_host_per_request_s)
    host_s = calibration.pp_host_round_s(pp, batch)
    step_s = host_s + _decode_cycle_s(one_s, one_s - one.comm_s - one.overhead_s, m, one.overhead_s,
                                      busiest)  # at the mean step, the busiest stage's shares at the middle one
    tpot_p50_s = None if p50_s is None else host_s + _decode_cycle_s(
        p50_s, p50_s - one.comm_s - one.overhead_s, m, one.overhead_s, busiest)
    decode_s = (output_len - 1) * step_s
    if scheduling in ("static", "waves") or output_len == 1:
        # static: the other prefills fall before the first token. One output token (prefill only, e.g. scoring): no
        # request decodes, so none waits for a decode step and the prefills in flight run together, as a static batch
        ttft = calibration.per_request_overhead_s + prefill.total_s + host_s
        e2e, tpot = ttft + decode_s, step_s
    else:
        own_prefill_s = _prefill_time(s, 1, prompt_len).total_s
        ttft = calibration.per_request_overhead_s + own_prefill_s + step.total_s / 2.0 + host_s
        e2e = ttft + decode_s + _prefill_stall_s(prefill, own_prefill_s)  # ... or between its decode steps
        tpot = _tpot_s(ttft, e2e, output_len, step_s)
    # one cycle of a slot of the batch: the request's host-side overhead (before its first forward, in TTFT and E2E),
    # then the batch's prefills and decode steps. The overhead overlaps the other requests' device work, but the
    # request's own slot is empty meanwhile (a closed loop of `batch` clients sends the next request only when one
    # completes), so the slot delivers output_len tokens per cycle: throughput = batch x output / (overhead + work),
    # and requests in flight = requests/s x E2E (Little 1961) holds with any overhead, to within TTFT's half-step
    # wait. The decode steps are timed at the full batch (slots empty for the overhead would shorten them a little).
    work_s = calibration.per_request_overhead_s + prefill.total_s + host_s + decode_s
    tokens = batch * output_len
    usd, energy = _cost_and_energy(s, n_devices, prefill, step, decode_s, tokens)
    return ServingPrediction(
        model=model.name, device=spec.name, tp=tp, pp=pp, pp_microbatches=m, n_devices=n_devices, batch=batch,
        prompt_len=prompt_len, output_len=output_len, weight_dtype=weight_dtype, kv_dtype=kv_dtype,
        compute_dtype=compute_dtype, expert_weight_dtype=moe.expert_weight_dtype,
        expert_compute_dtype=_expert_compute_dtype(spec, weight_dtype, moe) if moe.expert_weight_dtype else None,
        scheduling=scheduling, ttft_s=ttft, tpot_s=tpot, e2e_latency_s=e2e,
        decode_tokens_per_s=batch / step_s, output_tokens_per_s=tokens / work_s,
        output_tokens_per_s_per_device=tokens / work_s / n_devices, prefill=prefill, decode_step=step,
        kv_cache_bytes_per_token=kv_cache_bytes_per_token(model, kv_dtype, s.cal), weights_bytes_per_device=w,
        kv_cache_bytes_per_device=kv, workspace_bytes_per_device=ws, memory_bytes_per_device=total,
        usable_memory_bytes_per_device=usable, fits=fits, max_batch=mb, usd_per_million_output_tokens=usd,
        energy_j_per_output_token=energy, calibration=s.cal, pp_host_round_s=host_s, tpot_p50_s=tpot_p50_s,
        assumed=links_assumed(spec, tp, pp, calibration, moe, model.is_moe),
        moe=serving_moe.summary(s, batch, prompt_len) if moe.active else None,
        decode_weight_rate=None if moe.active else measured_decode_weight_rate(s, micro))


def _prefill_stall_s(batch_prefill: PhaseTime, own_prefill_s: float) -> float:
    """Seconds a continuous-batching request's decode waits on the prefills of the other requests in flight.

    With C requests in flight, Little's law (Little 1961) gives C arrivals during one request's life (E2E x the
    request rate, rate = C / E2E); the engine runs each one's prefill between decode steps (Yu et al. 2022,
    "Orca", sec. 4), so the C - 1 other prefills stall this request's decode. Their device time is the prefill of
    the C prompts less this request's own: the same batch prefill the throughput counts, so throughput and E2E
    satisfy C = requests/s x E2E (to within the half decode step of TTFT's wait)."""
    return max(0.0, batch_prefill.total_s - own_prefill_s)


def _tpot_s(ttft_s: float, e2e_s: float, output_len: int, step_s: float) -> float:
    """Time per output token as the serving benchmarks define it: (E2E - TTFT) / (output tokens - 1), so the
    stalls of other requests' prefills are in it (vLLM benchmarks/benchmark_serving.py calculate_metrics:
    `tpots.append((outputs[i].latency - outputs[i].ttft) / (output_len - 1))`; trtllm-bench reports the same
    per-request TPOT). One output token has no TPOT: the mean decode step `step_s` stands in."""
    return (e2e_s - ttft_s) / (output_len - 1) if output_len > 1 else step_s


def check_requests(requests: Any) -> None:
    """--requests is a positive whole number (the run's dataset size): one check for plan serve's options, before
    any device is read, and for finite_run's library callers."""
    if not isinstance(requests, int) or isinstance(requests, bool) or requests < 1:
        raise InputError(f"--requests {requests!r} must be a positive whole number of requests",
                         "give --requests >= 1 (the run's dataset size), or leave it out for steady waves")


def finite_run(model: TransformerConfig, spec: AcceleratorSpec, steady: ServingPrediction, requests: int, *,
               calibration: ServingCalibration, moe: MoELayout = NO_MOE, **kw: Any) -> ServingPrediction:
    """A max-load run of `requests` fixed-length requests (a benchmark's finite dataset: trtllm-bench throughput
    serves the $num_requests of its prepare_dataset.py file, TensorRT-LLM perf-overview 'Preparing a Dataset'),
    from `steady`, the 'waves' prediction at the requests the engine holds (C = steady.batch): ceil(requests / C)
    waves, the last holding R = requests - (waves - 1) x C, predicted as a wave of R of its own (its decode steps
    read the weights for fewer requests). Throughput = requests x output / ((waves - 1) x C x output / steady
    tok/s + R x output / last-wave tok/s), and the decode rate the same over the waves' decode tok/s; cost and
    energy per output token are the waves' token-weighted means (their totals over the run's tokens). The other
    figures (TTFT, TPOT, memory) stay the full wave's. A run of no
    more requests than C is one wave of them all: every figure is that wave's (batch = requests; the engine never
    holds C, so a full wave's TTFT, TPOT and memory would describe requests that never ran)."""
    check_requests(requests)
    c = steady.batch
    if requests <= c:  # one wave of them all: the prediction at batch = requests, every figure its own
        one = steady if requests == c else predict_serving(model, spec, batch=requests, scheduling="waves",
                                                           calibration=calibration, moe=moe, **kw)
        return replace(one, requests=requests, last_wave_batch=requests)
    waves = -(-requests // c)
    rest = requests - (waves - 1) * c
    last = steady if rest == c else predict_serving(model, spec, batch=rest, scheduling="waves",
                                                    calibration=calibration, moe=moe, **kw)
    out = steady.output_len
    full_tokens, last_tokens = (waves - 1) * c * out, rest * out
    tok_s = requests * out / (full_tokens / steady.output_tokens_per_s + last_tokens / last.output_tokens_per_s)
    # the run's decoding rate the same way: its tokens over the waves' decode time (each wave's tokens / its rate);
    # the steady wave's alone was printed beside the run's throughput (utserve3, 2026-12-05)
    decode = requests * out / (full_tokens / steady.decode_tokens_per_s + last_tokens / last.decode_tokens_per_s)

    def mean(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else (full_tokens * a + last_tokens * b) / (requests * out)

    return replace(steady, requests=requests, last_wave_batch=rest, output_tokens_per_s=tok_s,
                   decode_tokens_per_s=decode,
                   output_tokens_per_s_per_device=tok_s / steady.n_devices,
                   usd_per_million_output_tokens=mean(steady.usd_per_million_output_tokens,
                                                      last.usd_per_million_output_tokens),
                   energy_j_per_output_token=mean(steady.energy_j_per_output_token, last.energy_j_per_output_token))


def max_load_concurrency(model: TransformerConfig, spec: AcceleratorSpec, *, calibration: ServingCalibration,
                         moe: MoELayout = NO_MOE, **kw: Any) -> int:
    """Requests in flight under maximum load: the largest batch whose KV cache fits, capped by the engine's
    max_batch_size per attention-DP rank (each DP rank runs its own scheduler: TensorRT-LLM
    PyExecutor._fetch_new_requests admits tp_size x max_num_active_requests with attention DP, and
    max_num_active_requests = max_batch_size x pp, PyTorchModelEngine.get_max_num_sequences), and with pipeline
    parallelism by pp where the engine caps each micro-batch (batch_cap_requests)."""
    fits = max_batch(model, spec, calibration=calibration, moe=moe, **kw)
    return min(fits, batch_cap_requests(calibration, kw.get("pp", 1)) * moe.attention_dp)


def _engine_cap_fix(model: TransformerConfig, spec: AcceleratorSpec, cap: int, kw: dict[str, Any]) -> str:
    """', or raise --max-batch-size ...' where the engine's cap on requests in flight, not memory, set the `cap` a
    saturated --rate ran into (more requests' KV cache would fit); '' where memory did."""
    if max_batch(model, spec, **kw) <= cap:
        return ""
    return (f", or raise --max-batch-size (the engine's cap on requests in flight, {cap:,} here; the KV cache "
            "holds more)")


def batch_cap_requests(cal: ServingCalibration, pp: int) -> int:
    """Requests one attention-DP rank's scheduler holds at once: max_batch_size x pp where max_batch_size caps each
    micro-batch (TensorRT-LLM's rule, the default: PyTorchModelEngine.get_max_num_sequences, max_batch_size x
    pp; TensorRT-LLM has no setting for the micro-batches in flight, so cal.pp_microbatches does not change it);
    max_batch_size in all where the engine caps all together (cal.max_batch_size_per_microbatch False: vLLM's
    max_num_seqs)."""
    if pp == 1 or cal.max_batch_size_per_microbatch is False:
        return cal.max_batch_size
    return cal.max_batch_size * pp


def predict_at_rate(model: TransformerConfig, spec: AcceleratorSpec, *, rate_per_s: float, tp: int = 1, pp: int = 1,
                    prompt_len: int, output_len: int, weight_dtype: str = "bf16", kv_dtype: str = "bf16",
                    calibration: ServingCalibration = DEFAULT_CALIBRATION,
                    moe: MoELayout = NO_MOE, nvfp4_kv: bool = False) -> ServingPrediction:
    """Continuous batching fed by Poisson arrivals at `rate_per_s` requests/s (an open loop, like vLLM's
    benchmark_serving --request-rate). `nvfp4_kv`: an NVFP4 KV cache runs here (nvfp4_kv_runs), so the fixes
    name it.

    Concurrency: the smallest C that completes the rate, C >= rate x E2E(C) by Little's law (Little 1961), with
    the device time of C's batch (its prefills and decode steps) within the wall time, solved by bisection over C
    up to max_load_concurrency (the largest batch that fits, capped by the engine's max_batch_size); the engine
    saturates when the rate is above what C_max completes (InfeasibleError). Output tokens/s, $/M tokens and
    J/token are the steady state's (_steady_state): the engine delivers the tokens that arrive.
    Queueing before prefill: the M/D/1 mean wait W = rho x S / (2 (1 - rho)) (Pollaczek-Khinchine), with
    rho = rate / saturation rate and S = 1 / saturation rate, added to TTFT (an estimate: arrivals Poisson,
    service taken as deterministic).
    """
    if not 0 < rate_per_s < math.inf:
        raise InputError(f"--rate {rate_per_s!r} requests/s must be a finite number > 0", "give e.g. --rate 2.5")
    kw: dict[str, Any] = {"tp": tp, "pp": pp, "prompt_len": prompt_len, "output_len": output_len,
                          "weight_dtype": weight_dtype, "kv_dtype": kv_dtype,
                          "calibration": calibration_for_spec(spec, calibration), "moe": moe}
    cap = max_load_concurrency(model, spec, **kw)
    if cap == 0:
        raise nothing_fits_error(model, spec, **kw, nvfp4_kv=nvfp4_kv)

    def at(c: int) -> ServingPrediction:
        return predict_serving(model, spec, batch=c, scheduling="continuous", **kw)

    def completes(p: ServingPrediction) -> float:
        """Requests/s the engine completes at concurrency p.batch: Little's law over its latency, and no more than
        its device time allows (the batch's prefills and decode steps, p.output_tokens_per_s)."""
        return min(p.batch / p.e2e_latency_s, p.output_tokens_per_s / p.output_len)

    top = at(cap)
    saturation = completes(top)  # requests/s the engine completes at its largest concurrency
    if rate_per_s >= saturation:
        raise InfeasibleError(f"{rate_per_s:g} requests/s exceeds what {model.name} on "
                              f"{tp * pp * moe.attention_dp} x {spec.name} "
                              f"completes ({saturation:.3g} requests/s at {cap} in flight): the queue grows without "
                              "bound", f"use --rate < {saturation:.3g}, "
                              + _fp8_fix(weight_dtype, kv_dtype, nvfp4_kv).replace("use ", "", 1) + "or more devices"
                              + _engine_cap_fix(model, spec, cap, kw))
    lo, hi = 1, cap  # smallest C that completes the rate: C >= rate x E2E(C) (Little's law) and the device keeps up
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if completes(at(mid)) >= rate_per_s else (mid + 1, hi)
    p = at(lo)
    rho = rate_per_s / saturation
    wait = rho / saturation / (2.0 * (1.0 - rho))
    return _steady_state(replace(p, request_rate_per_s=rate_per_s, queue_wait_s=wait, ttft_s=p.ttft_s + wait,
                                 e2e_latency_s=p.e2e_latency_s + wait), spec, rate_per_s)


def _steady_state(p: ServingPrediction, spec: AcceleratorSpec, rate_per_s: float) -> ServingPrediction:
    """Throughput, $/M tokens and J/token of an open loop that keeps up: in steady state the engine completes the
    requests that arrive, so output tokens/s = rate x output tokens (not the throughput of the concurrency's
    batch, which is what the engine could complete, above what arrives). The replica is rented the whole wall
    time; it is busy the share of it its work takes (offered / batch throughput, drawing the batch's energy per
    token) and idle the rest (predict.cost's idle power)."""
    from accelopt.predict import cost

    tokens_per_s = rate_per_s * p.output_len
    usd: float | None = None
    usd_per_s = cost.cost_usd(spec, p.n_devices, 1.0)
    if usd_per_s is not None:
        usd = float(usd_per_s) / tokens_per_s * 1e6
    energy: float | None = None
    if p.energy_j_per_output_token is not None:
        idle_share = max(0.0, 1.0 - tokens_per_s / p.output_tokens_per_s)  # of each second of wall time
        idle_j = float(cost.energy_j(spec, p.n_devices, idle_share, 0.0, cost.Facility()))
        energy = p.energy_j_per_output_token + idle_j / tokens_per_s
    return replace(p, output_tokens_per_s=tokens_per_s, output_tokens_per_s_per_device=tokens_per_s / p.n_devices,
                   usd_per_million_output_tokens=usd, energy_j_per_output_token=energy)


@dataclass(frozen=True, kw_only=True)
class BatchSweep:
    """Throughput/latency trade-off over batch sizes for one model, device and layout."""

    points: list[ServingPrediction]
    max_batch: int
    ridge_batch: int | None
    """Smallest batch at which a decode step (at the mean context) turns compute-bound; None if it
    never does below max_batch x 1024 (attention KV reads grow with batch as fast as its FLOPs)."""


def decode_ridge_batch(model: TransformerConfig, spec: AcceleratorSpec, *, tp: int = 1, pp: int = 1,
                       prompt_len: int, output_len: int, weight_dtype: str = "bf16", kv_dtype: str = "bf16",
                       calibration: ServingCalibration = DEFAULT_CALIBRATION, limit: int = 1 << 24,
                       moe: MoELayout = NO_MOE) -> int | None:
    """Smallest batch whose decode step at the mean context is compute-bound (compute_s >= memory_s).

    For a dense model this is about B* = W/(bw·eff_bw) / (2N/(peak·eff_c) - c·kv/(bw·eff_bw)) -- the
    ridge point of the roofline (Williams et al. 2009) in units of batch; searched numerically so MoE
    (weights read grow with batch, `experts_touched`) is handled too. Ignores memory capacity. With m pipeline
    micro-batches in flight (microbatches_in_flight) each step runs ceil(batch/m) sequences: m x their ridge.
    """
    _check_layout(model, tp, pp, moe)
    calibration = calibration_for_spec(spec, calibration)
    s = _setup(model, spec, tp, pp, weight_dtype, kv_dtype, calibration, moe)
    ctx = prompt_len + output_len / 2.0

    def compute_bound(b: int) -> bool:
        t = _decode_step_time(s, b, ctx)
        return t.compute_s >= t.memory_s

    m = microbatches_in_flight(s, limit)  # the batch runs as m micro-batches: its ridge is m micro-batch ridges
    if compute_bound(1):
        return m
    lo, hi = 1, 2
    while not compute_bound(hi):
        lo, hi = hi, hi * 2
        if hi * m > limit:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if compute_bound(mid) else (mid, hi)
    return hi * m


def sweep_batch(model: TransformerConfig, spec: AcceleratorSpec, *, tp: int = 1, pp: int = 1,
                batches: list[int] | None = None, prompt_len: int, output_len: int, weight_dtype: str = "bf16",
                kv_dtype: str = "bf16", calibration: ServingCalibration = DEFAULT_CALIBRATION,
                scheduling: str = "static", moe: MoELayout = NO_MOE, nvfp4_kv: bool = False) -> BatchSweep:
    """Predictions for `batches` (default: powers of two from 1 up to the largest batch that fits, and
    that largest batch itself). Batches that do not fit are returned with fits=False; when not even batch 1
    fits, InfeasibleError says what the memory holds and the fix (naming --kv-dtype nvfp4 with `nvfp4_kv`)."""
    mb = max_batch(model, spec, tp=tp, pp=pp, prompt_len=prompt_len, output_len=output_len,
                   weight_dtype=weight_dtype, kv_dtype=kv_dtype, calibration=calibration, moe=moe)
    if mb == 0:  # nothing fits: what does not (weights, or one request's KV cache), with numbers and the fix
        raise nothing_fits_error(model, spec, tp=tp, pp=pp, prompt_len=prompt_len, output_len=output_len,
                                 weight_dtype=weight_dtype, kv_dtype=kv_dtype, calibration=calibration, moe=moe,
                                 requested=max(batches) if batches else None, nvfp4_kv=nvfp4_kv)
    if batches is None:
        batches = [1 << i for i in range(mb.bit_length()) if (1 << i) <= mb]
        if batches[-1] != mb:
            batches.append(mb)
    points = [predict_serving(model, spec, tp=tp, pp=pp, batch=b, prompt_len=prompt_len, output_len=output_len,
                              weight_dtype=weight_dtype, kv_dtype=kv_dtype, calibration=calibration, allow_oom=True,
                              scheduling=scheduling, moe=moe)
              for b in batches]
    ridge = decode_ridge_batch(model, spec, tp=tp, pp=pp, prompt_len=prompt_len, output_len=output_len,
                               weight_dtype=weight_dtype, kv_dtype=kv_dtype, calibration=calibration,
                               limit=max(mb, 1) * 1024, moe=moe)
    return BatchSweep(points=points, max_batch=mb, ridge_batch=ridge)


def nothing_fits_error(model: TransformerConfig, spec: AcceleratorSpec, *, tp: int, pp: int, prompt_len: int,
                       output_len: int, weight_dtype: str, kv_dtype: str, calibration: ServingCalibration,
                       moe: MoELayout = NO_MOE, requested: int | None = None,
                       nvfp4_kv: bool = False) -> NothingFitsError:
    """Not even one request fits (max_batch 0): say whether the weights (+ workspace) alone overflow the usable
    memory or one request's KV cache does not fit in what they leave, in GiB per device (as every serving message
    and table: _gib_text), with the KV cache of the `requested` batch (--batch/--concurrency) beside it, and the fix
    for that cause (a smaller KV dtype named where one request then fits: fp8, and nvfp4 where `nvfp4_kv` says an
    NVFP4 KV cache runs here, nvfp4_kv_runs)."""
    # a weight dtype the device cannot run at all is the first problem: naming memory first sent the user to more
    # devices (edge-tpu, int8 weight-only on a device with no 16-bit peak), only to be refused for the dtype next
    compute_dtype_for(spec, weight_dtype)
    check_kv_device(spec, kv_dtype, any_engine=True)  # so is a KV cache no engine holds there (nvfp4 off Blackwell)
    if moe.active:
        _expert_compute_dtype(spec, weight_dtype, moe)
    cal = calibration_for_spec(spec, calibration)
    w, kv1, ws = _memory_per_device(model, tp, pp, 1, prompt_len, output_len, weight_dtype, kv_dtype, cal, moe)
    usable = usable_bytes(spec, w, ws, cal)
    where = f"{model.name} on {tp * pp * moe.attention_dp} x {spec.name} (--tp {tp}, --pp {pp}"
    where += f", --ep {moe.ep}, --attention-dp {moe.attention_dp})" if moe.active else ")"
    rule = (f"{cal.memory_utilization:.0%} of {_gib_text(spec.memory_bytes)}" if cal.memory_basis == "total"
            else f"weights + workspace + {cal.memory_utilization:.0%} of the rest of {_gib_text(spec.memory_bytes)}")
    more = "--tp/--pp" + (" (or --ep)" if model.is_moe else "")
    if w + ws >= usable:
        dtypes_ = weight_dtype + (f", experts {moe.expert_weight_dtype}" if moe.expert_weight_dtype else "")
        problem = (f"{where}: the weights alone need {_gib_text(w)} per device ({dtypes_}"
                   f"{_not_as_stored_text(model, weight_dtype, moe)}) + workspace "
                   f"{_gib_text(ws)}, above the {_gib_text(usable)} usable ({rule}), before any KV cache")
        now = weight_bytes_per_param(weight_dtype, cal)
        smaller = [d for d in ("fp8", "int8", "w8a8", "int4")
                   if weight_bytes_per_param(d, cal) < now and _runs_on(spec, d)]
        for same in ("int8", "w8a8"):  # 1 byte as fp8: name only the first the device runs (fp8, else weight-only)
            if same in smaller and smaller.index(same) > 0 and weight_bytes_per_param(smaller[0], cal) == 1.0:
                smaller.remove(same)
        # name only the dtypes one request then fits at: Llama 3 70B on an L4 (20.2 GiB usable) was told 'use
        # --weight-dtype fp8 or int4', whose 65.7 / 34.3 GiB of weights are refused in turn (utmisc 2026-12-04)
        fitting = [d for d in smaller if _fits_one_request(model, spec, tp, pp, prompt_len, output_len, d, kv_dtype,
                                                           cal, moe)]
        still = ""
        if smaller and not fitting:
            w_least = _memory_per_device(model, tp, pp, 1, prompt_len, output_len, smaller[-1], kv_dtype, cal, moe)[0]
            still = (f" (even --weight-dtype {smaller[-1]} would not fit one request: its weights need "
                     f"{_gib_text(w_least)} per device)")
        # a layout to try, not only a direction (utserve3), and one that runs (utleftplan)
        at = _least_layout_text(model, spec, tp, pp, cal, moe, (prompt_len, output_len, weight_dtype, kv_dtype))
        fix = (f"raise {more} to split the weights over more devices{at}, "
               + (f"use --weight-dtype {' or '.join(fitting)}, " if fitting else "") + _smaller_experts_fix(
                   model, spec, weight_dtype, moe, cal, (tp, pp, prompt_len, output_len, kv_dtype))
               + "or a device with more memory" + still)
    else:
        problem = (f"{where}: one request of {prompt_len:,} + {output_len:,} tokens needs {_gib_text(kv1)} of KV "
                   f"cache per device ({kv_dtype}), but weights {_gib_text(w)} + workspace {_gib_text(ws)} leave "
                   f"{_gib_text(usable - w - ws)} of the {_gib_text(usable)} usable ({rule})")
        # fp8 named only where one request then fits (1,000,000 tokens of Llama 3 8B on an H100: 61 GiB at fp8);
        # nvfp4 too where its cache runs here (Blackwell, an engine that runs it for this model) and one request fits
        smaller = [d for d in ("fp8", "nvfp4") if (d == "fp8" or nvfp4_kv)
                   and kv_bytes_per_value(kv_dtype) > kv_bytes_per_value(d)
                   and _fits_one_request(model, spec, tp, pp, prompt_len, output_len, weight_dtype, d, cal, moe)]
        fix = ("shorten --prompt/--output, " + (f"use --kv-dtype {' or '.join(smaller)}, " if smaller else "")
               + f"raise {more} to split the KV cache over more devices, or a device with more memory")
    kv_b, ws_b = kv1, ws
    if requested is not None and requested > 1:
        _, kv_b, ws_b = _memory_per_device(model, tp, pp, requested, prompt_len, output_len, weight_dtype, kv_dtype,
                                           cal, moe)
        problem += (f"; the requested batch {requested:,} would need {_gib_text(kv_b)} of KV cache "
                    f"({_gib_text(w + kv_b + ws_b)} in all) per device")
    # the terms as numbers too: `plan serve --json` carried them only inside the problem's text (ut10 2026-12-04)
    memory = ServeMemory(batch=max(requested or 1, 1), weights_bytes_per_device=w, kv_cache_bytes_per_device=kv_b,
                         workspace_bytes_per_device=ws_b, memory_bytes_per_device=w + kv_b + ws_b,
                         usable_memory_bytes_per_device=usable)
    return NothingFitsError(problem, fix, memory=memory)


def _least_layout_text(model: TransformerConfig, spec: AcceleratorSpec, tp: int, pp: int, cal: ServingCalibration,
                       moe: MoELayout, request: tuple[int, int, str, str]) -> str:
    """' (at --tp T, --pp P: N devices, holds one request)': the layout of the fewest devices that holds one request
    (weights that overflow a device), --tp from the given one up to the devices of one scale-up domain (a node: tp
    runs its all-reduces on that link) among the values the heads allow (_check_layout), --pp from the given one up
    to the layers, over one domain unless the spec has a scale-out link; of as many devices, the fewer stages (tensor
    parallelism inside a node, pipeline stages across nodes). It searched --pp alone at the given --tp: Llama 3 70B
    on one L4 was sent to --pp 8, and Llama 3.1 405B to --pp 63, 63 devices over 8 domains that its spec has no link
    between, refused next (utserve3's leftover). Where no layout holds it: the devices its weights need at least, and
    why none of those searched runs."""
    prompt_len, output_len, weight_dtype, kv_dtype = request
    kv, domain = model.n_kv_heads, int(spec.scaleup_domain_devices)
    # a layout over several scale-up domains runs only where the spec has a link between them (_no_link refuses it)
    joined = bool(spec.scaleout_bandwidth_byte_per_s)
    tps = [t for t in range(tp, max(tp, domain) + 1)
           if t == tp or (model.heads % t == 0 and (kv % t == 0 or t % kv == 0) and _moe_tp_ok(model, t, moe))]
    best: tuple[int, int, int] | None = None  # (devices, pp, tp)
    for t in tps:
        p = next((p for p in range(max(pp, 1), model.layers + 1)
                  if (joined or t * p * moe.attention_dp <= domain) and _fits_one_request(
                      model, spec, t, p, prompt_len, output_len, weight_dtype, kv_dtype, cal, moe)), None)
        if p is not None and (best is None or (t * p, p) < best[:2]):
            best = (t * p, p, t)
    if best is not None:
        p, t = best[1], best[2]
        return f" (at --tp {t}, --pp {p}: {t * p * moe.attention_dp} devices, holds one request)"
    w_all = _weight_bytes_total(model, weight_dtype, cal, moe)
    # the most weights one device can hold: its usable memory ('total' basis), or all of it ('free': the KV pool is
    # a fraction of what the weights leave), so the count is a floor
    most = spec.memory_bytes * (cal.memory_utilization if cal.memory_basis == "total" else 1.0)
    where = (f"no --tp up to the {domain} devices of one scale-up domain with --pp up to the {model.layers} layers "
             "holds one request" if joined else
             f"no layout within one scale-up domain of {domain} holds one request, and its spec lists no scale-out "
             "bandwidth (scaleout_bandwidth_byte_per_s) to join domains")
    return (f" (its {weight_dtype} weights, {_gib_text(w_all)} in all, need at least {math.ceil(w_all / most):,} x "
            f"{spec.name}: {where})")


def _not_as_stored_text(model: TransformerConfig, weight_dtype: str, moe: MoELayout) -> str:
    """'; its checkpoint stores them as --weight-dtype fp8 (quantization_config), not given' where the config's
    quantization_config names weight flags (TransformerConfig.stored_weight_flags) this run's weights differ from: a
    DeepSeek-V3 FP8 config run without flags was told its bf16 weights do not fit, and to quantize them to int4,
    without a word of the format it ships in (its note is not printed on exit 2; ut4fix). '' otherwise."""
    run = {"--weight-dtype": weight_dtype, "--expert-weight-dtype": expert_dtype(weight_dtype, moe)}
    named = [(f, v) for f, v in model.stored_weight_flags if f in run]
    if not named or all(run[f] == v for f, v in named):
        return ""
    return f"; its checkpoint stores them as {' '.join(f'{f} {v}' for f, v in named)} (quantization_config), not given"


def _moe_tp_ok(model: TransformerConfig, tp: int, moe: MoELayout) -> bool:
    """serving_moe.check_layout accepts this --tp with the MoE layout (True for a dense model)."""
    try:
        serving_moe.check_layout(model, tp, moe)
    except AcceloptError:
        return False
    return True


def _smaller_experts_fix(model: TransformerConfig, spec: AcceleratorSpec, weight_dtype: str, moe: MoELayout,
                         cal: ServingCalibration, request: tuple[int, int, int, int, str]) -> str:
    """'--expert-weight-dtype D (...), ' naming the smaller dtypes the device runs for an MoE model's routed experts
    (most of its weights), as quantized checkpoints store them (gpt-oss: MXFP4 experts only), where one request
    (tp, pp, prompt, output, KV dtype) then fits (Mixtral 8x7B on an L4 was told 'fp8 or mxfp4 or int4': 25.3 GiB
    with mxfp4 experts, 20.2 usable); '' otherwise."""
    if not model.is_moe:
        return ""
    tp, pp, prompt_len, output_len, kv_dtype = request
    now = weight_bytes_per_param(expert_dtype(weight_dtype, moe), cal)
    smaller = [d for d in ("fp8", "mxfp4", "int4") if weight_bytes_per_param(d, cal) < now and _runs_on(spec, d)
               and _fits_one_request(model, spec, tp, pp, prompt_len, output_len, weight_dtype, kv_dtype, cal,
                                     replace(moe, expert_weight_dtype=d))]
    if not smaller:
        return ""
    return (f"quantize the routed experts alone with --expert-weight-dtype {' or '.join(smaller)} (as gpt-oss's "
            "MXFP4 checkpoint stores them), ")


def device_independent_error(errors: list[ServeError]) -> ServeError | None:
    """The one error every device of several gave, word for word, naming no device and no memory figure (a layout
    the model cannot take, such as a --tp that does not divide its heads): None where the devices differ. `plan serve
    --hardware all --tp 5` printed it once a device, 45 times (utsmall, 2026-12-06)."""
    if len(errors) < 2 or any(e.memory is not None for e in errors):
        return None
    first = errors[0]
    if any((e.problem, e.fix) != (first.problem, first.fix) for e in errors):
        return None
    return None if any(e.device in first.problem or e.device in first.fix for e in errors) else first


def none_served_error(model_name: str, tp: int, pp: int, errors: list[ServeError]) -> InfeasibleError:
    """The exit-2 error where none of several devices tried serves the model, each listed with its reason
    (`errors`): how many refused it for memory (the closest one's need and its fix) and how many for another reason.
    Before utserve2 (2026-12-05) the first device's own reason was the error: `--hardware all` with a model too big
    for any one device ended on 'groq-lpu has no bf16 peak; fix: use --weight-dtype fp16', a fix that serves it
    nowhere."""
    if (common := device_independent_error(errors)) is not None:  # one reason, said once (utsmall, 2026-12-06)
        return InfeasibleError(f"{model_name} (--tp {tp}, --pp {pp}) is served on none of the {len(errors)} devices "
                               f"tried, for one reason that does not depend on the device: {common.problem} (JSON: "
                               "errors[], one entry a device)", common.fix)
    mem = [e for e in errors if e.memory is not None]
    parts = []
    fix = "each device's own fix, listed with it (JSON: errors[].fix)"
    if mem:
        def short(e: ServeError) -> float:  # need / usable: the device that comes closest to holding one request
            assert e.memory is not None
            return e.memory.memory_bytes_per_device / max(e.memory.usable_memory_bytes_per_device, 1.0)
        closest = min(mem, key=short)
        m = closest.memory
        assert m is not None
        at = f" at the requested batch {m.batch:,}" if m.batch > 1 else ""
        parts.append(f"{len(mem)} cannot hold one request in memory (the closest, {closest.device}: "
                     f"{_gib_text(m.memory_bytes_per_device)} per device{at} against "
                     f"{_gib_text(m.usable_memory_bytes_per_device)} usable)")
        fix = f"{closest.device}: {closest.fix}; or " + fix
    if len(errors) > len(mem):
        parts.append(f"{len(errors) - len(mem)} for another reason (a dtype, an engine or a layout the device "
                     "cannot run)")
    return InfeasibleError(f"{model_name} (--tp {tp}, --pp {pp}) is served on none of the {len(errors)} devices "
                           f"tried: {' and '.join(parts)}; each device is listed with its reason (JSON: errors[])",
                           fix)


def _gib_text(n_bytes: float) -> str:
    """GiB (2**30 B) with one decimal, the unit of every serving memory message and of the table's mem/dev (a
    device's capacity and the need it is compared with in one unit: they mixed GB and GiB); below 0.05 GiB the
    binary unit that shows it (an Edge TPU's 8 MB printed '0.0 GB')."""
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 0.05 * 2**30 else fmt_bytes(n_bytes, binary=True)


def _fits_one_request(model: TransformerConfig, spec: AcceleratorSpec, tp: int, pp: int, prompt_len: int,
                      output_len: int, weight_dtype: str, kv_dtype: str, cal: ServingCalibration,
                      moe: MoELayout) -> bool:
    """One request's weights + KV cache + workspace fit the usable memory per device at `weight_dtype` (max_batch's
    test at batch 1), so a fix that names the dtype is then accepted."""
    w, kv, ws = _memory_per_device(model, tp, pp, 1, prompt_len, output_len, weight_dtype, kv_dtype, cal, moe)
    return w + kv + ws <= usable_bytes(spec, w, ws, cal)


def _runs_on(spec: AcceleratorSpec, weight_dtype: str) -> bool:
    """The device has a peak for this weight dtype's matmuls (compute_dtype_for does not refuse it)."""
    try:
        compute_dtype_for(spec, weight_dtype)
    except InfeasibleError:
        return False
    return True


def overflow_error(sweeps: list[BatchSweep], nvfp4_kv_devices: frozenset[str] = frozenset()) -> InfeasibleError | None:
    """The error for requested batches that do not fit (None when all fit): each with its memory terms; the fix
    names --kv-dtype nvfp4 where the first such device is among `nvfp4_kv_devices` (nvfp4_kv_runs)."""
    bad = [p for sw in sweeps for p in sw.points if not p.fits]
    if not bad:
        return None
    # --concurrency N is N requests in flight (scheduling 'continuous'): named as the user typed it, not as --batch
    what = "concurrency" if bad[0].scheduling == "continuous" else "batch"
    parts = [f"{what} {p.batch} on {p.n_devices} x {p.device} needs {_gib_text(p.memory_bytes_per_device)} per "
             f"device (weights {_gib_text(p.weights_bytes_per_device)}, KV cache "
             f"{_gib_text(p.kv_cache_bytes_per_device)}, workspace {_gib_text(p.workspace_bytes_per_device)}) > "
             f"{_gib_text(p.usable_memory_bytes_per_device)} usable" for p in bad]
    limits = ", ".join(sorted({f"{sw.points[0].device}: <= {sw.max_batch}" for sw in sweeps
                               if any(not p.fits for p in sw.points)}))
    return InfeasibleError("; ".join(parts) + " (every point is still shown, with fits = false)",
                           f"use a --{what} that fits ({limits}), raise --tp/--pp, "
                           + _fp8_fix(bad[0].weight_dtype, bad[0].kv_dtype, bad[0].device in nvfp4_kv_devices)
                           + "or shorter --prompt/--output")


def _fp8_fix(weight_dtype: str, kv_dtype: str, nvfp4_kv: bool = False) -> str:
    """'use --weight-dtype/--kv-dtype fp8, ' naming only the flags whose dtype is wider than fp8's byte: a run
    already at fp8 or 4-bit weights and an fp8 KV cache was told to use fp8 (utserve, 2026-12-04: Llama 3.1 70B
    nvfp4 / KV fp8 at a 131k prompt on B200); with `nvfp4_kv` (an NVFP4 KV cache runs for this model, device and
    engine: nvfp4_kv_runs) '--kv-dtype nvfp4' too where the cache is wider than its 0.5625 B a value (the fixes
    named fp8 alone on Blackwell); '' when none is."""
    flags = [f for f, wide in (("--weight-dtype", weight_bytes_per_param(weight_dtype) > 1),
                               ("--kv-dtype", kv_bytes_per_value(kv_dtype) > 1)) if wide]
    parts = [f"{'/'.join(flags)} fp8"] if flags else []
    if nvfp4_kv and kv_bytes_per_value(kv_dtype) > kv_bytes_per_value("nvfp4"):
        parts.append("nvfp4" if flags == ["--kv-dtype"] else "--kv-dtype nvfp4")  # '--kv-dtype fp8 or nvfp4'
    return f"use {' or '.join(parts)}, " if parts else ""


def with_price(spec: AcceleratorSpec, usd_per_hour: float) -> AcceleratorSpec:
    """A copy of `spec` with a user-given price (date 'user'), for cost per token."""
    if not 0 < usd_per_hour < math.inf:
        raise InputError(f"--price-usd-per-hour {usd_per_hour!r} must be a finite number > 0",
                         "give e.g. --price-usd-per-hour 2.5")
    limit = LIMITS["price_usd_per_hour"]  # the spec's own check named the catalog field and asked for 'SI units'
    if usd_per_hour > limit:
        raise InputError(f"--price-usd-per-hour {usd_per_hour:g} is past any accelerator's price (at most {limit:g} "
                         "USD per device-hour)", "give the price of one device for one hour in USD, e.g. 2.5 (a "
                         "node's or a reservation's price divided by its devices and hours)")
    sources = {**spec.sources, "price_usd_per_hour": "given by the user"}
    return replace(spec, price_usd_per_hour=float(usd_per_hour), price_date="user", sources=sources)
