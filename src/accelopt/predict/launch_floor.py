"""The per-forward launch floor of `plan serve` on an NVIDIA GPU (issues: srvfloor, srvfit; one form since srv2).

Every forward pass launches at least one kernel per op per layer, and even replayed from a CUDA graph (how vLLM,
SGLang and TensorRT-LLM run decode) each kernel holds the GPU for about a microsecond however little it computes. So
on an NVIDIA GPU a forward's kernels take at least

    floor = (KERNELS_PER_LAYER x layers + KERNELS_PER_FORWARD) x GRAPH_KERNEL_S

and each decode step and prefill chunk takes max(roofline, floor) (serving.bounding_floor_s), the table's
per_step_overhead_s (host-side scheduling and sampling) and the communication added after it, under every
`[serving.*]` table, fitted on published runs or not. The floor is a LOWER BOUND on the kernels' time, not a cost
on top of it: the source times kernels that compute almost nothing, so a kernel that runs longer than its launch
has already paid for it inside its roofline time. Printed as 'default used:' where it decides a phase
(bound_note).

Until 2026-12-02 (srv2) a table NOT fitted on published runs (`[serving.default]`) took the floor in place of its
per_step_overhead_s (0), added to the roofline (srvfloor, written first), while a fitted one took max(roofline,
floor) (srvfit, written after, with the reason above); no source gave a reason for the additive form, so both now
take the max. The 30 held-out rows on NVIDIA GPUs under `[serving.default]` moved (18 L4 rows further from their
published figures by 0.1 to 5.6 points, 12 Jetson AGX Orin rows -0.3 to +0.8 points; held-out median 13.07% ->
13.12%): reported, not tuned.

Other vendors' GPUs and other devices get no floor: no source found gives their per-kernel time in a replayed graph
(their figures are unchanged). A device with no sourced floor (a TPU: no source found gives the per-step dispatch of
a compiled XLA program) says so where its decode step falls below what the forward's launches alone take on an
NVIDIA GPU (no_floor_note).
"""

from __future__ import annotations

from accelopt.hardware.spec import AcceleratorSpec

GRAPH_KERNEL_S = 1.1e-6
"""Seconds one small kernel holds an NVIDIA GPU when replayed from a CUDA graph: pytorch/pytorch issue #161104
("Eager CUDAGraph + stream performance", BoyuanFeng, 2025-08-20): a torch.cuda.CUDAGraph of 2000 unrolled `x + y`
on 1024-element CUDA tensors replays at 0.0011 ms per call (0.0013 ms after one warm-up pattern; the lower figure
is taken, a floor). The order is checked by two other stacks: CUDA.jl's graph docs (cuda.juliagpu.org/dev/usage/
graphs: "80 broadcast kernels" in 70 us as a graph, 0.88 us each with the graph's launch) and ahrefs/ocannl issue
#488 (no-op kernels: "~0.58 us per node" of a replayed graph on an RTX 5070 Ti laptop): 0.6 to 1.1 us a kernel."""

KERNELS_PER_LAYER = 9
"""Kernels of one decoder layer in a forward pass, at least: vLLM's Llama layer (vllm-project/vllm
vllm/model_executor/models/llama.py at 0035bdf2b1ac243ef6f31eef27411b022461df8e, LlamaDecoderLayer.forward and
LlamaAttention / LlamaMLP.forward) calls input_layernorm, qkv_proj, rotary_emb, attn, o_proj,
post_attention_layernorm, gate_up_proj, act_fn (SiluAndMul) and down_proj, each at least one kernel; the attention
backend's KV-cache write (a kernel of its own) and a mixture-of-experts block's router and expert kernels are not
counted, so the count is a floor. Tensor-parallel all-reduces are timed apart (the comm term)."""

KERNELS_PER_FORWARD = 4
"""Kernels outside the layers, at least: embed_tokens, the final norm, the LM head (logits_processor) and the
sampler (LlamaForCausalLM / LlamaModel.forward, the same file)."""


def forward_kernels(layers: int) -> int:
    """Kernels a forward pass of a `layers`-layer decoder launches, at least (the counts above)."""
    return KERNELS_PER_LAYER * layers + KERNELS_PER_FORWARD


def forward_floor_s(layers: int) -> float:
    """The per-forward launch floor, seconds: forward_kernels x GRAPH_KERNEL_S."""
    return forward_kernels(layers) * GRAPH_KERNEL_S


def nvidia_gpu(spec: AcceleratorSpec) -> bool:
    """An NVIDIA GPU: the device the source's CUDA-graph figure was measured on."""
    return spec.kind == "gpu" and spec.vendor.strip().lower() == "nvidia"


def bounds(spec: AcceleratorSpec) -> bool:
    """True where the floor is a lower bound on each forward's kernel time, max(roofline, floor): an NVIDIA GPU (the
    source's CUDA-graph figure), under any `[serving.*]` table. A table's per_step_overhead_s is what its fit rows
    showed on top of the roofline (host-side scheduling and sampling; 0 where a fit landed on its grid's lower edge,
    or where the table is not fitted), not the launches of a model far smaller than the fit rows' (issue #10: a
    2-layer, 64-wide model decoded at ~1 us a token on an A100)."""
    return nvidia_gpu(spec)


def bound_note(spec: AcceleratorSpec, family: str, fitted: bool, table_s: float, layers: int, where: str) -> str:
    """The 'default used:' line where the floor, as a lower bound, decides a phase (`where`: which phases and
    batches)."""
    n = forward_kernels(layers)
    table = ("fitted on published runs of far larger models" if fitted
             else "not fitted on published runs of this device")
    return (f"default used: per-forward launch floor on {spec.name} {forward_floor_s(layers) * 1e6:,.1f} µs as a "
            f"lower bound on each forward's kernel time, max(roofline, floor): it decides {where}, above the "
            f"roofline of the {family!r} calibration ({table}; its per_step_overhead_s {table_s * 1e6:g} µs, "
            f"host-side costs, stays added): at least {n:,} kernels a forward ({KERNELS_PER_LAYER} per layer x "
            f"{layers} layers + {KERNELS_PER_FORWARD}: vLLM's Llama forward, vllm/model_executor/models/llama.py at "
            f"0035bdf) x {GRAPH_KERNEL_S * 1e6:g} µs each (one small kernel replayed from a CUDA graph, "
            "pytorch/pytorch issue #161104) — a launch floor, not a measured engine time")


def no_floor_note(spec: AcceleratorSpec, family: str, step_s: float, layers: int) -> str:
    """The line for a device with no sourced per-forward floor whose decode step (`step_s`, its kernels and
    per-step overhead) is below what the same forward's launches alone take on an NVIDIA GPU."""
    return (f"no sourced per-step floor for this device ({spec.name}, the {family!r} calibration): the time may be "
            f"far below what is achievable: its decode step here is {step_s * 1e6:,.2f} µs (roofline and "
            f"per_step_overhead_s), under the {forward_floor_s(layers) * 1e6:,.1f} µs the same forward's "
            f"{forward_kernels(layers):,} kernel launches take on an NVIDIA GPU ({GRAPH_KERNEL_S * 1e6:g} µs each "
            "replayed from a CUDA graph, pytorch/pytorch issue #161104), a floor no source found gives for this "
            "device's runtime (an XLA program's per-step dispatch on a TPU, for one)")
