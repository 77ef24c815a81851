"""`accelopt plan serve` as one library call: typed options in, typed result out (the CLI only parses and prints)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from accelopt.errors import AcceloptError, InfeasibleError, InputError, case_hint, unknown_name
from accelopt.hardware.spec import AcceleratorSpec, max_memory_note
from accelopt.predict import comm, decode_gemm, serving_moe
from accelopt.predict.comm import load_measured, own_links
from accelopt.predict.cost import Facility, energy_defaults_note, host_not_counted_note
from accelopt.predict.query import measured_share_note
from accelopt.predict.serving import (
    CUSTOM_ALLREDUCE_WORLD_SIZES,
    ENGINES,
    MEMORY_BASES,
    TOKEN_BUCKETS,
    TP_ALLREDUCES,
    VLLM_MAX_NUM_SEQS_SOURCE,
    BatchSweep,
    NothingFitsError,
    ServeError,
    ServeResult,
    ServeSweep,
    ServingCalibration,
    ServingPrediction,
    attention_peak_note,
    batch_cap_requests,
    check_kv_device,
    check_kv_engine,
    check_requests,
    check_tp_pp,
    custom_allreduce_note,
    custom_allreduce_off,
    custom_allreduce_skipped,
    engine_calibration,
    engine_default_max_batch_size,
    engine_device_mismatch,
    engine_fp4_weight_problem,
    engine_memory_fraction,
    engine_overlay_note,
    finite_run,
    int4_group_problem,
    kv_bytes_per_value,
    kv_engine_note,
    kv_fp8_storage_note,
    launch_floor_points_note,
    max_batch,
    max_load_concurrency,
    none_served_error,
    nvfp4_kv_runs,
    overflow_error,
    pp_stage_layers,
    predict_at_rate,
    serving_calibrations,
    sweep_batch,
    vllm_prefill_chunk_note,
    weight_only_note,
    with_price,
)
from accelopt.predict.serving_lengths import simulate_lengths
from accelopt.predict.serving_moe import (
    GROUPED_GEMM_UNCALIBRATED,
    MoELayout,
    check_engine_layout,
    check_layout,
    grouped_gemm_calibrated,
)
from accelopt.workload.presets import preset_params_text
from accelopt.workload.request_lengths import RequestLengths, read_request_lengths
from accelopt.workload.transformer import TransformerConfig, architecture_text, config_params_text, read_from_config

MAX_LOAD = "max"
"""--concurrency max / --batch max: as many requests in flight as the engine holds (the largest batch whose KV cache
fits, capped by max_batch_size per attention-DP rank): a max-throughput benchmark such as trtllm-bench or vLLM's
benchmark with every request sent at once. --concurrency max: staggered requests (the others' prefills stall each
one's decode: in TPOT); --batch max: fixed-length requests in a closed loop, which move in waves (the C that start
together finish together; the others' prefills fall in TTFT; with --pp > 1 each wave's prefill finds the pipeline
kept full by the other micro-batches, as --concurrency max's do). The throughput is the same."""


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """Everything `plan serve` takes (each field is one flag; None: the calibration's default)."""

    model: str
    hardware: str = "h100-sxm"
    tp: int = 1
    pp: int = 1
    batch: str = ""
    """Static batch sizes '1,8,64' or '1..256', or 'max' (MAX_LOAD); empty: powers of two up to the largest batch
    that fits."""
    requests: int | None = None
    """With batch 'max': the run's total requests, served in waves of the requests the engine holds, the last one
    partial (serving.finite_run); None: steady waves."""
    concurrency: str = ""
    """Requests in flight under continuous batching (same syntax as batch, or 'max': the most the engine holds,
    serving.max_load_concurrency); exclusive with batch."""
    rate: str = ""
    """Poisson request rates per second, '0.5,2,8' (continuous batching, queueing in TTFT); exclusive with both."""
    prompt: int = 2048
    output: int = 256
    weight_dtype: str = "bf16"
    expert_weight_dtype: str | None = None
    """The routed experts' weight dtype (serving_moe.MoELayout.expert_weight_dtype); None: weight_dtype."""
    kv_dtype: str = "bf16"
    price_usd_per_hour: float | None = None
    catalog: list[Path] = field(default_factory=list)
    engine: str | None = None
    """A serving engine of serving.ENGINES whose memory rule applies (--memory-fraction / --memory-basis, when
    given, override it); None: the calibration's (vLLM's 0.9 of total memory by default)."""
    memory_fraction: float | None = None
    memory_basis: str | None = None
    tp_allreduce: str | None = None
    """'nccl' or 'custom' (serving.ServingCalibration.tp_allreduce); None: the engine's (serving.ENGINES), else
    'custom' (vLLM's)."""
    token_buckets: str | None = None
    """The engine's static token buckets (serving.ServingCalibration.token_buckets: 'neuronx', transformers-neuronx's:
    each decode step at its bucket's length, and a P50 TPOT beside the mean); None: no buckets."""
    max_prefill_tokens: int | None = None
    max_batch_size: int | None = None
    """The engine's max_batch_size (None: the calibration's, 2048): caps the concurrency of a --rate,
    --concurrency max or --batch max run, per attention-DP rank (serving.max_load_concurrency); given, a --batch /
    --concurrency list above it is refused (check_batch_cap)."""
    int4_group_size: int | None = None
    """Weights per scale of an int4 checkpoint (serving.ServingCalibration.int4_group_size; a per-channel checkpoint:
    the layer width); None: the calibration's 128, printed as a default where int4 weights are used."""
    pp_microbatches: int | None = None
    """Micro-batches the engine keeps in flight over the --pp stages (serving.ServingCalibration.pp_microbatches);
    None: one per stage, vLLM's and TensorRT-LLM's, printed as 'default used:' with --pp > 1."""
    ep: int = 1
    """Expert-parallel ranks (serving_moe.MoELayout.ep)."""
    attention_dp: int = 1
    """Attention data-parallel replicas; the replica holds tp x attention_dp x pp devices."""
    redundant_experts: int = 0
    expert_imbalance: float | None = None
    """Busiest EP rank's tokens / mean; None: perfect balance (printed as an assumption)."""
    two_batch_overlap: bool = False
    dense_experts: bool = False
    """Every routed expert runs on every token (serving_moe.MoELayout.dense_experts: TensorRT-LLM's MoE without its
    plugin)."""
    calibration: str | None = None
    """Calibration TOML whose `[serving.NAME]` tables replace the bundled tables of those names, whole (new names
    are added); None: the bundled predict/data/calibration.toml."""
    lengths: str | None = None
    """--lengths FILE: a CSV of each request's prompt_tokens and output_tokens (workload.request_lengths), all sent at
    once and served under continuous batching (predict.serving_lengths); exclusive with batch, concurrency, rate and
    requests; prompt and output are then the file's mean lengths (rounded up), for the memory figures."""
    collectives: Path | None = None
    """Spec TOML of `probe --collectives`: its measured scale-up link replaces the catalog's in every collective
    (comm.load_measured, as `plan --collectives`); None: the catalog's link."""

    def __post_init__(self) -> None:
        if sum(bool(x.strip()) for x in (self.batch, self.concurrency, self.rate)) > 1:
            raise InputError("more than one of --batch, --concurrency and --rate given",
                             "give --batch (static batches), --concurrency (requests in flight) or --rate, not both")
        if self.engine is not None and self.engine not in ENGINES:
            raise unknown_name("--engine", self.engine, list(ENGINES))
        if self.tp_allreduce is not None and self.tp_allreduce not in TP_ALLREDUCES:
            raise unknown_name("--tp-allreduce", self.tp_allreduce, list(TP_ALLREDUCES))
        if self.token_buckets is not None and self.token_buckets not in TOKEN_BUCKETS:
            raise InputError(f"--token-buckets {self.token_buckets!r} is not a known bucket scheme"
                             f"{case_hint(self.token_buckets, TOKEN_BUCKETS)}",
                             "use neuronx (transformers-neuronx's token buckets), or leave --token-buckets out for "
                             "no buckets")
        if self.token_buckets is not None and self.engine not in (None, "neuron"):
            raise InputError(f"--token-buckets {self.token_buckets} with --engine {self.engine}: the buckets are "
                             "transformers-neuronx's (the neuron engine), not this engine's",
                             "give --engine neuron, or leave --token-buckets out")
        if self.memory_basis is not None and self.memory_basis not in MEMORY_BASES:
            raise InputError(f"--memory-basis {self.memory_basis!r} is not a memory basis"
                             f"{case_hint(self.memory_basis, MEMORY_BASES)}", "use total (vLLM) or free (TensorRT-LLM)")


def moe_layout(opts: ServeOptions) -> MoELayout:
    """The expert / attention-data-parallel layout the options name."""
    imb = opts.expert_imbalance
    return MoELayout(ep=opts.ep, attention_dp=opts.attention_dp, redundant_experts=opts.redundant_experts,
                     expert_load_imbalance=1.0 if imb is None else imb, imbalance_given=imb is not None,
                     two_batch_overlap=opts.two_batch_overlap, expert_weight_dtype=opts.expert_weight_dtype,
                     dense_experts=opts.dense_experts)


@dataclass(frozen=True)
class ServeRun:
    """The typed result, the sweeps it was built from, and the error for requested batches that do not fit (with no
    sweep at all where no device can serve the model: the first device's reason; result.errors names each)."""

    result: ServeResult
    sweeps: list[BatchSweep]
    overflow: InfeasibleError | None
    max_supported_memory: dict[str, float] = field(default_factory=dict)
    """Device name -> memory_bytes where it is the maximum supported, not installed (memory_is_max_supported): said
    beside the console caption's largest batch (the note of max_memory_note says the fix)."""


ROUTED_ONLY_ENGINES = {
    "vllm": "vLLM's FusedMoE sorts the tokens to their top-k experts (moe_align_block_size) and runs only those "
            "(vllm-project/vllm vllm/model_executor/layers/fused_moe/fused_moe.py)",
    "sglang": "SGLang's fused MoE (adapted from vLLM's, python/sglang/srt/layers/moe/fused_moe_triton/fused_moe.py) "
              "runs each token's top-k experts only",
}
"""Engines whose MoE has no dense path (--dense-experts: every expert on every token, TensorRT-LLM's without its
plugin), with why."""


def _check_engine_flags(opts: ServeOptions) -> None:
    """--memory-fraction, --max-prefill-tokens and --max-batch-size named in their own errors (the calibration
    checks the same fields again under their calibration names, for a user calibration file)."""
    f = opts.memory_fraction
    if f is not None and not 0 < f <= 1:  # NaN fails too
        raise InputError(f"--memory-fraction {f} must be in (0, 1]", "give the share of memory the engine may use, "
                         "e.g. --memory-fraction 0.9")
    n = opts.max_prefill_tokens
    if n is not None and n < 1:
        raise InputError(f"--max-prefill-tokens {n} must be a positive integer", "e.g. --max-prefill-tokens 8192")
    b = opts.max_batch_size
    if b is not None and b < 1:
        raise InputError(f"--max-batch-size {b} must be a positive integer", "e.g. --max-batch-size 2048")
    m = opts.pp_microbatches
    if m is not None and m < 1:
        raise InputError(f"--pp-microbatches {m} must be a positive integer: the micro-batches in flight over the "
                         "pipeline stages", f"e.g. --pp-microbatches {max(opts.pp, 1)} (one per --pp stage)")
    if m is not None and m > 1 and opts.pp == 1:
        raise InputError(f"--pp-microbatches {m} with --pp 1: there are no pipeline stages to keep busy",
                         f"give --pp > 1 (e.g. --pp {m}), or leave --pp-microbatches out")
    if opts.dense_experts and opts.engine in ROUTED_ONLY_ENGINES:
        raise InputError(f"--dense-experts with --engine {opts.engine}: {ROUTED_ONLY_ENGINES[opts.engine]}, so no "
                         "run of it computes every expert on every token",
                         f"leave out --dense-experts for {opts.engine} (each token's top-k experts), or give "
                         "--engine trtllm (TensorRT-LLM built with --moe_plugin disable)")
    g = opts.int4_group_size
    if g is not None and g < 1:
        raise InputError(f"--int4-group-size {g} must be a positive integer: the weights that share one scale",
                         "give the checkpoint's group size, e.g. --int4-group-size 128 (AWQ/GPTQ), or the layer "
                         "width for a per-channel checkpoint, e.g. 4096")
    if g is not None and "int4" not in (opts.weight_dtype, opts.expert_weight_dtype):  # else read by nothing
        raise InputError(f"--int4-group-size {g} with --weight-dtype {opts.weight_dtype}"
                         + (f" --expert-weight-dtype {opts.expert_weight_dtype}" if opts.expert_weight_dtype else "")
                         + ": no weights are int4, so no group size applies",
                         "give --weight-dtype int4 (or --expert-weight-dtype int4 for a mixture-of-experts model's "
                         "routed experts), or leave --int4-group-size out")


def check_batch_cap(batches: list[int] | None, flag: str, max_batch_size: int | None, attention_dp: int,
                    microbatches: int = 1) -> None:
    """A --batch / --concurrency above the engine's --max-batch-size (per attention-DP rank, and per stage's
    micro-batch where the engine caps each: `microbatches`, cap_microbatches) is a contradiction: the engine never
    holds more requests at once, so the figures would describe a run it cannot make."""
    if max_batch_size is None or not batches:
        return
    cap = max_batch_size * attention_dp * microbatches
    over = [b for b in batches if b > cap]
    if over:
        terms = [f"{attention_dp} attention-DP ranks"] if attention_dp > 1 else []
        terms += [f"{microbatches} pipeline stages (one micro-batch each)"] if microbatches > 1 else []
        per = f" x {' x '.join(terms)} = {cap}" if terms else ""
        raise InputError(f"{flag} {max(over)} is above --max-batch-size {max_batch_size}{per}: the engine holds at "
                         "most that many requests at once",
                         f"give {flag} <= {cap}, or raise --max-batch-size (or leave it out: its default, "
                         "2048, caps only the requests in flight of --rate, --concurrency max and --batch max runs, "
                         f"not a {flag} you give)")


STEADY_WAVES_NOTE = ("default used: --batch max without --requests: steady waves, every one full (an endless run); "
                     "a run of a finite dataset ends in a partial wave: give its size as --requests N")


def requests_note(p: ServingPrediction) -> str:
    """What --requests did on one device: its waves and the last one's requests (serving.finite_run)."""
    assert p.requests is not None and p.last_wave_batch is not None
    if p.requests == p.batch:  # one wave of them all (finite_run): every figure is that wave's
        return (f"given: --requests {p.requests:,}: on {p.device}, one wave of all {p.requests:,} request(s), which "
                "the engine holds at once; every figure is that wave's (batch = the requests)")
    waves = -(-p.requests // p.batch)
    last = ("every wave full" if p.last_wave_batch == p.batch
            else f"the last of {p.last_wave_batch:,}, predicted as a wave of its own")
    return (f"given: --requests {p.requests:,}: on {p.device}, {waves:,} wave(s) of the {p.batch:,} requests the "
            f"engine holds, {last}; decode tok/s, throughput, cost and energy per output token are the whole "
            "run's")


def check_lengths_flags(opts: ServeOptions) -> None:
    """--lengths goes alone: it is the run's requests, all sent at once (not --batch / --concurrency / --rate /
    --requests), on a layout its simulation times (no --pp, --attention-dp or --token-buckets)."""
    for flag, given in (("--batch", opts.batch.strip()), ("--concurrency", opts.concurrency.strip()),
                        ("--rate", opts.rate.strip()), ("--requests", opts.requests is not None)):
        if given:
            raise InputError(f"--lengths with {flag}: the file's rows are the run's requests, all sent at once and "
                             "served under continuous batching up to the engine's cap (--max-batch-size) and its "
                             "KV cache", f"leave {flag} out with --lengths, or leave --lengths out")
    for flag, value, plain in (("--pp", opts.pp, 1), ("--attention-dp", opts.attention_dp, 1)):
        if value != plain:
            raise InputError(f"--lengths with {flag} {value}: the simulation of requests of different lengths times "
                             f"one replica's steps without {flag} (not modelled)",
                             f"give {flag} {plain}, or leave --lengths out and give --prompt / --output (mean lengths)")
    for flag, name in (("--prompt", "prompt"), ("--output", "output")):
        default = ServeOptions.__dataclass_fields__[name].default
        if (value := getattr(opts, name)) != default:  # a length typed beside the file was dropped unsaid
            raise InputError(f"--lengths with {flag} {value}: each request's lengths are the file's rows (its "
                             f"prompt_tokens / output_tokens), so {flag} would not be read",
                             f"leave {flag} out with --lengths, or leave --lengths out")
    if opts.token_buckets is not None:
        raise InputError("--lengths with --token-buckets: the simulation of requests of different lengths does not "
                         "model static token buckets", "leave --token-buckets out, or leave --lengths out")


def lengths_note(lengths: RequestLengths) -> str:
    """What --lengths did (predict.serving_lengths), beside the result."""
    return (f"given: --lengths {lengths.source}: {lengths.requests:,} requests (prompt {lengths.mean_prompt:,.1f} and "
            f"output {lengths.mean_output:,.1f} tokens on average), all sent at once and served under continuous "
            "batching: admitted in file order while the engine's cap and the KV cache (each request's prompt + output "
            "reserved) allow, each group prefilled before the next decode step, each request leaving at its last "
            "token; TTFT, TPOT and E2E are the requests' means (p50 / p90 / p99 in the table under it), the "
            "throughputs the run's (its output tokens over its makespan); 'batch' and the memory columns are "
            f"`--batch max --requests {lengths.requests}`'s at the mean lengths, rounded up (a full wave's, or all "
            "the requests' where one wave holds them); $ and J per token at that run's cost and power per second")


def _check_max_word(opts: ServeOptions, at_max_load: bool) -> None:
    """'max' is a whole --concurrency / --batch value, never a list item; --requests goes with --batch max."""
    if opts.requests is not None:  # its value first: --requests -3 was told to add --batch max, then refused for -3
        check_requests(opts.requests)
    if opts.requests is not None and (opts.concurrency.strip() or opts.rate.strip()):  # the fix cannot be 'add'
        flag = "--concurrency" if opts.concurrency.strip() else "--rate"
        raise InputError(f"--requests {opts.requests} with {flag}: a finite run's requests are modelled only as "
                         "--batch max waves (fixed-length requests in a closed loop)",
                         f"write --batch max in place of {flag} {(opts.concurrency or opts.rate).strip()}, or leave "
                         "--requests out")
    if opts.requests is not None and not (at_max_load and opts.batch.strip()):
        raise InputError(f"--requests {opts.requests} without --batch max: a run's requests are served in waves of "
                         "the most the engine holds", "add --batch max, or leave --requests out")
    for flag, text in (("--concurrency", opts.concurrency), ("--batch", opts.batch)):
        if not at_max_load and MAX_LOAD in text.lower():
            raise InputError(f"{flag} {text!r}: {MAX_LOAD} stands alone",
                             f"write {flag} max (the most requests the engine holds), or a list of numbers")


def not_generative(cfg: TransformerConfig) -> tuple[str, str] | None:
    """(problem, fix) for a model serving cannot predict, one with no output tokens (an encoder, a classifier);
    None for a decoder. `plan serve --model` and `validate --serving`'s model cell refuse the same models."""
    if cfg.encoder_only:  # no autoregressive decode: TTFT/TPOT/output tokens would describe a model that is not this
        return (f"is an encoder-only model ({cfg.name}: bidirectional attention, no output tokens): serving predicts "
                "token generation", "use `accelopt plan infer` for an encoder's latency per request, or pass a "
                "decoder model to `plan serve`")
    if cfg.classifier_head:  # a reward model / classifier scores a sequence: there is no decode to predict
        return (f"is a classifier ({cfg.name}: architectures {cfg.classifier_head}, a score per sequence, no output "
                "tokens): serving predicts token generation", "use `accelopt plan infer` for its latency per "
                "request, or give the model's ...ForCausalLM config to `plan serve`")
    return None


def plan_serve(opts: ServeOptions) -> ServeRun:
    """Sweeps for every device of `opts.hardware`; per-device infeasibility is collected (raised if all fail)."""
    from accelopt.hardware.catalog import resolve_devices
    from accelopt.units import parse_int_range
    from accelopt.workload.presets import get_model

    _check_engine_flags(opts)
    lengths = None
    if opts.lengths is not None:  # requests of different lengths: the file's mean lengths for the memory figures
        check_lengths_flags(opts)
        lengths = read_request_lengths(opts.lengths)
        # the point the run starts from is `--batch max --requests N` at the mean lengths (finite_run): N requests
        # at most in a wave, so a file of fewer requests than a full wave prints its own batch, memory and power,
        # not a full wave's that never ran (rev1)
        opts = replace(opts, batch=MAX_LOAD, requests=lengths.requests, prompt=math.ceil(lengths.mean_prompt),
                       output=math.ceil(lengths.mean_output))
    if opts.calibration is not None:  # a bad file fails before any work, whatever the devices
        serving_calibrations(opts.calibration)
    measured = load_measured(opts.collectives) if opts.collectives is not None else None
    cfg = get_model(opts.model)
    if (why := not_generative(cfg)) is not None:
        raise InputError(f"--model {opts.model!r} {why[0]}", why[1])
    moe = moe_layout(opts)
    check_tp_pp(cfg, opts.tp, opts.pp, moe)  # before the MoE checks, which divide by the stage's devices
    check_engine_layout(cfg, opts.tp, moe, opts.engine)  # first: its fix names the --ep vLLM runs
    check_layout(cfg, opts.tp, moe)  # a bad --ep/--attention-dp fails before any device is tried
    check_kv_engine(cfg, opts.kv_dtype, opts.engine)
    counts = opts.concurrency if opts.concurrency.strip() else opts.batch
    flag = "--concurrency" if opts.concurrency.strip() else "--batch"
    at_max_load = counts.strip().lower() == MAX_LOAD
    _check_max_word(opts, at_max_load)
    batches = parse_int_range(counts, flag) if counts.strip() and not at_max_load else None
    check_batch_cap(batches, flag, opts.max_batch_size, moe.attention_dp, cap_microbatches(opts))
    # --batch max: a closed loop in waves (serving.predict_serving 'waves'), else one static batch
    scheduling = "continuous" if opts.concurrency.strip() or opts.rate.strip() else "waves" if at_max_load else "static"
    specs = resolve_devices(opts.hardware, opts.catalog)  # 'all', or names; unknown ones fail before any work
    sweeps: list[BatchSweep] = []
    errors: list[ServeError] = []
    beside: list[ServeError] = []  # devices with points shown and the error the command exits 2 with
    tp_notes: list[str] = []  # where the engine's custom all-reduce gives way to NCCL/RCCL's (across domains)
    share_notes: list[str] = []  # 'default used:' for a memory share the engine derives from the device (SGLang)
    int4_groups: set[int] = set()  # the int4 group sizes the devices' calibrations used
    cap_bound = False  # the engine's cap on requests in flight, not memory, set a 'max' / --rate concurrency
    bound_caps: dict[str, int] = {}  # that cap on each device where it did (its requests in flight)
    engine_caps: set[str] = set()  # those devices whose cap is the engine's own default (vLLM's max_num_seqs)
    first_error: AcceloptError | None = None
    nvfp4_devices: set[str] = set()  # where an NVFP4 KV cache runs for this model and engine (nvfp4_kv_runs)
    rate_error: InfeasibleError | None = None  # a --rate beyond what a device completes (its other rates are shown)
    for spec in specs:
        if opts.price_usd_per_hour is not None:
            spec = with_price(spec, opts.price_usd_per_hour)
        try:
            _check_engine_device(opts, spec)
            check_kv_device(spec, opts.kv_dtype, opts.engine)  # nvfp4 off (the engine's) Blackwell: not served
            if (fp4 := engine_fp4_weight_problem(spec, opts.weight_dtype, opts.expert_weight_dtype,
                                                 opts.engine, moe=cfg.is_moe)) is not None:
                raise InfeasibleError(*fp4)  # TensorRT-LLM's FP4 / SGLang's NVFP4 off Blackwell: not served
            nvfp4_kv = nvfp4_kv_runs(cfg, spec, opts.engine)  # the memory fixes name --kv-dtype nvfp4 only here
            if nvfp4_kv:
                nvfp4_devices.add(spec.name)
            rule = ENGINES[opts.engine] if opts.engine else None
            share, share_note = (opts.memory_fraction, None) if opts.memory_fraction is not None or not opts.engine \
                else engine_memory_fraction(opts.engine, spec, tp=opts.tp, pp=opts.pp, attention_dp=moe.attention_dp,
                                            mla=cfg.mla is not None)
            engine_cap = engine_default_max_batch_size(opts.engine, spec, opts.calibration)  # vLLM max_num_seqs
            cal = engine_calibration(spec, memory_utilization=share,
                                     memory_basis=opts.memory_basis or (rule.memory_basis if rule else None),
                                     max_prefill_chunk_tokens=opts.max_prefill_tokens,
                                     max_batch_size=opts.max_batch_size or engine_cap, path=opts.calibration,
                                     measured_link=measured,
                                     tp_allreduce=opts.tp_allreduce or (rule.tp_allreduce if rule else None),
                                     int4_group_size=opts.int4_group_size,
                                     pp_microbatches=opts.pp_microbatches,
                                     max_batch_size_per_microbatch=rule.batch_cap_per_microbatch if rule else None,
                                     per_layer_overhead=rule.host_launched_layers if rule else None,
                                     fp4_mla_kv_pools=rule.fp4_mla_pools if rule else None,
                                     pp_host_loop=rule.pp_host_loop if rule else None,
                                     token_buckets=opts.token_buckets, engine=opts.engine)
            check_int4_group(cfg, opts, moe, cal)  # the given group or the table's default, one check for both
            int4_groups.add(cal.int4_group_size)
            # --ep: the MoE table says it; --dense-experts runs no grouped GEMM (serving_moe.tp_expert_kernel)
            if (cfg.is_moe and not moe.active and not moe.dense_experts
                    and (carried := serving_moe.grouped_gemm_carried(cal))):
                tp_notes.append(f"assumed: {spec.name}: {carried}")
            _check_custom_allreduce(opts, spec, cal)
            if at_max_load:  # per device: its own KV cache decides
                batches = [max_load_concurrency(cfg, spec, tp=opts.tp, pp=opts.pp, prompt_len=opts.prompt,
                                                output_len=opts.output, weight_dtype=opts.weight_dtype,
                                                kv_dtype=opts.kv_dtype, calibration=cal, moe=moe) or 1]
            sweep = sweep_batch(cfg, spec, tp=opts.tp, pp=opts.pp, batches=batches or [1], prompt_len=opts.prompt,
                                output_len=opts.output, weight_dtype=opts.weight_dtype, kv_dtype=opts.kv_dtype,
                                calibration=cal, scheduling=scheduling, moe=moe, nvfp4_kv=nvfp4_kv) \
                if opts.rate.strip() else \
                sweep_batch(cfg, spec, tp=opts.tp, pp=opts.pp, batches=batches, prompt_len=opts.prompt,
                            output_len=opts.output, weight_dtype=opts.weight_dtype, kv_dtype=opts.kv_dtype,
                            calibration=cal, scheduling=scheduling, moe=moe, nvfp4_kv=nvfp4_kv)
            if opts.requests is not None and at_max_load:  # a finite dataset: its waves, the last a partial one
                sweep = replace(sweep, points=[finite_run(cfg, spec, p, opts.requests, tp=opts.tp, pp=opts.pp,
                                                          prompt_len=opts.prompt, output_len=opts.output,
                                                          weight_dtype=opts.weight_dtype, kv_dtype=opts.kv_dtype,
                                                          calibration=cal, moe=moe) for p in sweep.points])
            if lengths is not None:  # the file's requests under continuous batching, at most the engine's cap
                sweep = replace(sweep, points=[simulate_lengths(
                    cfg, spec, lengths, steady=p, cap=batch_cap_requests(cal, opts.pp) * moe.attention_dp,
                    tp=opts.tp, pp=opts.pp, weight_dtype=opts.weight_dtype, kv_dtype=opts.kv_dtype,
                    calibration=cal, moe=moe) for p in sweep.points])
            saturated = None
            if opts.rate.strip():
                points, saturated = _rate_points(cfg, spec, opts, cal, moe, nvfp4_kv)
                sweep = replace(sweep, points=points)
                rate_error = rate_error or saturated
                if saturated is not None:  # in the document beside the rates it completes, as the exit 2 says it
                    beside.append(ServeError(device=spec.name, problem=saturated.problem, fix=saturated.fix))
            if (at_max_load or opts.rate.strip()) and cap_binds(cfg, spec, opts, cal, moe, sweep.points,
                                                                  saturated is not None):
                cap_bound = True
                bound_caps[spec.name] = batch_cap_requests(cal, opts.pp) * moe.attention_dp
                if engine_cap is not None and opts.max_batch_size is None:
                    engine_caps.add(spec.name)
            sweeps.append(sweep)
            if share_note:  # the engine's device-dependent default (SGLang's), beside the result
                share_notes.append(share_note)
            if opts.max_prefill_tokens is None and sweep.points and (chunk_note := vllm_prefill_chunk_note(
                    opts.engine, spec, cal.max_prefill_chunk_tokens,
                    opts.prompt * max(1 if p.scheduling == "continuous" else p.batch for p in sweep.points),
                    opts.calibration)):
                share_notes.append(chunk_note)  # vLLM's own chunk on this GPU, where it would chunk otherwise
            if floor_note := launch_floor_points_note(sweep.points, spec, cfg):  # where it decides, or none sourced
                share_notes.append(floor_note)
            if sweep.points and (over_note := sweep.points[0].calibration.step_overhead_note(cfg.layers,
                                                                                             opts.calibration)):
                share_notes.append(f"{spec.name}: {over_note}")  # an engine that launches every layer from the host
            if sweep.points and (host_over := sweep.points[0].calibration.host_overhead_note(opts.calibration)):
                share_notes.append(f"{spec.name}: {host_over}")  # the table's per-forward / per-request costs
            if own_note := engine_overlay_note(cal, opts.engine):  # another engine's host costs, said (peng)
                share_notes.append(f"{spec.name}: {own_note}")
            if sweep.points and (host_note := sweep.points[0].calibration.pp_host_note(
                    opts.pp, sweep.points[0].batch, opts.calibration, most=max(p.batch for p in sweep.points),
                    last_wave=sweep.points[0].last_wave_batch)):
                share_notes.append(f"{spec.name}: {host_note}")  # the engine's blocking PP loop, per request
            if note := custom_allreduce_note(spec, opts.tp, cal):
                tp_notes.append(note)
            if cfg.is_moe and not moe.active and not grouped_gemm_calibrated(cal):  # --ep/--attention-dp print it
                tp_notes.append(f"assumed: {spec.name}: {GROUPED_GEMM_UNCALIBRATED} ([serving.{cal.family}] gives no "
                                "grouped_gemm_* efficiencies)")
        except InfeasibleError as e:
            errors.append(ServeError(device=spec.name, problem=e.problem, fix=e.fix,
                                     memory=e.memory if isinstance(e, NothingFitsError) else None))
            first_error = first_error or e
    if not sweeps:  # no device can serve: the typed result names each one (`plan serve --json` prints it), exit 2
        assert isinstance(first_error, InfeasibleError)
        return ServeRun(result=ServeResult(results=[], errors=errors, model=cfg.name,
                                           unused_config_keys=serve_unused_keys(cfg, opts, int4_groups),
                                           notes=[*_read_notes(cfg), *_config_notes(cfg, opts, int4_groups)]),
                        sweeps=[],
                        overflow=first_error if len(errors) == 1 else none_served_error(cfg.name, opts.tp, opts.pp,
                                                                                         errors))
    notes = _read_notes(cfg)  # a config.json's count and architecture, as `plan` prints them
    notes += [memory_figures_note(cfg, sweeps[0].points[0])] if sweeps[0].points else []
    notes += _config_notes(cfg, opts, int4_groups)  # figures the config.json left out, with the values used instead
    notes += [n for sp in specs if (n := measured_share_note(sp, measured))]  # the words of `plan`'s notes
    served = {sw.points[0].device for sw in sweeps if sw.points}
    notes += tp_notes
    if moe.dense_experts:  # given, so not an assumption: said beside the result, as the flag changes the experts' work
        notes.append(f"given: --dense-experts: each of the {cfg.experts} routed experts runs on every token (its "
                     f"output masked by the router's top {cfg.top_k}), as TensorRT-LLM's MoE without its plugin "
                     "does; the experts' FLOPs and weight reads are those of all of them, timed as ordinary GEMMs "
                     "one expert after another (that path runs no grouped GEMM)")
    notes += [n for sw in sweeps if (n := decode_gemm.sweep_note([p.decode_weight_rate for p in sw.points]))]
    by_name = {sp.name: sp for sp in specs}  # a model narrower than the measured shapes, where the rate was used
    used = dict.fromkeys((p.decode_weight_rate.device, p.decode_weight_rate.dtype) for sw in sweeps
                         for p in sw.points if p.decode_weight_rate is not None)
    notes += [n for dev, dt in used if (n := decode_gemm.narrow_layers_note(by_name[dev], dt, cfg, opts.tp))]
    notes += [requests_note(sw.points[0]) for sw in sweeps
              if sw.points and sw.points[0].requests is not None and sw.points[0].lengths_run is None]
    if lengths is not None:
        notes.append(lengths_note(lengths))
    elif at_max_load and opts.batch.strip() and opts.requests is None:
        notes.append(STEADY_WAVES_NOTE)
    notes += share_notes
    if (n := kv_replication_note(cfg, opts.tp, moe.attention_dp)) is not None:
        notes.append(n)
    if (n := int4_group_note(opts, int4_groups)) is not None:
        notes.append(n)
    if (n := pp_stages_note(opts, cfg)) is not None:
        notes.append(n)
    if (n := pp_microbatches_note(opts)) is not None:
        notes.append(n)
    if (n := fewer_microbatches_note(opts, [p for sw in sweeps for p in sw.points])) is not None:
        notes.append(n)
    if cap_bound and (n := batch_cap_note(opts, at_max_load)) is not None:
        notes.append(n)
    if (n := default_cap_note(opts, bound_caps, engine_caps)) is not None:
        notes.append(n)
    if (n := cap_microbatches_note(opts, at_max_load, cap_bound)) is not None:
        notes.append(n)
    notes += [n for sp in specs if sp.name in served and (n := attention_peak_note(sp, opts.weight_dtype))]
    notes += [n for sp in specs if sp.name in served and (n := kv_fp8_storage_note(sp, opts.kv_dtype))]
    if served and (n := kv_engine_note(cfg, opts.kv_dtype, opts.engine)) is not None:
        notes.append(n)
    vendors = {sp.name: sp.vendor for sp in specs}  # whose FP4 weight-only path the note cites
    notes += [n for sw in sweeps
              if sw.points and (n := weight_only_note(sw.points[0], vendors.get(sw.points[0].device, ""))) is not None]
    # J/out tok: the idle draw and the facility's host share and PUE (no flags here: cost.Facility's defaults)
    served_specs = [sp for sp in specs if sp.name in served]
    notes += [n for n in (unpriced_note(served_specs, opts),) if n]
    notes += [n for n in (energy_defaults_note(served_specs, Facility(), flags=False, carbon=False),
                          host_not_counted_note(served_specs, Facility(), flags=False),
                          max_memory_note(served_specs, "fits, mem/dev limit and max batch")) if n]
    longest = (opts.prompt, opts.output) if lengths is None else max(  # --lengths: its longest request's
        zip(lengths.prompts, lengths.outputs, strict=True), key=sum)
    if cfg.context is not None and (note := cfg.context.note(*longest)):
        if lengths is not None:  # the request named as the file's, not as flags it was not given
            note = note.replace(f"--prompt {longest[0]} + --output {longest[1]}",
                                f"--lengths {lengths.source}'s longest request, {longest[0]} + {longest[1]}", 1)
        notes.append(note)  # beyond the model's positions, or within them only through rope scaling
    if opts.output == 1:  # (E2E - TTFT) / (output - 1) is 0 / 0: serving._tpot_s puts a decode step there, said here
        notes.append("default used: --output 1 decodes no token, so TPOT = (E2E - TTFT) / (output - 1) is "
                     "undefined (vLLM's benchmark leaves such requests out of its TPOT: benchmarks/serve.py "
                     "calculate_metrics appends a TPOT only if output_len > 1): the TPOT and decode tok/s columns "
                     "show one decode step at the prompt's context instead, what a second output token would take")
    if measured is not None and opts.tp == 1 and opts.pp == 1 and not (cfg.is_moe and moe.active):
        notes.append("--collectives has no effect here: no collective runs on one device per replica (--tp 1, "
                     "--pp 1, no expert parallelism)")
    # a device whose points are shown but whose requested batch does not fit: its error in the document too (the
    # command exits 2 with it; `--json` printed `errors: []` beside that exit, utserve 2026-12-04)
    nvfp4_devs = frozenset(nvfp4_devices)
    beside += [ServeError(device=sw.points[0].device, problem=over.problem, fix=over.fix)
               for sw in sweeps if sw.points and (over := overflow_error([sw], nvfp4_devs)) is not None]
    # a --hardware spec TOML written by `probe --collectives`: its own measured link is used (comm.measured_of,
    # serving._link) and said as --collectives's is, where a collective runs (utleftplan, 2026-12-05: unsaid)
    own = own_links(served_specs)
    runs_collectives = opts.tp > 1 or opts.pp > 1 or (cfg.is_moe and moe.active)
    shown = measured if measured is not None else own[0] if len(own) == 1 and runs_collectives else None
    result = ServeResult(results=[ServeSweep.of(s) for s in sweeps], errors=errors + beside,
                         model=cfg.name, unused_config_keys=serve_unused_keys(cfg, opts, int4_groups),
                         measured_link=shown,
                         notes=notes)
    return ServeRun(result=result, sweeps=sweeps, overflow=overflow_error(sweeps, nvfp4_devs) or rate_error,
                    max_supported_memory={sp.name: sp.memory_bytes for sp in served_specs
                                          if sp.memory_is_max_supported})


def pp_stages_note(opts: ServeOptions, cfg: TransformerConfig) -> str | None:
    """How a --pp > 1 run splits the layers (serving.pp_stage_layers) and places the embedding and the LM head
    (serving._busiest_stage), and which published serving runs check it (the bundled runs file's pp > 1 rows, all
    TensorRT-LLM v1.0 on RTX PRO 6000 since 2026-12-03); None at --pp 1."""
    if opts.pp == 1:
        return None
    rows = ("its token row (vocab-parallel: on one tp rank) and its learned position row (on every rank), hidden x 2 "
            "bytes each per token" if cfg.position_params() else "its token row (vocab-parallel: on one tp rank), "
            "hidden x 2 bytes per token")
    counts = pp_stage_layers(cfg.layers, opts.pp)
    # serving._weights_bytes_per_device charges ceil(L/pp) layers and an end stage's tables to one device: the first
    # stage holds both where it is among the fullest (L mod pp = 0 or pp - 1), no stage does otherwise
    memory = ("the busiest device's bytes (the first stage holds both)" if cfg.layers % opts.pp in (0, opts.pp - 1)
              else "an upper bound on the busiest device's (no stage holds both under this split; max batch and "
              "fits are on the safe side)")
    return (f"--pp {opts.pp}: the stages hold floor(layers / pp) layers each, and the layers left over one more each "
            "on the stages before the last, from the second-to-last backwards (vLLM's split, get_pp_indices: "
            f"{cfg.layers} layers as {', '.join(map(str, counts))}); the "
            f"first also holds the input embedding (the looked-up rows read, {rows}), the last the LM head (a "
            "[hidden, vocab/tp] GEMM per "
            "token, its hidden x vocab/tp x 2 bytes read each forward); the busiest stage, busy once per micro-batch, "
            "bounds a decode step (and each further micro-batch of a static prefill). Memory per device charges "
            f"ceil(layers / pp) layers and an end stage's tables (the LM head, or the input embedding) to one device: "
            f"{memory}. {PP_ROWS_CLAIM}")


PP_ROWS_CLAIM = (
    "The published serving runs with --pp > 1 (`validate --serving`: TensorRT-LLM v1.0, Llama 3.3 70B at --pp 2-8 and "
    "Llama 3.1 405B at --pp 8 on RTX PRO 6000, max load), predicted with that engine's blocking PP loop charged "
    "(--engine trtllm: pp_host_per_request_s, fitted on 3 of them), are within -17% to +17% at every --pp 2-8 row; "
    "without that charge (another --engine) they are within 25% at prompts of 5,000 tokens or more (at 2,048 tokens "
    "up to +34%, at --pp 8), and at --pp 4-8 with prompts of 1,000 tokens or fewer the published throughput is below "
    "the predicted one, by up to 2.7x (the rows' notes). The same benchmark in TensorRT-LLM 1.2 on that device is "
    "within -26% to -1% of the model at --pp 1-8 with the charge, -10% to +17% without (its table delivers x1.21 / "
    "x1.51 v1.0's throughput at --pp 4 / 8 at 1,000-token prompts): the fitted charge is v1.0's host and setup")
"""What pp_stages_note says of the published --pp rows: tests/test_serving_pp_rows.py recomputes the figures without
the pipeline host loop's charge, tests/test_serving_pp_host_loop.py with it (rvA, s33: until then the note gave only
the figures of the model before rpphost, while `--engine trtllm` charged the loop)."""


def pp_microbatches_note(opts: ServeOptions) -> str | None:
    """'default used:' for the micro-batches in flight of a --pp > 1 run the user did not set (one per stage: vLLM's
    and TensorRT-LLM's); None at --pp 1 or with --pp-microbatches given."""
    if opts.pp == 1 or opts.pp_microbatches is not None:
        return None
    return (f"default used: --pp {opts.pp} keeps {opts.pp} micro-batches in flight, one per stage (vLLM: "
            "MultiprocExecutor.max_concurrent_batches = pipeline_parallel_size, vllm/v1/executor/multiproc_executor.py "
            "at 00f6c9bf92aa; TensorRT-LLM: max_batch_size x pp requests, PyTorchModelEngine.get_max_num_sequences): "
            "the batch splits into them, TPOT is one micro-batch's pass through every stage and the hops — give "
            "--pp-microbatches 1 for an engine that runs one batch through the stages in turn")


def fewer_microbatches_note(opts: ServeOptions, points: list[ServingPrediction]) -> str | None:
    """Where a batch holds fewer requests than the --pp-microbatches given, it splits into one micro-batch per
    request (serving.microbatches_in_flight): said, naming those batches, rather than the title's count alone."""
    m = opts.pp_microbatches or opts.pp  # the default: one per --pp stage
    fewer = sorted({p.batch for p in points if opts.pp > 1 and p.pp_microbatches < m})
    if not fewer:
        return None
    asked = f"--pp-microbatches {m}" if opts.pp_microbatches else f"{m} micro-batches (one per --pp stage)"
    return (f"{asked} is more than the requests of batch {', '.join(map(str, fewer))}: a micro-batch holds at "
            "least one request, so such a batch runs as one micro-batch per request")


def unpriced_note(specs: list[AcceleratorSpec], opts: ServeOptions) -> str | None:
    """Why $/M out tok reads n/a: the served devices the catalog gives no price (or no TDP, for J/out tok); None
    when every one has both (or --price-usd-per-hour priced them)."""
    from accelopt.hardware.catalog import missing_figure_note, own_spec_files

    no_price = [sp.name for sp in specs if sp.price_usd_per_hour is None and opts.price_usd_per_hour is None]
    no_tdp = [sp.name for sp in specs if sp.tdp_w is None]
    if not no_price and not no_tdp:
        return None
    files = own_spec_files(opts.hardware, opts.catalog)  # a device of the user's own file: the fix names that file
    parts = [missing_figure_note("$/M out tok is", "price per device-hour", "price_usd_per_hour", no_price, files,
                                 flag="--price-usd-per-hour"),
             missing_figure_note("J/out tok is", "TDP", "tdp_w", no_tdp, files)]
    return "; ".join(p for p in parts if p) or None


def cap_microbatches(opts: ServeOptions) -> int:
    """The micro-batches max_batch_size is multiplied by in the engine's cap on requests in flight: one per --pp
    stage where the engine caps each micro-batch (TensorRT-LLM, and the default: max_batch_size x pp whatever
    --pp-microbatches, a setting TensorRT-LLM does not have, cap_microbatches_note), 1 where it caps all together
    (vLLM) or at --pp 1 (serving.batch_cap_requests)."""
    rule = ENGINES[opts.engine].batch_cap_per_microbatch if opts.engine else None
    return 1 if opts.pp == 1 or rule is False else opts.pp


def cap_microbatches_note(opts: ServeOptions, at_max_load: bool, cap_bound: bool) -> str | None:
    """Where --pp-microbatches differs from --pp under TensorRT-LLM's cap (--engine trtllm, or no engine's rule):
    the cap stays max_batch_size x pp, said; None where the cap plays no part (a --rate / 'max' run whose
    concurrency memory set, `cap_bound` False; a --batch / --concurrency list without --max-batch-size to be
    checked against) or another rule applies."""
    rule = ENGINES[opts.engine].batch_cap_per_microbatch if opts.engine else None
    m = opts.pp_microbatches
    if opts.pp == 1 or rule is False or m is None or m == opts.pp:
        return None
    if not (cap_bound if at_max_load or opts.rate.strip() else opts.max_batch_size is not None):
        return None
    who = "--engine trtllm" if rule else "TensorRT-LLM's rule (the default, no --engine citing one)"
    return (f"{who} caps the requests in flight at max_batch_size x --pp {opts.pp}, not x --pp-microbatches {m}: "
            "TensorRT-LLM admits max_batch_size requests per micro-batch, one micro-batch per stage "
            "(PyTorchModelEngine.get_max_num_sequences: max_batch_size x pp), and has no setting for the "
            "micro-batches in flight; --pp-microbatches sets only how the batch splits over the stages here")


def cap_binds(cfg: TransformerConfig, spec: AcceleratorSpec, opts: ServeOptions, cal: ServingCalibration,
               moe: MoELayout, points: list[ServingPrediction], saturated: bool) -> bool:
    """Whether the engine's cap on requests in flight (serving.batch_cap_requests x attention-DP ranks), not the KV
    cache, set a 'max' or --rate run's concurrency on `spec`: more requests would fit (serving.max_batch), and the
    run reached the cap (a point ran at the cap, or a rate saturated; not a --requests run of fewer: one wave)."""
    cap = batch_cap_requests(cal, opts.pp) * moe.attention_dp
    fits = max_batch(cfg, spec, tp=opts.tp, pp=opts.pp, prompt_len=opts.prompt, output_len=opts.output,
                     weight_dtype=opts.weight_dtype, kv_dtype=opts.kv_dtype, calibration=cal, moe=moe)
    if fits <= cap:
        return False
    if not opts.rate.strip():  # a 'max' run holds the cap, unless a --requests run is one wave of fewer (finite_run)
        return not any(p.requests is not None and p.batch < cap for p in points)
    return saturated or any(p.batch >= cap for p in points)


def batch_cap_note(opts: ServeOptions, at_max_load: bool) -> str | None:
    """'default used:' for the engine's cap on requests in flight over --pp > 1 stages where no --engine with a cited
    rule set it (TensorRT-LLM's rule applies: the default max_batch_size is its); None where the cap plays no part
    (--pp 1, or a given --batch / --concurrency list, checked against --max-batch-size on its own). plan_serve prints
    it only where the cap, not memory, set the concurrency on some device (cap_binds)."""
    rule = ENGINES[opts.engine].batch_cap_per_microbatch if opts.engine else None
    if opts.pp == 1 or rule is not None or not (at_max_load or opts.rate.strip()):
        return None
    m = cap_microbatches(opts)
    b = f"--max-batch-size {opts.max_batch_size}" if opts.max_batch_size else \
        "max_batch_size (the calibration's, 2048 unless set)"
    engine = f"--engine {opts.engine} cites no rule for it" if opts.engine else "no --engine given"
    return (f"default used: {engine}, so the requests in flight are capped at {b} per micro-batch x {m} "
            "micro-batches, one per --pp stage (TensorRT-LLM's rule, PyTorchModelEngine.get_max_num_sequences: "
            "max_batch_size x pp; the "
            "default max_batch_size 2048 is TensorRT-LLM's) — give --engine vllm for vLLM's, whose max_num_seqs caps "
            "all micro-batches together (v1 Scheduler.max_num_running_reqs)")


def default_cap_note(opts: ServeOptions, bound_caps: dict[str, int],
                     engine_caps: set[str] | frozenset[str] = frozenset()) -> str | None:
    """'default used:' for the max_batch_size left out at --pp 1 where it, not the KV cache, set the requests in
    flight of a 'max' or --rate run (`bound_caps`: device -> that cap; cap_binds; `engine_caps`: those of them whose
    cap is the engine's own default, vLLM's max_num_seqs: serving.engine_default_max_batch_size). Before utserve2
    (2026-12-05) nothing said so: `--batch max` of a small model on one H100 ran 2048 requests beside 'max batch that
    fits: 2985'. None with --max-batch-size given, at --pp > 1 (batch_cap_note says it there) or where the cap did
    not bind."""
    if opts.pp > 1 or opts.max_batch_size is not None or not bound_caps:
        return None
    ranks = moe_layout(opts).attention_dp
    dp = f" per attention-DP rank, x {ranks} ranks" if ranks > 1 else ""
    parts = []
    if table := {d: c for d, c in bound_caps.items() if d not in engine_caps}:
        where = ", ".join(f"{d}: {c:,}" for d, c in table.items())
        parts.append(f"the [serving.*] table's max_batch_size, 2048 unless a --calibration table sets it{dp} (the "
                     f"TensorRT-LLM LLM API's default max_batch_size), on {where}")
    if engine := {d: c for d, c in bound_caps.items() if d in engine_caps}:
        where = ", ".join(f"{d}: {c:,}" for d, c in engine.items())
        parts.append(f"vLLM's default max_num_seqs{dp} ({VLLM_MAX_NUM_SEQS_SOURCE}), on {where}")
    return (f"default used: --max-batch-size was left out, so the engine's cap on requests in flight is "
            f"{'; and '.join(parts)}; it, not the KV cache, set the requests in flight (the 'max batch that fits' is "
            "what the memory holds) — give --max-batch-size (the engine's max_batch_size, vLLM's max_num_seqs) to "
            "replace it")


def _read_notes(cfg: TransformerConfig) -> list[str]:
    """For a config.json: its parameter count and the architecture it is counted from, the lines `plan` and `plan
    explain` print (transformer.config_params_text, architecture_text), so that the three commands show the same
    count to check against the model card; `plan serve` printed none (a user trial, utplanhf: its weights' memory
    was the only trace of the count). For a preset: its count beside the published one (presets.preset_params_text,
    as `plan` prints it)."""
    if not read_from_config(cfg):
        return [n for n in (preset_params_text(cfg),) if n]
    return [f"{config_params_text(cfg)}; compare with the model card", architecture_text(cfg)]


def memory_figures_note(cfg: TransformerConfig, point: ServingPrediction) -> str:
    """The KV-cache bytes per token and the weight bytes per device the table's mem/dev is built from, with the
    arithmetic (2 (K and V) x layers x KV heads x head dim x bytes: Pope et al. 2022 sec. 3.1; Kwon et al. 2023 sec.
    3, OPT-13B's 800 KB), to check against a published figure (Llama-2-7B fp16: 512 KiB; Mistral-7B's 8 KV heads: 128
    KiB): the JSON held them (kv_cache_bytes_per_token, weights_bytes_per_device), the console did not."""
    from accelopt.units import fmt_bytes

    kv = point.kv_cache_bytes_per_token
    per = kv_bytes_per_value(point.kv_dtype)
    how = ""
    if cfg.mla is None and kv == 2 * cfg.layers * cfg.n_kv_heads * cfg.head_dim * per:
        how = (f" = 2 (K and V) x {cfg.layers} layers x {cfg.n_kv_heads} KV heads x {cfg.head_dim} head dim x "
               f"{per:g} B")
    elif cfg.mla is not None and kv == cfg.layers * cfg.mla.cache_width * per:
        how = f" = {cfg.layers} layers x {cfg.mla.cache_width} latent + rotary key values x {per:g} B (MLA)"
    window = (", before a sliding window caps a layer's tokens" if cfg.windowed_layers else "")
    w = point.weights_bytes_per_device
    return (f"{cfg.name}: KV cache {fmt_bytes(kv, binary=True)} ({kv:,.0f} B) per token of context, whole model, "
            f"at --kv-dtype {point.kv_dtype}{how}{window}; weights {fmt_bytes(w, binary=True)} ({w:,.0f} B) per device "
            f"at --weight-dtype {point.weight_dtype} (part of mem/dev)")


def kv_replication_note(cfg: TransformerConfig, tp: int, attention_dp: int = 1) -> str | None:
    """Where --tp exceeds the model's K/V heads (grouped-query attention), each rank holds, computes and caches one
    whole K/V head, each head replicated on tp / kv_heads ranks (TransformerConfig.kv_heads_per_device: vLLM's
    QKVParallelLinear, TensorRT-LLM's dup_kv_weight): said, since the KV cache of a replica is then tp / kv_heads times
    the model's. For MLA (mla_replication_note) at tp > 1: its latent, one per token, is cached whole on every rank.
    None where tp <= kv_heads (tp 1 for MLA)."""
    if cfg.mla is not None:
        return mla_replication_note(cfg, tp, attention_dp)
    if tp <= cfg.n_kv_heads:
        return None
    copies = tp / cfg.n_kv_heads
    times = f"{copies:g}"
    return (f"--tp {tp} over {cfg.name}'s {cfg.n_kv_heads} K/V heads: each rank holds, "
            f"computes and caches one whole K/V head, each head replicated on {times} ranks, as vLLM "
            "(QKVParallelLinear) and TensorRT-LLM (dup_kv_weight) build it: the K/V weights, K/V GEMMs and KV cache "
            f"per device are one head's, and the replica's KV cache is {times}x the model's")


def mla_replication_note(cfg: TransformerConfig, tp: int, attention_dp: int = 1) -> str | None:
    """At tp > 1 a multi-head latent attention model's KV cache (one latent + rotary key a token and layer, no heads
    to split) is cached whole on every tensor-parallel rank (serving._kv_bytes_per_token_per_device; SGLang's
    data-parallel attention page: with tensor parallelism an MLA model's 'KV cache [is] duplicated across all GPUs',
    which --attention-dp avoids). Said beside the result: its KV cache per device did not shrink with --tp, without
    a word (utserve, s33, 2026-12-06: a DeepSeek-V2-Lite-shaped config's 573 MB at batch 8 at --tp 1, 2 and 4 alike).
    With --attention-dp A > 1 given, what it did: the replica's requests are split over A groups of tp ranks, each
    group caching its own requests' latents (serving_moe.requests_per_rank), still whole on each of its tp ranks
    (rvA, s33: the note advised --attention-dp where it was given). None at tp 1."""
    if cfg.mla is None or tp <= 1:
        return None
    head = (f"--tp {tp} with {cfg.name}'s multi-head latent attention: its KV cache, one latent of "
            f"{cfg.mla.cache_width} values a token and layer, has no heads to split, so each of the {tp} ranks "
            + ("of an attention-DP group caches all of it for that group's requests" if attention_dp > 1
               else "caches all of it for the replica's requests")
            + ", as vLLM's and SGLang's MLA backends hold it (SGLang's data-parallel attention docs: the KV cache is "
            "duplicated across the tensor-parallel GPUs): the KV cache per device does not shrink with --tp, and the "
            f"replica's is {tp}x the model's; ")
    if attention_dp > 1:
        return head + (f"--attention-dp {attention_dp} splits the replica's requests over {attention_dp} groups of "
                       f"{tp} ranks, so a device caches its own group's requests (1/{attention_dp} of the replica's, "
                       "rounded up), not all of the replica's")
    return head + "--attention-dp gives each rank its own requests' cache instead"


def _given_flags(opts: ServeOptions, int4_groups: set[int]) -> dict[str, str]:
    """The weight flags and --kv-dtype this run used, as cfg.stored_weight_flags names them (the int4 group:
    --int4-group-size, or the [serving.*] table's default where every device ran the same)."""
    given = {"--weight-dtype": opts.weight_dtype,
             "--expert-weight-dtype": opts.expert_weight_dtype or opts.weight_dtype, "--kv-dtype": opts.kv_dtype}
    group = opts.int4_group_size
    if group is None and len(int4_groups) == 1:
        group = next(iter(int4_groups))
    if group is not None:  # the group every device ran (--int4-group-size, or the [serving.*] table's default)
        given["--int4-group-size"] = str(group)
    return given


def _stored_flags_given(cfg: TransformerConfig, opts: ServeOptions, int4_groups: set[int]) -> bool:
    """Whether this run was given every flag (cfg.stored_weight_flags) that predicts a quantized checkpoint's weights
    as stored, at the value its quantization_config says; False where the config names none."""
    given = _given_flags(opts, int4_groups)
    return bool(cfg.stored_weight_flags) and all(given.get(f) == v for f, v in cfg.stored_weight_flags)


def _config_notes(cfg: TransformerConfig, opts: ServeOptions, int4_groups: set[int]) -> list[str]:
    """cfg.config_defaults with the note of a quantized checkpoint (cfg.stored_weights_note) saying what this run
    made of its quantization_config: read through the flags given (_stored_flags_given), or predicted at the
    flags' values this run used, not as stored, with the flags that predict it as stored (the note said '(bf16
    unless given)' beside a run that gave another)."""
    if not cfg.stored_weight_flags:
        return list(cfg.config_defaults)
    flags = " ".join(f"{flag} {value}" for flag, value in cfg.stored_weight_flags)
    if _stored_flags_given(cfg, opts, int4_groups):
        said = (f"{cfg.stored_weights_text}: read through {flags}, as this run gives them: the weights are predicted "
                "as stored (another --weight-dtype predicts them as that instead)")
    else:
        given = _given_flags(opts, int4_groups)
        int4 = "int4" in (given["--weight-dtype"], given["--expert-weight-dtype"])  # else no group is read
        used = " ".join(f"{flag} {given[flag]}" for flag, _ in cfg.stored_weight_flags
                        if flag in given and (int4 or flag != "--int4-group-size"))
        said = (f"{cfg.stored_weights_text}: serving is predicted at {used} (this run's), not as stored; pass "
                f"`plan serve {flags}` to predict the weights as stored")
    return [said if n == cfg.stored_weights_note else n for n in cfg.config_defaults]


def serve_unused_keys(cfg: TransformerConfig, opts: ServeOptions, int4_groups: set[int]) -> list[str]:
    """cfg.unused_keys as this run used them: quantization_config is read, not ignored, where the run was given the
    flags that say what it says (_stored_flags_given: gpt-oss's --weight-dtype bf16 --expert-weight-dtype mxfp4 was
    warned 'ignored: quantization_config', a user trial, ut4srv); where they disagree, or it names no format a flag
    says, it stays listed, beside the note saying which flags predict the weights as stored."""
    followed = _stored_flags_given(cfg, opts, int4_groups)
    return [k for k in cfg.unused_keys if not (followed and k == "quantization_config")]


def check_int4_group(cfg: TransformerConfig, opts: ServeOptions, moe: MoELayout, cal: ServingCalibration) -> None:
    """Refuses an int4 group size (`cal.int4_group_size`: --int4-group-size where given, else the [serving.*]
    table's default, 128) that does not fit the model's int4 layer inputs, per tensor-parallel rank
    (serving.int4_group_problem); the default is named as one, with the flag that replaces it."""
    group = cal.int4_group_size
    if (why := int4_group_problem(cfg, group, opts.weight_dtype, moe, opts.tp)) is None:
        return
    given = opts.int4_group_size is not None
    what = f"--int4-group-size {group}" if given else (
        f"the default int4 group size {group} (default used: int4_group_size of the [serving.{cal.family}] table, "
        "AutoAWQ / GPTQ's default; --int4-group-size was left out)")
    fix = why[1].replace("a smaller tp", "a smaller --tp")
    raise InputError(f"{what} {why[0]}".replace("at tp ", "at --tp "),
                     fix if given else f"{fix}, as --int4-group-size N (the checkpoint's group_size)")


def int4_group_note(opts: ServeOptions, group_sizes: set[int]) -> str | None:
    """'default used:' for int4 weights whose group size the user did not give (the calibration's, 128: AWQ/GPTQ's
    default); None where no weights are int4 or --int4-group-size was given."""
    if opts.int4_group_size is not None or "int4" not in (opts.weight_dtype, opts.expert_weight_dtype):
        return None
    sizes = ", ".join(str(g) for g in sorted(group_sizes)) or "128"
    return (f"default used: int4 weights carry one fp16 scale and a 4-bit zero point per {sizes} weights "
            "(int4_group_size of the [serving.*] table; AutoAWQ / GPTQ's default group) — give --int4-group-size "
            "(the checkpoint's group_size; a per-channel checkpoint: the layer width) to replace it")


def _rate_points(cfg: TransformerConfig, spec: AcceleratorSpec, opts: ServeOptions, cal: ServingCalibration,
                 moe: MoELayout, nvfp4_kv: bool = False) -> tuple[list[ServingPrediction], InfeasibleError | None]:
    """The points of the --rate values `spec` completes, and the error of the first it cannot (its queue grows
    without bound; exit 2 after the others are shown). One such rate dropped the device's every point: `--rate
    1,1000` printed the error alone; none completed raises that error, as before."""
    points: list[ServingPrediction] = []
    saturated: InfeasibleError | None = None
    for r in _rates(opts.rate):
        try:
            points.append(predict_at_rate(cfg, spec, rate_per_s=r, tp=opts.tp, pp=opts.pp, prompt_len=opts.prompt,
                                          output_len=opts.output, weight_dtype=opts.weight_dtype,
                                          kv_dtype=opts.kv_dtype, calibration=cal, moe=moe, nvfp4_kv=nvfp4_kv))
        except InfeasibleError as e:
            saturated = saturated or e
    if not points:
        assert saturated is not None
        raise saturated
    return points, saturated


def _check_engine_device(opts: ServeOptions, spec: AcceleratorSpec) -> None:
    """An InfeasibleError (this device is listed as not served; alone, exit 2) for an --engine tied to another
    vendor's devices (serving.ENGINES' devices: --engine neuron on an H100 predicted a run no one can make), and for
    --token-buckets neuronx off the devices the neuron engine runs on (transformers-neuronx is AWS Neuron's)."""
    if opts.token_buckets is not None and (why := engine_device_mismatch("neuron", spec)) is not None:
        raise InfeasibleError(f"--token-buckets {opts.token_buckets}: transformers-neuronx's buckets, but {why}",
                              "leave --token-buckets out on this device, or give an AWS Inferentia/Trainium device")
    if opts.engine is None or (why := engine_device_mismatch(opts.engine, spec)) is None:
        return
    fits = [name for name, rule in ENGINES.items() if engine_device_mismatch(name, spec) is None]
    raise InfeasibleError(why, f"give --engine {' or '.join(fits)} for {spec.name}, or a device --engine "
                          f"{opts.engine} runs on (accelopt catalog list)")


def _check_custom_allreduce(opts: ServeOptions, spec: AcceleratorSpec, cal: ServingCalibration) -> None:
    """An InfeasibleError (this device is listed as not served) for `--tp-allreduce custom` typed where the engine
    would not run its own all-reduce kernel (serving.custom_allreduce_skipped: a group past one scale-up domain, a
    group size the kernel does not support, more than 2 PCIe-only GPUs): timing NCCL's instead under a note answered
    a question the user did not ask."""
    if opts.tp_allreduce != "custom" or opts.tp <= 1 or not comm.chains_in_domain(spec):
        return
    why = custom_allreduce_skipped(spec, opts.tp, cal)
    if why is None:
        return
    fix = "use --tp-allreduce nccl (what vLLM runs here instead)"
    if custom_allreduce_off(spec, opts.tp):
        fix += f", or --tp up to {spec.scaleup_domain_devices:g} (with --pp for more devices)"
    elif opts.tp not in CUSTOM_ALLREDUCE_WORLD_SIZES:
        fix += f", or --tp {', '.join(map(str, CUSTOM_ALLREDUCE_WORLD_SIZES))} (with --pp for more devices)"
    raise InfeasibleError(f"--tp-allreduce custom with --tp {opts.tp} on {spec.name}: {why}", fix)


def _rates(text: str) -> list[float]:
    """'0.5,2,8' -> [0.5, 2.0, 8.0] requests/s; InputError naming the bad item. A repeated rate is kept once, as
    --batch and --concurrency keep a repeated value (units.parse_int_list): '--rate 1,1' printed two equal rows."""
    out: list[float] = []
    for item in text.split(","):
        try:
            out.append(float(item))
        except ValueError:
            raise InputError(f"--rate {text!r}: {item.strip()!r} is not a number",
                             "write e.g. --rate 0.5,2,8") from None
    return list(dict.fromkeys(out))
