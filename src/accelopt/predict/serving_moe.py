"""Expert parallelism (EP) and attention data parallelism (DP-attention) for serving mixture-of-experts models.

The layout is vLLM's (`--tensor-parallel-size T --data-parallel-size D --enable-expert-parallel`, docs.vllm.ai
"Data Parallel Deployment" / "Expert Parallel Deployment") and SGLang's (`--enable-dp-attention`, `--ep-size`):
one pipeline stage holds T x D devices; attention (and every other non-expert weight: dense MLPs, shared experts,
router, embeddings) is tensor-parallel over T and replicated D times, each replica serving its own requests; the
routed experts are split over EP = `ep` ranks, each expert tensor-parallel over T x D / EP devices (expert TP).

- Weights per device: non-expert bytes / T + routed-expert bytes / (T x D) (EP x expert-TP = T x D).
- KV cache per device: only the requests of its own DP rank, ceil(batch / D) of them, at the TP split of the
  dense model (MLA's latent is not split over T: DP-attention is how MLA models avoid replicating it; the
  DeepSeek-V3 report, sec. 3.4.2, serves decode with attention DP80 x TP4, SGLang's large-scale-EP blog with DP72).
- MoE exchange per MoE layer (ep > 1): dispatch sends each token to its top_k experts, combine returns the
  outputs; bytes each device sends = tokens on the device x top_k x hidden x bytes per element (the DeepEP
  kernels send one copy per expert, deepseek-ai/DeepEP docs/legacy.md "low-latency kernels"). Dispatch in fp8
  when the weights are fp8 (DeepSeek-V3 report sec. 3.3.3: activations quantized to FP8 before dispatch, combine
  in BF16), else 16-bit; combine in 16 bits. Time: comm.alltoall_direct_s (the one collectives module).
  ep == 1 with D > 1: the experts are tensor-parallel over all T x D devices, so the MoE layer all-gathers
  every DP rank's tokens and reduce-scatters the output (comm.reduce_scatter_s, ring) instead.
- Expert weights a decode step reads on one device: its E / EP local experts, each touched with probability
  1 - (1 - k/E)^T for the T tokens of the step under uniform, independent routing (balls into bins: a formula,
  not a measurement; real routers are skewed, which touches fewer experts).
- Load imbalance: `expert_load_imbalance` = tokens on the busiest EP rank / the mean; it scales the expert
  matmuls and the exchange of the busiest rank, which every rank waits for. Default 1.0: perfect balance, an
  assumption printed beside the result (no published per-rank load figure is used).
- Redundant experts (`redundant_experts`, EPLB copies) add to the weights per device and let ep divide E + R.
- Two-batch overlap (`two_batch_overlap`): the exchange is hidden up to the step's compute/memory time; without
  it, communication adds to the step (a conservative choice).
- Routed experts' grouped GEMM (where the family's [serving.*] table has grouped_gemm_* efficiencies): the experts
  of one MoE layer run as one grouped-GEMM kernel (DeepGEMM's contiguous layout in prefill, masked layout in decode;
  deepseek-ai/DeepGEMM README), between the other kernels of the step, so its time adds to the step instead of
  sharing the step's dense compute/memory roofline: time = max(FLOPs / (peak x eff_c), bytes / (bandwidth x
  eff_bw)) (the roofline, Williams et al. 2009, applied to that one kernel) over its FLOPs and its A (token copies),
  B (the local experts the tokens touch) and D (outputs) bytes. At a few tokens per expert the call is bound by
  reading the experts' weights; at thousands it is compute-bound. eff_c and eff_bw are fitted on DeepGEMM's
  published H800 grouped-GEMM table (predict/data/published_grouped_gemm.csv, rule in calibration.toml);
  [serving.nvidia-blackwell] carries them (no Blackwell table found), and says so (GROUPED_GEMM_CARRIED).
Not modelled: tile padding of each expert's tokens to the kernel's block (64/128 rows), per-domain
de-duplication of dispatch in DeepEP's normal (prefill) kernels and node-limited routing (every top-k copy is
sent), the placement EPLB chooses (balance is the `expert_load_imbalance` ratio).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from accelopt.dtypes import accepted_spellings
from accelopt.errors import InputError, case_hint
from accelopt.units import unit

if TYPE_CHECKING:
    from accelopt.hardware.spec import AcceleratorSpec
    from accelopt.predict.serving import PhaseTime, ServingCalibration, _Setup
    from accelopt.workload.transformer import TransformerConfig

GROUPED_GEMM_UNCALIBRATED = ("routed experts at the dense decode/prefill efficiencies: no grouped-GEMM efficiency is "
                             "calibrated for this device family")
GROUPED_GEMM_CARRIED = ("routed experts' grouped-GEMM efficiencies carried from {families} (fitted on the published "
                        "kernel table's {devices} rows, predict/data/published_grouped_gemm.csv), NOT fitted on this "
                        "family's devices: no published grouped-GEMM table of them was found (calibration.toml)")
ROUTING_RULE = "uniform, independent top-k routing: experts touched = E x (1 - (1 - k/E)^tokens) (a formula)"
DENSE_REPLICAS = ("a dense model has no experts: its attention-DP ranks are independent data-parallel replicas (vLLM "
                  "--data-parallel-size), each with the whole model's weights over tp x pp and its own "
                  "ceil(batch / attention_dp) requests, with no exchange between them")
BALANCE_ASSUMED = "perfect expert load balance (expert_load_imbalance = 1.0): an assumption, no measured figure used"


@dataclass(frozen=True, kw_only=True)
class MoELayout:
    """How a mixture-of-experts model is spread beyond tensor parallelism (each field is one `plan serve` flag)."""

    ep: int = unit("count", default=1)
    """Expert-parallel ranks: the routed experts are split over them (must divide the experts and tp x dp)."""
    attention_dp: int = unit("count", default=1)
    """Attention data-parallel replicas: each holds the attention weights (TP over tp) and its own requests."""
    expert_load_imbalance: float = unit("x", default=1.0)
    """Tokens on the busiest EP rank / the mean (1.0: perfect balance, an assumption when not given)."""
    imbalance_given: bool = False
    """True when the user gave expert_load_imbalance (else perfect balance is printed as an assumption)."""
    redundant_experts: int = unit("count", default=0)
    """Extra copies of (hot) routed experts per MoE layer, so that experts + redundant splits evenly over ep
    (DeepSeek-V3 report sec. 3.4.1: 32 redundant experts in prefill; SGLang's EPLB: 288 physical experts on EP72)."""

    expert_weight_dtype: str | None = None
    """The routed experts' weight dtype (--expert-weight-dtype: gpt-oss's MXFP4 experts beside bf16 attention,
    quantization_config.modules_to_not_convert); None: the experts are in --weight-dtype like the other linear
    layers. It does not make the layout `active` (plain tensor parallelism holds it)."""

    two_batch_overlap: bool = False
    """Split each forward into two micro-batches so that one's MoE dispatch/combine runs during the other's compute
    (DeepSeek-V3 report sec. 3.4.1/3.4.2; SGLang --enable-two-batch-overlap): the exchange is then hidden up to the
    compute (or memory) time of the step; off, it adds to the step."""

    dense_experts: bool = False
    """Every routed expert runs on every token, its output masked by the router's top-k weights: TensorRT-LLM's
    MoE without its plugin ('OOTB'; tensorrt_llm/layers/moe.py MixtureOfExperts.forward with moe_plugin disabled,
    NVIDIA/TensorRT-LLM@250d9c293d5edbc2a45c20775b3150b1eb68b364, the commit whose docs/source/performance.md holds
    the v0.9.0 tables: `out = expert(hidden_states)` for each expert, then `output += out * expert_weights`). The
    experts' FLOPs and weight reads are then those of top_k = experts (routed_model), timed as ordinary GEMMs in the
    dense roofline, not as a grouped-GEMM kernel (tp_expert_kernel); off, top_k of them."""

    def physical_experts(self, model: TransformerConfig) -> int:
        """Routed experts held per MoE layer over all EP ranks: experts + redundant copies."""
        return model.experts + self.redundant_experts if model.is_moe else 0

    @property
    def active(self) -> bool:
        """True when the layout differs from plain tensor parallelism."""
        return self.ep > 1 or self.attention_dp > 1


NO_MOE = MoELayout()


def routed_model(model: TransformerConfig, lay: MoELayout) -> TransformerConfig:
    """The model as the experts compute it: with --dense-experts every routed expert runs on every token
    (MoELayout.dense_experts), i.e. top_k = experts; otherwise the model itself."""
    return replace(model, top_k=model.experts) if lay.dense_experts and model.is_moe else model


@dataclass(frozen=True, kw_only=True)
class MoEServing:
    """The expert- and attention-data-parallel figures of one serving prediction (all estimates)."""

    ep: int = unit("count")
    attention_dp: int = unit("count")
    expert_tp: int = unit("count", "devices each routed expert is split over: tp x attention_dp / ep")
    experts_per_device: float = unit("count", "routed experts held per device and MoE layer: experts / ep")
    requests_per_dp_rank: int = unit("count", "requests of the busiest attention-DP rank: ceil(batch / dp)")
    experts_read_per_decode_step: float = unit("count", "distinct local experts one decode step reads per device "
                                               "and MoE layer (uniform routing formula)")
    expert_weight_bytes_per_device: float = unit("B", "routed-expert weights held per device")
    non_expert_weight_bytes_per_device: float = unit("B", "attention, dense MLP, shared experts, embeddings")
    exchange_bytes_per_decode_step: float = unit("B", "MoE dispatch + combine bytes one device sends per decode step")
    exchange_decode_s: float = unit("s", "MoE dispatch + combine time of one decode step (in decode_step.comm_s; "
                                    "with two-batch overlap only its excess over the step's compute is)")
    exchange_prefill_s: float = unit("s", "MoE dispatch + combine time of the prefill (in prefill.comm_s, likewise)")
    two_batch_overlap: bool
    """True: the exchange overlaps the other micro-batch's compute; comm_s holds only the exposed excess."""
    redundant_experts: int = unit("count", "EPLB copies per MoE layer")
    expert_load_imbalance: float = unit("x", "busiest EP rank's tokens / mean")
    tokens_per_expert_decode: float = unit("count", "token copies each routed expert gets per decode step (batch x "
                                           "top_k x imbalance / physical experts): the grouped GEMM's m per group")
    grouped_gemm_decode_s: float = unit("s", "routed experts' grouped-GEMM time of one decode step (in decode_step "
                                        "compute_s and memory_s); 0 when not calibrated")
    routing: str = ROUTING_RULE
    dense: bool = False
    """True for a dense model: attention_dp is then plain data-parallel replicas (no experts, no exchange; the
    expert figures above are zero and not shown)."""
    assumptions: tuple[str, ...] = ()
    """Assumptions this prediction rests on (printed beside the result)."""


# ---------------------------------------------------------------------------------------------
# Checks


def check_layout(model: TransformerConfig, tp: int, lay: MoELayout) -> None:
    """InputError for a layout that cannot run, naming the flag and the fix."""
    for flag, v, low in (("--ep", lay.ep, 1), ("--attention-dp", lay.attention_dp, 1),
                         ("--redundant-experts", lay.redundant_experts, 0)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise InputError(f"{flag} {v!r} must be an integer >= {low}", f"give e.g. {flag} 8")
    f = lay.expert_load_imbalance
    if not 1.0 <= f < math.inf:  # NaN fails too
        raise InputError(f"--expert-imbalance {f!r} must be a finite ratio >= 1 (busiest EP rank's tokens / mean)",
                         "give e.g. --expert-imbalance 1.3, or leave it out for perfect balance")
    if lay.ep > 1 and not model.is_moe:
        raise InputError(f"--ep {lay.ep}: {model.name} is a dense model (no routed experts)",
                         "use --ep 1 (and --tp / --attention-dp) for a dense model")
    _check_expert_dtype(model, lay.expert_weight_dtype)
    imbalance_set = lay.imbalance_given or lay.expert_load_imbalance != 1.0
    if imbalance_set and lay.ep == 1:  # the ratio is per EP rank: with ep 1 it would only scale the expert FLOPs
        raise InputError(f"--expert-imbalance {f:g} without expert parallelism (it is the busiest EP rank's tokens / "
                         "the mean)", "give --ep > 1, or leave --expert-imbalance out")
    if lay.two_batch_overlap and not (model.is_moe and lay.active):  # no MoE exchange to hide: it would be ignored
        raise InputError(f"--two-batch-overlap on {model.name} with --ep {lay.ep} and --attention-dp "
                         f"{lay.attention_dp}: there is no MoE dispatch/combine to overlap",
                         "give a mixture-of-experts model with --ep > 1 or --attention-dp > 1, or leave "
                         "--two-batch-overlap out")
    if lay.dense_experts and not model.is_moe:
        raise InputError(f"--dense-experts on {model.name}: a dense model has no routed experts",
                         "leave --dense-experts out, or give a mixture-of-experts model")
    if lay.dense_experts and lay.active:  # the engine path it names (TensorRT-LLM's OOTB MoE) is modelled under TP
        raise InputError(f"--dense-experts with --ep {lay.ep} and --attention-dp {lay.attention_dp}: every expert on "
                         "every token is modelled under plain tensor parallelism only",
                         "give --ep 1 and --attention-dp 1 with --dense-experts, or leave it out")
    if lay.redundant_experts and lay.ep == 1:
        raise InputError(f"--redundant-experts {lay.redundant_experts} without expert parallelism",
                         "give --ep > 1, or leave --redundant-experts out")
    phys = lay.physical_experts(model)
    if model.is_moe and phys % lay.ep:
        need = -phys % lay.ep
        raise InputError(f"--ep {lay.ep} does not divide the {phys} routed experts of {model.name}"
                         + (f" ({model.experts} + {lay.redundant_experts} redundant)" if lay.redundant_experts else ""),
                         "use an --ep that divides the expert count, e.g. " + _divisors(phys)
                         + f", or add --redundant-experts {lay.redundant_experts + need} (EPLB copies)")
    stage = tp * lay.attention_dp
    if stage % lay.ep:
        raise InputError(f"--ep {lay.ep} does not divide the {stage} devices of a stage (--tp {tp} x --attention-dp "
                         f"{lay.attention_dp}): experts are split over those devices",
                         f"keep --ep {lay.ep} and give a stage a multiple of it, e.g. --tp {tp} --attention-dp "
                         f"{math.lcm(tp, lay.ep) // tp} (attention data-parallel ranks, SGLang's "
                         f"--enable-dp-attention), or use --ep {stage} (one expert group per device set), or an --ep "
                         f"dividing {stage}")
    _check_expert_split(model, tp, lay)


EXPERT_SPLIT_SOURCE = ("SGLang's FusedMoE asserts 'intermediate_size % self.tp_size == 0' over the TP world its "
                       "attention-DP ranks share (sgl-project/sglang@9af3c47b70fa13269891063624d658bb1be1b6b9 "
                       "python/sglang/srt/layers/moe/fused_moe_triton/layer.py; later versions over moe_tp_size = "
                       "tp_size / ep_size)")
"""Why a routed expert's width must divide over the devices that split it (_check_expert_split); read 2026-12-06
(rvs32c)."""


def _check_expert_split(model: TransformerConfig, tp: int, lay: MoELayout) -> None:
    """With --ep / --attention-dp each routed expert is split over the stage's tp x attention_dp devices / ep
    (weights_bytes_per_device): its MLP width must divide by that count, as serving._check_layout asks of plain
    tensor parallelism (which left this case unchecked before rvs32c, 2026-12-06: `--tp 1 --attention-dp 8` split a
    5,636-wide expert 8 ways with exit 0, `--tp 8` was refused)."""
    if not (model.is_moe and lay.active):
        return
    stage = tp * lay.attention_dp
    ways = stage // lay.ep
    if model.ffn % ways == 0:
        return
    phys = lay.physical_experts(model)
    eps = [e for e in range(1, stage + 1) if stage % e == 0 and phys % e == 0 and model.ffn % (stage // e) == 0]
    raise InputError(f"--tp {tp} x --attention-dp {lay.attention_dp} / --ep {lay.ep} would split each routed expert's "
                     f"MLP width {model.ffn:,} over {ways} devices, which does not divide it ({EXPERT_SPLIT_SOURCE})",
                     f"give an --ep that leaves each expert's split dividing {model.ffn:,}, e.g. --ep "
                     + ", ".join(map(str, eps)) if eps else
                     f"give a --tp x --attention-dp whose devices split {model.ffn:,} evenly")


VLLM_EP_SOURCE = ("vLLM's expert parallelism is all or none: FusedMoEParallelConfig.make flattens tensor parallelism "
                  "across the data-parallel ranks (tp_size = dp x tp) and, with --enable-expert-parallel, makes "
                  "ep_size that whole count with tp_size 1 ('In EP, each device owns a set of experts fully'); "
                  "without it ep_size is 1 and FusedMoEConfig asserts 'intermediate_size % tp_size == 0' over it "
                  "(vllm-project/vllm@002d6073aa034d4f5545d45021b0e56d1f3c3593 "
                  "vllm/model_executor/layers/fused_moe/config.py)")
"""Why --engine vllm takes --ep 1 or --ep equal to the stage's tp x attention-dp devices only (check_engine_layout);
read 2026-12-06 (utleft7). The partial expert split of check_layout (--ep below the stage, each expert split over
stage / ep devices) is SGLang's (EXPERT_SPLIT_SOURCE); TensorRT-LLM's moe_tp_size x moe_ep_size grid is not checked
against a source here."""


def check_engine_layout(model: TransformerConfig, tp: int, lay: MoELayout, engine: str | None) -> None:
    """InputError for an --ep the named engine cannot run: with --engine vllm, an MoE model's --ep must be 1 (experts
    tensor-parallel over the stage) or the stage's tp x attention-dp devices (each expert whole on one device),
    VLLM_EP_SOURCE; rvs32c's partial split (SGLang's rule) ran for every engine before utleft7 (2026-12-06). Called
    before check_layout, so that a partial --ep that check_layout also refuses (--ep 3 of 8 experts) is told the vLLM
    value that runs, not a divisor vLLM refuses next (utleft, 2026-12-06: two errors to reach --ep 8); the fix names
    only values check_layout takes. A count check_layout refuses outright (--ep 0) is left to it, as are other
    engines and no engine named."""
    if engine != "vllm" or not model.is_moe or not _positive_ints(lay.ep, lay.attention_dp):
        return
    stage = tp * lay.attention_dp
    if lay.ep in (1, stage):
        return
    runs = " or ".join(f"--ep {e}" for e in dict.fromkeys((1, stage)) if _layout_runs(model, tp, replace(lay, ep=e)))
    sglang = _layout_runs(model, tp, lay)
    if not (runs or sglang):
        return  # no --ep runs on vLLM here: check_layout names what to change
    raise InputError(f"--ep {lay.ep} with --engine vllm on a stage of {stage} devices (--tp {tp} x --attention-dp "
                     f"{lay.attention_dp}): {VLLM_EP_SOURCE}",
                     (f"give {runs} with --engine vllm" if runs else "")
                     + (", or " if runs and sglang else "")
                     + (f"{'' if runs else 'give '}--engine sglang, which splits each expert over {stage // lay.ep} "
                        f"devices at --ep {lay.ep}" if sglang else ""))


def _positive_ints(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values)


def _layout_runs(model: TransformerConfig, tp: int, lay: MoELayout) -> bool:
    """True where check_layout takes the layout."""
    try:
        check_layout(model, tp, lay)
    except InputError:
        return False
    return True


def _check_expert_dtype(model: TransformerConfig, dtype: str | None) -> None:
    """--expert-weight-dtype names a weight dtype and a model that has routed experts."""
    from accelopt.predict import serving as sv

    if dtype is None:
        return
    if dtype not in sv.WEIGHT_DTYPES:
        raise InputError(f"--expert-weight-dtype {dtype!r} is not supported{case_hint(dtype, sv.WEIGHT_DTYPES)}",
                         f"give --expert-weight-dtype one of: {', '.join(sv.WEIGHT_DTYPES)} "
                         f"({accepted_spellings(sv.WEIGHT_DTYPES)})")
    if not model.is_moe:
        raise InputError(f"--expert-weight-dtype {dtype}: {model.name} is a dense model (no routed experts)",
                         "give its weights' dtype with --weight-dtype, or leave --expert-weight-dtype out")


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in (2, 4, 8, 16, 32, 64) if n % d == 0) or "1"


# ---------------------------------------------------------------------------------------------
# Bytes


def stage_devices(tp: int, lay: MoELayout) -> int:
    """Devices of one pipeline stage: tp x attention_dp (the EP group spans them)."""
    return tp * lay.attention_dp


def requests_per_rank(batch: int, lay: MoELayout) -> int:
    """Requests of the busiest attention-DP rank (the router spreads them evenly: ceil)."""
    return math.ceil(batch / lay.attention_dp)


def expert_bytes_total(model: TransformerConfig, weight_dtype: str, cal: ServingCalibration) -> float:
    """Routed-expert weights of the whole model, bytes (shared experts are non-expert weights here)."""
    from accelopt.predict import serving as sv

    return sv._expert_params_total(model) * sv.weight_bytes_per_param(weight_dtype, cal)


def weights_bytes_per_device(model: TransformerConfig, tp: int, pp: int, weight_dtype: str, lay: MoELayout,
                             cal: ServingCalibration) -> tuple[float, float]:
    """(non-expert, routed-expert) weight bytes per device: non-expert / tp, physical experts (redundant copies
    included) / (tp x dp), on the fullest stage (ceil(L/pp) layers; the TP-only rule of
    serving._weights_bytes_per_device for the rest)."""
    from accelopt.predict import serving as sv

    stage_share = math.ceil(model.layers / pp) / model.layers
    experts = expert_bytes_total(model, sv.expert_dtype(weight_dtype, lay), cal) * stage_share
    all_tp = sv._weights_bytes_per_device(model, tp, pp, weight_dtype, cal, lay)
    copies = lay.physical_experts(model) / model.experts if model.is_moe else 1.0
    return all_tp - experts / tp, experts * copies / stage_devices(tp, lay)


def memory_per_device(model: TransformerConfig, tp: int, pp: int, batch: int, prompt_len: int, output_len: int,
                      weight_dtype: str, kv_dtype: str, cal: ServingCalibration,
                      lay: MoELayout) -> tuple[float, float, float]:
    """(weights, KV cache, workspace) bytes per device: the KV cache and workspace of the busiest DP rank's
    requests only."""
    from accelopt.predict import serving as sv

    ne, ex = weights_bytes_per_device(model, tp, pp, weight_dtype, lay, cal)
    b_r = requests_per_rank(batch, lay)
    kv = b_r * (sv.cached_tokens_per_layer(model, prompt_len + output_len) * sv._kv_bytes_per_token_per_device(
        model, tp, pp, kv_dtype, cal) + sv.kv_bytes_per_sequence_per_device(model, pp, kv_dtype, cal))
    ws = sv._workspace_bytes_per_device(model, tp, b_r, prompt_len, cal)
    return ne + ex, kv, ws


def experts_read_per_device(model: TransformerConfig, tokens: int, lay: MoELayout) -> float:
    """Expected distinct local experts one MoE layer reads on one device for `tokens` tokens of the stage:
    (E_phys / ep) x (1 - (1 - k/E)^tokens) (uniform, independent routing: serving.experts_touched per rank; a
    redundant copy is counted as touched like its original, an upper bound)."""
    if not model.is_moe:
        return 0.0
    e, k = model.experts, model.top_k
    return lay.physical_experts(model) / lay.ep * (1.0 - (1.0 - k / e) ** tokens)


def dispatch_bytes_per_elem(weight_dtype: str) -> float:
    """fp8 dispatch with fp8 weights (DeepSeek-V3 report sec. 3.3.3; DeepEP's FP8 dispatch), else 16-bit."""
    from accelopt.predict import serving as sv

    return 1.0 if weight_dtype == "fp8" else sv.ACT_BYTES


# ---------------------------------------------------------------------------------------------
# Links and exchange time


def _links(s: _Setup) -> tuple[Any, Any | None]:
    """(scale-up link, scale-out link or None when the stage fits one domain), via serving's link rule."""
    from accelopt.predict import serving as sv

    d = stage_devices(s.tp, s.moe)
    dom = int(s.spec.scaleup_domain_devices)
    up = sv._link(s.spec, min(d, max(dom, 2)), s.cal, "expert parallelism") if min(d, dom) > 1 else None
    out = sv._link(s.spec, dom + 1, s.cal, "expert parallelism across scale-up domains") if d > dom else None
    return up, out


def exchange_s(s: _Setup, tokens_per_device: float, calls: int) -> tuple[float, float]:
    """(seconds, bytes sent per device) of the MoE dispatch + combine over `calls` forwards (each through every
    MoE layer) with `tokens_per_device` tokens per device and forward.

    ep > 1: comm.alltoall_direct_s of tokens x top_k x hidden bytes (dispatch at dispatch_bytes_per_elem, combine
    16-bit) per MoE layer. ep == 1, dp > 1: all-gather + reduce-scatter of the stage's tokens (ring)."""
    from accelopt.predict import comm
    from accelopt.predict import serving as sv

    m, lay = s.model, s.moe
    d = stage_devices(s.tp, lay)
    if d <= 1 or not m.is_moe:
        return 0.0, 0.0
    up, out = _links(s)
    n_calls = calls * m.moe_layers
    if lay.ep > 1:
        per_copy = tokens_per_device * m.top_k * m.hidden * lay.expert_load_imbalance
        sent = 0.0
        t = 0.0
        for elem in (dispatch_bytes_per_elem(s.expert_weight_dtype), sv.ACT_BYTES):
            n = per_copy * elem
            t += n_calls * float(comm.alltoall_direct_s(
                n, d, int(s.spec.scaleup_domain_devices), up.bandwidth_byte_per_s if up else math.inf,
                up.latency_s if up else 0.0, out.bandwidth_byte_per_s if out else math.inf,
                out.latency_s if out else 0.0))
            sent += n_calls * n * (d - 1) / d
        return t, sent
    # experts tensor-parallel over the stage: gather all tokens (AG), reduce-scatter the output (RS)
    link = out or up
    assert link is not None  # d > 1
    n = tokens_per_device * d * m.hidden * sv.ACT_BYTES  # the gathered tensor each device ends with
    one = float(comm.reduce_scatter_s(np.asarray(n), np.asarray(d), np.asarray(link.bandwidth_byte_per_s),
                                      np.asarray(link.latency_s)))
    return 2 * n_calls * one, 2 * n_calls * n * (d - 1) / d


def assumed_links(spec: AcceleratorSpec, tp: int, lay: MoELayout, cal: ServingCalibration) -> list[Any]:
    """Link defaults (comm.Assumption) the MoE exchange of the layout relies on."""
    from accelopt.predict import serving as sv

    d, dom = stage_devices(tp, lay), int(spec.scaleup_domain_devices)
    out: list[Any] = []
    if d > 1 and min(d, dom) > 1:
        out += list(sv._link(spec, min(d, dom), cal, "").assumed)
    if d > dom:
        out += list(sv._link(spec, dom + 1, cal, "").assumed)
    return out


# ---------------------------------------------------------------------------------------------
# Routed experts' grouped GEMM


def grouped_gemm_s(flops: float, n_bytes: float, peak_flop_per_s: float, bandwidth_byte_per_s: float,
                   compute_eff: float, bandwidth_eff: float) -> float:
    """One grouped-GEMM call (or several with these totals): the roofline of that kernel alone,
    max(FLOPs / (peak x compute_eff), bytes / (bandwidth x bandwidth_eff)) (Williams et al. 2009)."""
    return max(flops / (peak_flop_per_s * compute_eff), n_bytes / (bandwidth_byte_per_s * bandwidth_eff))


@dataclass(frozen=True, kw_only=True)
class GroupedGemmRow:
    """One published grouped-GEMM measurement (predict/data/published_grouped_gemm.csv)."""

    id: str
    source: str
    device: str
    layout: str
    groups: int = unit("count")
    m_per_group: int = unit("count", "tokens per expert")
    n: int = unit("count")
    k: int = unit("count")
    published_flop_per_s: float = unit("FLOP/s")
    published_byte_per_s: float = unit("B/s")
    role: str
    """'fit' (the grouped_gemm_* efficiencies were fitted on it) or 'test' (held out)."""

    @property
    def flops(self) -> float:
        return 2.0 * self.groups * self.m_per_group * self.n * self.k

    @property
    def bytes(self) -> float:
        """A and B in fp8 (1 byte), D in bf16: the bytes the table's GB/s column counts."""
        g, m, n, k = self.groups, self.m_per_group, self.n, self.k
        return g * (m * k + n * k) + g * m * n * 2.0


def read_grouped_gemm_table(path: str | None = None) -> tuple[list[GroupedGemmRow], dict[str, str]]:
    """(rows, sources) of the grouped-GEMM kernel table (the bundled one by default)."""
    from accelopt.predict.runs_csv import read_runs_csv

    cols = ("id", "source", "device", "layout", "groups", "m_per_group", "n", "k", "tflops", "gbps", "role")
    raw, sources = read_runs_csv(path, "published_grouped_gemm.csv", "grouped-GEMM table", cols)
    rows: list[GroupedGemmRow] = []
    for r in raw:
        try:
            rows.append(GroupedGemmRow(
                id=r["id"], source=r["source"], device=r["device"], layout=r["layout"], groups=int(r["groups"]),
                m_per_group=int(r["m_per_group"]), n=int(r["n"]), k=int(r["k"]),
                published_flop_per_s=float(r["tflops"]) * 1e12, published_byte_per_s=float(r["gbps"]) * 1e9,
                role=r["role"]))
        except ValueError:
            raise InputError(f"grouped-GEMM row {r.get('id')!r}: groups, m_per_group, n, k, tflops, gbps must be "
                             "numbers", "fix that row") from None
        if rows[-1].role not in ("fit", "test"):
            raise InputError(f"grouped-GEMM row {r['id']!r}: role {r['role']!r}", "use fit or test")
    return rows, sources


def predicted_flop_per_s(row: GroupedGemmRow, compute_eff: float, bandwidth_eff: float) -> float:
    """The FLOP/s grouped_gemm_s gives the row's call on its catalog device (fp8 peak)."""
    from accelopt.hardware.catalog import get_device

    spec = get_device(row.device)
    peak = spec.peak("fp8")
    if peak is None:
        raise InputError(f"grouped-GEMM row {row.id!r}: {spec.name} has no fp8 peak", "name an fp8 device")
    return row.flops / grouped_gemm_s(row.flops, row.bytes, peak, spec.memory_bandwidth_byte_per_s, compute_eff,
                                      bandwidth_eff)


GROUPED_GEMM_GRID = tuple(round(0.30 + 0.01 * i, 2) for i in range(71))
"""0.30..1.00 step 0.01: the grid of the declared rule (calibration.toml, [serving.nvidia-hopper])."""


def fit_grouped_gemm(rows: list[GroupedGemmRow]) -> tuple[float, float, float]:
    """The declared rule: (compute_eff, bandwidth_eff, mean |log(predicted / published)|) minimising the mean
    |log error| of FLOP/s over the `fit` rows, both efficiencies on GROUPED_GEMM_GRID (exhaustive)."""
    fit = [r for r in rows if r.role == "fit"]
    if not fit:
        raise InputError("no 'fit' row in the grouped-GEMM table", "declare fit rows first")
    best = (math.inf, 0.0, 0.0)
    for c in GROUPED_GEMM_GRID:
        for b in GROUPED_GEMM_GRID:
            loss = sum(abs(math.log(predicted_flop_per_s(r, c, b) / r.published_flop_per_s)) for r in fit) / len(fit)
            if loss < best[0] - 1e-12:
                best = (loss, c, b)
    return best[1], best[2], best[0]


def _expert_widths(m: TransformerConfig, expert_tp: int) -> tuple[float, float]:
    """(first GEMM's n, second GEMM's k) per device: gate+up (2 x ffn for a gated MLP, else ffn) and ffn, split over
    the expert's tensor-parallel devices."""
    mats = 3 if m.mlp == "swiglu" else 2
    ffn_d = m.ffn / expert_tp
    return (mats - 1) * ffn_d, ffn_d


def expert_gemm_bytes(s: _Setup, copies_per_device: float, weight_bytes: float) -> float:
    """A/B/D bytes of the routed experts' grouped GEMMs on one device: the local experts' weights read
    (`weight_bytes`) plus, per token copy, its input to both GEMMs (fp8 with fp8 weights, else 16-bit) and their
    16-bit outputs (DeepGEMM: FP8 inputs, BF16 output)."""
    from accelopt.predict import serving as sv

    m = s.model
    n_up, k_down = _expert_widths(m, stage_devices(s.tp, s.moe) // s.moe.ep)
    a_in = dispatch_bytes_per_elem(s.expert_weight_dtype)
    per_copy = (m.hidden * a_in + n_up * sv.ACT_BYTES) + (k_down * a_in + m.hidden * sv.ACT_BYTES)
    return weight_bytes + copies_per_device * per_copy


def expert_gemm_s(s: _Setup, flops: float, copies_per_device: float, weight_bytes: float) -> float:
    """The routed experts' grouped-GEMM time on one device (0.0 when the family has no grouped-GEMM efficiencies:
    the caller keeps the experts in the dense roofline)."""
    cal = s.cal
    if cal.grouped_gemm_compute_efficiency is None or cal.grouped_gemm_bandwidth_efficiency is None:
        return 0.0
    return grouped_gemm_s(flops, expert_gemm_bytes(s, copies_per_device, weight_bytes), s.expert_peak_flop_per_s,
                          s.spec.memory_bandwidth_byte_per_s,
                          cal.grouped_gemm_compute_efficiency * s.expert_eff_scale,
                          cal.grouped_gemm_bandwidth_efficiency)


def grouped_gemm_calibrated(cal: ServingCalibration) -> bool:
    return cal.grouped_gemm_compute_efficiency is not None


@functools.cache
def _kernel_fit_families() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the bundled [serving.*] families, the catalog devices) of the kernel table's `fit` rows."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict import serving as sv

    fit = [r for r in read_grouped_gemm_table()[0] if r.role == "fit"]
    return (tuple(sorted({sv.calibration_for_spec(get_device(r.device)).family for r in fit})),
            tuple(sorted({r.device for r in fit})))


def grouped_gemm_carried(cal: ServingCalibration) -> str:
    """The assumed note of a bundled table whose grouped-GEMM efficiencies were carried from another family's fit
    (no fit row of the kernel table ran on its devices: [serving.nvidia-blackwell], srvmoe 2026-12-04); '' when the
    family's own devices are fit rows, it has no such values, or the table is a user's (--calibration)."""
    from accelopt.predict.calibration import BUNDLED_TABLE_FILE

    if not grouped_gemm_calibrated(cal) or cal.table_file != BUNDLED_TABLE_FILE:
        return ""
    families, devices = _kernel_fit_families()
    if cal.family in families:
        return ""
    return GROUPED_GEMM_CARRIED.format(families="/".join(f"[serving.{f}]" for f in families),
                                       devices="/".join(devices))


@dataclass(frozen=True)
class ExpertKernel:
    """The routed experts of one phase on one device, taken out of the dense roofline (all zero when the model has
    no routed experts, the family no grouped-GEMM efficiencies, or --dense-experts runs them as ordinary GEMMs)."""

    flops: float = 0.0
    """Expert FLOPs per device (to remove from the dense compute term)."""
    weight_bytes: float = 0.0
    """Expert weight bytes read per device (to remove from the dense memory term)."""
    time_s: float = 0.0
    """The grouped-GEMM kernel time (to add to both terms)."""


def tp_expert_kernel(s: _Setup, tokens: int, chunk_tokens: int, chunks: int) -> ExpertKernel:
    """Plain tensor parallelism (no --ep/--attention-dp): each expert is split over the tp devices; `tokens` new
    tokens in all, read in `chunks` forwards of `chunk_tokens` (the experts those touch are read once per chunk)."""
    from accelopt.predict import serving as sv

    m, cal = s.model, s.cal
    # --dense-experts: no grouped GEMM runs. TensorRT-LLM's OOTB MoE calls each expert's GatedMLP (its fc, gate and
    # proj Linear layers, FP8Linear under FP8) on the whole batch, one expert after another (moe.py
    # MixtureOfExperts.forward at NVIDIA/TensorRT-LLM@250d9c29: `out = expert(hidden_states)`), so the experts are
    # ordinary GEMMs of the dense roofline, at the step's linear-GEMM rates, not the grouped-GEMM kernel fitted on
    # DeepGEMM's table (rtrt, 2026-12-05).
    if not m.is_moe or not grouped_gemm_calibrated(cal) or s.moe.dense_experts:
        return ExpertKernel()
    pe = m.mlp_params_per_expert()
    flops = 2.0 * tokens * m.moe_layers * m.top_k * pe / s.tp
    read = chunks * m.moe_layers * sv.experts_touched(m, chunk_tokens) * pe * sv.weight_bytes_per_param(
        s.expert_weight_dtype, cal) / s.tp
    return ExpertKernel(flops, read, expert_gemm_s(s, flops, tokens * m.top_k * m.moe_layers, read))


# ---------------------------------------------------------------------------------------------
# Phase times


def _tp_allreduces(m: TransformerConfig) -> int:
    """TP all-reduces per forward under an MoE layout: one after attention on every layer, one after each dense MLP,
    one after the shared experts of an MoE layer (the routed experts return through the combine instead)."""
    return m.layers + (m.layers - m.moe_layers) + (m.moe_layers if m.shared_experts else 0)


def _phase(s: _Setup, batch: int, seq_tokens: int, context: float, causal: bool) -> PhaseTime:
    """One forward of `batch` sequences of `seq_tokens` new tokens each (prefill: the prompt, `causal`; decode: 1
    token at `context`) spread over the DP ranks, on one device of the busiest rank; weights re-read once per
    prefill chunk of that rank. The experts see the tokens of every rank (batch x seq_tokens in all)."""
    from accelopt.predict import serving as sv

    m, lay, cal = s.model, s.moe, s.cal
    d = stage_devices(s.tp, lay)
    b_r = requests_per_rank(batch, lay)
    tokens_r = b_r * seq_tokens  # the busiest DP rank's tokens
    chunks = math.ceil(tokens_r / cal.max_prefill_chunk_tokens) if causal else 1
    tokens_stage = batch * seq_tokens  # every rank's tokens reach the experts
    pe = m.mlp_params_per_expert()
    expert_flops = 2.0 * tokens_stage * m.moe_layers * m.top_k * pe * lay.expert_load_imbalance / d
    if causal:
        attn = sv.prefill_attention_flops(m, b_r, seq_tokens)  # the attention prefill_flops counts
        total = sv.prefill_flops(m, b_r, seq_tokens)
    else:
        attn = tokens_r * sv.attention_flops_per_token(m, context)
        total = sv.decode_flops_per_step(m, b_r, context)
    non_expert = total - attn - 2.0 * tokens_r * m.moe_layers * m.top_k * pe
    bpw = sv.weight_bytes_per_param(s.expert_weight_dtype, cal)
    per_chunk_tokens = math.ceil(tokens_stage / chunks)
    expert_read = m.moe_layers * experts_read_per_device(m, per_chunk_tokens, lay) * pe * bpw * lay.ep / d
    # token copies an EP rank's experts get over the phase, all MoE layers (each device of an expert's TP group
    # sees them all)
    copies = tokens_stage * m.top_k * lay.expert_load_imbalance / lay.ep * m.moe_layers
    gemm_s = expert_gemm_s(s, expert_flops, copies, chunks * expert_read)
    if gemm_s:  # the grouped GEMM is its own kernel: out of the dense roofline (added to both terms below)
        expert_flops, expert_read = 0.0, 0.0
    eff_lin = cal.prefill_compute_efficiency if causal else cal.decode_compute_efficiency
    eff_attn = cal.attention_compute_efficiency if causal else cal.decode_compute_efficiency
    linear = non_expert / s.tp + sv.kv_replica_flops(m, s.tp, tokens_r)  # per device
    compute_s = (linear / (s.peak_flop_per_s * eff_lin) + expert_flops / (s.expert_peak_flop_per_s * eff_lin)
                 + attn / s.tp / (s.attention_peak_flop_per_s * eff_attn))
    weights = (sv.decode_weight_bytes_read(m, 0, s.weight_dtype, cal) / s.tp  # batch 0: no experts
               + sv.kv_replica_weight_bytes(m, s.tp, s.weight_dtype, cal) + expert_read)
    kv_tok = sv._kv_bytes_per_token_per_device(m, s.tp, 1, s.kv_dtype, cal)
    kv = tokens_r * kv_tok if causal else b_r * sv.cached_tokens_per_layer(m, context) * kv_tok
    memory_s = (s.weights_read_bytes(chunks * weights, chunks * expert_read) + kv) / (
        s.spec.memory_bandwidth_byte_per_s * cal.decode_bandwidth_efficiency)
    # the expert kernel runs between the others (one stream): its time adds to whichever term bounds the rest
    compute_s += gemm_s
    memory_s += gemm_s
    comm_s = 0.0
    if s.tp > 1:
        link = sv._tp_link(s)
        n_ar = _tp_allreduces(m)
        comm_s = sv.ring_or_tree_allreduces_s(n_ar * tokens_r * m.hidden * sv.ACT_BYTES, s.tp, link,
                                              calls=n_ar * chunks)
    ex_s = exchange_s(s, tokens_r / s.tp / chunks, chunks)[0]
    # two-batch overlap hides the exchange behind the step's compute/memory time; only the excess is exposed
    comm_s += max(0.0, ex_s - max(compute_s, memory_s)) if lay.two_batch_overlap else ex_s
    comm_s += sv._stage_hops_s(s, tokens_r * m.hidden * sv.ACT_BYTES, chunks)
    return sv.phase_time(s, compute_s, memory_s, comm_s, chunks)


def prefill_time(s: _Setup, batch: int, prompt_len: int) -> PhaseTime:
    """Prefill of the busiest DP rank's prompts (all ranks prefill in parallel), chunked as serving's prefill."""
    return _phase(s, batch, prompt_len, 0.0, True)


def decode_step_time(s: _Setup, batch: int, context: float) -> PhaseTime:
    """One decode step of `batch` requests spread over the DP ranks, at `context` cached tokens each."""
    return _phase(s, batch, 1, context, False)


def summary(s: _Setup, batch: int, prompt_len: int) -> MoEServing:
    """The typed MoE figures of a prediction (the exchange times are the shares of comm_s computed above)."""
    from accelopt.predict import serving as sv

    m, lay = s.model, s.moe
    d = stage_devices(s.tp, lay)
    b_r = requests_per_rank(batch, lay)
    ne, ex = weights_bytes_per_device(m, s.tp, s.pp, s.weight_dtype, lay, s.cal)
    dec_s, dec_bytes = exchange_s(s, b_r / s.tp, 1)
    chunks = math.ceil(b_r * prompt_len / s.cal.max_prefill_chunk_tokens)
    pre_s, _ = exchange_s(s, b_r * prompt_len / s.tp / chunks, chunks)
    notes: tuple[str, ...] = () if lay.imbalance_given or lay.ep == 1 else (BALANCE_ASSUMED,)  # ep 1: no EP ranks
    notes += () if m.is_moe else (DENSE_REPLICAS,)
    if m.is_moe and not grouped_gemm_calibrated(s.cal):
        notes += (GROUPED_GEMM_UNCALIBRATED,)
    if m.is_moe and (carried := grouped_gemm_carried(s.cal)):
        notes += (carried,)
    per_expert = batch * m.top_k * lay.expert_load_imbalance / lay.physical_experts(m) if m.is_moe else 0.0
    gemm_s = 0.0
    if m.is_moe:
        pe_bytes = m.mlp_params_per_expert() * sv.weight_bytes_per_param(s.expert_weight_dtype, s.cal) * lay.ep / d
        gemm_s = expert_gemm_s(
            s, 2.0 * batch * m.moe_layers * m.top_k * m.mlp_params_per_expert() * lay.expert_load_imbalance / d,
            batch * m.top_k * lay.expert_load_imbalance / lay.ep * m.moe_layers,
            m.moe_layers * experts_read_per_device(m, batch, lay) * pe_bytes)
    return MoEServing(
        ep=lay.ep, attention_dp=lay.attention_dp, expert_tp=d // lay.ep,
        experts_per_device=lay.physical_experts(m) / lay.ep, requests_per_dp_rank=b_r,
        experts_read_per_decode_step=experts_read_per_device(m, batch, lay),
        expert_weight_bytes_per_device=ex, non_expert_weight_bytes_per_device=ne,
        exchange_bytes_per_decode_step=dec_bytes, exchange_decode_s=dec_s, exchange_prefill_s=pre_s,
        two_batch_overlap=lay.two_batch_overlap, redundant_experts=lay.redundant_experts,
        expert_load_imbalance=lay.expert_load_imbalance, tokens_per_expert_decode=per_expert,
        grouped_gemm_decode_s=gemm_s, dense=not m.is_moe, assumptions=notes)
