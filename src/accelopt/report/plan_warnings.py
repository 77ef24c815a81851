"""The warnings, defaults and calibration labels `plan`, `plan explain` and `plan serve` print beside their tables,
as plain-text lines made from the typed result: the console prints these lines and the HTML page shows the same
lines (escaped), so a config key the predictor ignores, a default used in place of a missing figure or an
"uncalibrated" label cannot be on one and missing from the other (issue 10: "A config key the predictor does not use
must be an error or a printed warning, never dropped"; "a default, where used, is printed beside the result").

Warnings about the inputs that nothing else in a result shows (a --hardware spec `probe` measured on a busy machine:
cli.plan.busy_spec_lines; a --calibration file's training tables that `plan serve` does not read:
cli.plan_serve.training_tables_lines) are carried by the result as input_warnings: the console prints them on stderr
when they arise, the page shows them first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accelopt.units import fmt_bytes

LAYOUT_EXTRA_COLUMNS = ("hsdp", "etp")
"""Layout fields a `plan` table shows only when a row of the result uses them (hybrid-sharding shard group, expert
tensor parallelism)."""


def layout_extra_columns(*tables: Sequence[Any]) -> list[str]:
    """The LAYOUT_EXTRA_COLUMNS any row of any of `tables` (LayoutRow lists: best, Pareto front, closest) uses: one
    set for every layout table of a result, console and HTML alike, so the Pareto table cannot drop a column the
    best table shows (ut3misc, 2026-12-06: the front's one row without an hsdp group lost the column)."""
    return [c for c in LAYOUT_EXTRA_COLUMNS if any(getattr(r.layout, c, None) for rows in tables if rows for r in rows)]


def unused_keys_line(model: str, keys: Sequence[str]) -> str | None:
    """'warning: MODEL: config key(s) not modelled by the predictor, ignored: a, b' (None: every key was used)."""
    if not keys:
        return None
    return f"warning: {model}: config key(s) not modelled by the predictor, ignored: {', '.join(keys)}"


SKIP_FIXES = {"--dtype": "pick another --dtype for it", "--fp8-recipe": "pick another --fp8-recipe for it",
              "--tp-comm-overlap": "leave --tp-comm-overlap out for it",
              "--attention-kernel": "give --attention-kernel fused or unfused for it",
              "--eager-cross-entropy": "leave --eager-cross-entropy out for it",
              "--te-cross-entropy": "leave --te-cross-entropy out for it",
              "--hardware": "give scaleup_bandwidth_byte_per_s or scaleout_bandwidth_byte_per_s in a spec TOML of "
                            "your own (a catalog device's entry copied under a new name), or include 1 in --devices"}
"""The fix printed beside a device not searched, by the flag it cannot run (PlanResult.skipped_options)."""


def skipped_lines(skipped: Mapping[str, str], options: Mapping[str, str]) -> list[str]:
    """One line per device `plan` did not search, with why and the fix named by the flag it cannot run (a device left
    out must not vanish); a document written before skipped_options (plan schema 12) has no fix to print."""
    out = []
    for name, why in skipped.items():
        fix = SKIP_FIXES.get(options.get(name, ""))
        out.append(f"not searched: {name} ({why}{f'; {fix}' if fix else ''})")
    return out


def assumed_lines(assumed: Mapping[str, Sequence[Any]]) -> list[str]:
    """Per device, the defaults used in place of figures its spec lacks (comm.Assumption), in one line, and an
    engine's custom all-reduce (not a spec figure: --tp-allreduce, its text says) in a line of its own."""
    from accelopt.predict.comm import ICI_SHAPE_FIELD
    from accelopt.predict.serving import CUSTOM_ALLREDUCE_FIELD

    own_line = (CUSTOM_ALLREDUCE_FIELD, ICI_SHAPE_FIELD)  # not spec figures: no TOML field replaces them
    out = []
    for device, items in assumed.items():
        spec_items = [a for a in items if a.field not in own_line]
        if spec_items:
            out.append(f"{device}: " + "; ".join(a.text() for a in spec_items)
                       + " — give the figure in a --hardware spec TOML to replace it")
        out += [f"{device}: {a.text()}" for a in items if a.field in own_line]
    return out


def measured_lines(measured: Any) -> list[str]:
    """The measured scale-up link (--collectives) used in place of the catalog's, and the busy-machine warning
    `probe` saved with it; [] without one."""
    if measured is None:
        return []
    from accelopt.measure.collective_figures import link_fit_warning
    from accelopt.measure.contention import link_warning

    out = [measured.text() + "; the scale-out link is the catalog's"]
    fit = link_fit_warning(measured.source)
    if fit is not None:  # saved by probe: the measured times do not follow the ring model plan uses
        out.append(f"warning: the measured link: {fit}")
    warning = link_warning(measured.source)
    if warning is not None:  # saved by probe in the spec's source: the figures are used, with their caveat
        out.append(f"warning: the measured link was disturbed while measured: {warning}")
    return out


def training_lines(result: Any) -> list[str]:
    """What `plan` and `plan explain` print beside their tables that the page's tables do not show: input warnings,
    ignored config keys, devices not searched, defaults used, the measured link. (Calibration bases and notes have
    tables.)"""
    assumed = result.assumed if isinstance(result.assumed, Mapping) else {result.hardware: result.assumed}
    unused = unused_keys_line(result.model, result.unused_config_keys)
    return [*result.input_warnings, *([unused] if unused else []),
            *skipped_lines(getattr(result, "skipped_devices", {}), getattr(result, "skipped_options", {})),
            *assumed_lines(assumed),
            *measured_lines(result.measured_link)]


# ---------------------------------------------------------------- plan serve
def pp_microbatches_text(points: Sequence[Any]) -> str:
    """' x N micro-batches' after 'pp=P' in a serving table's title (--pp > 1: the most micro-batches a point of
    the sweep keeps in flight; a batch smaller than --pp-microbatches holds fewer); '' at --pp 1."""
    if not points or points[0].pp == 1:
        return ""
    m = max(p.pp_microbatches for p in points)
    return f" x {m} micro-batch{'es' if m != 1 else ''}"


def serve_caption(max_batch: int, ridge_batch: int | None, cal: Any, device: str,
                  max_supported_bytes: float | None = None) -> str:
    """The line under a `plan serve` table: largest batch, where decode turns compute-bound, the memory rule, and
    the calibration table with where it comes from and its 'uncalibrated' label (ServingCalibration).
    `max_supported_bytes`: the device's memory is the most it supports, not installed (a CPU socket's), said beside
    the largest batch."""
    ridge = str(ridge_batch) if ridge_batch is not None else "never (KV-cache reads grow as fast as FLOPs)"
    cap = (f" (in the {fmt_bytes(max_supported_bytes)} the socket supports at most, not a server's installed memory: "
           "see the note below)" if max_supported_bytes is not None else "")
    return (f"max batch that fits: {max_batch}{cap}; decode turns compute-bound at batch: {ridge}; memory: "
            f"{_memory_rule(cal)}; calibration [serving.{cal.family}]{_table_file(cal)}"
            + (_fitted_on(cal) if cal.fitted else "") + cal.uncalibrated_caveat(device)
            + (f"; {cal.device_scaling.note}" if cal.device_scaling else ""))


# The finest queue wait the tables print: 0.01 ms, the resolution serving benchmarks report TTFT at (vLLM
# benchmarks/benchmark_serving.py prints "Mean TTFT (ms):" with "{:<10.2f}"). The M/D/1 wait at a low --rate is a
# few ns to µs (`plan serve --rate 0.0001`: 432 ns), far inside a TTFT of tens of ms and below what any engine's
# scheduler step or a benchmark resolves; it is printed as "< 10 µs". The JSON's queue_wait_s keeps the figure.
QUEUE_WAIT_RESOLUTION_S = 1e-5


def fmt_queue_wait(seconds: float) -> str:
    """A queue wait as the tables print it: fmt_seconds from QUEUE_WAIT_RESOLUTION_S up, '< 10 µs' below (0 stays
    '0 s')."""
    from accelopt.units import fmt_seconds

    if 0 < seconds < QUEUE_WAIT_RESOLUTION_S:
        return f"< {fmt_seconds(QUEUE_WAIT_RESOLUTION_S)}"
    return fmt_seconds(seconds)


def serve_rate_columns(points: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """The columns a `--rate` sweep adds before its table's concurrency (console and page alike): the request rate
    each row answers and the M/D/1 queue wait inside its TTFT (ServingPoint.request_rate_per_s, queue_wait_s;
    fmt_queue_wait); none for --batch / --concurrency points. Without them the rows read 'concurrency 4, 17', not
    the rates asked."""
    from accelopt.units import fmt_count

    if not any(p.request_rate_per_s is not None for p in points):
        return [], [[] for _ in points]
    return ["rate", "queue wait"], [[f"{fmt_count(p.request_rate_per_s)} req/s", fmt_queue_wait(p.queue_wait_s)]
                                    for p in points]


def serve_point_heads(points: Sequence[Any]) -> list[str]:
    """A serve table's columns after the --rate ones (console and page alike): 'concurrency' or 'batch' as the
    points schedule, and 'TPOT P50' beside TPOT where --token-buckets gives the median step (each had its copy)."""
    first = "concurrency" if points and points[0].scheduling == "continuous" else "batch"
    p50 = ["TPOT P50"] if any(p.tpot_p50_s is not None for p in points) else []
    return [first, "TTFT", "TPOT", *p50, "decode tok/s", "e2e tok/s/dev", "decode bound", "mem/dev", "fits",
            "$/M out tok", "J/out tok"]


def serve_rate_caption(points: Sequence[Any]) -> str:
    """What a --rate table's queue-wait column holds, appended to its caption (console and page alike); '' for
    --batch / --concurrency tables."""
    from accelopt.units import fmt_seconds

    if not any(p.request_rate_per_s is not None for p in points):
        return ""
    res = fmt_seconds(QUEUE_WAIT_RESOLUTION_S)
    return ("; queue wait = M/D/1 mean wait before prefill, rho S / (2 (1 - rho)) (Pollaczek-Khinchine; rho = "
            f"rate / saturation rate, S = 1 / saturation rate), inside TTFT; below {res} printed as '< {res}' (the "
            "0.01 ms serving benchmarks report TTFT to; the JSON's queue_wait_s holds the figure)")


SERVE_LENGTHS_COLUMNS = ("per request", "mean", "p50", "p90", "p99")
"""The columns of `plan serve --lengths`'s latency table, console and page alike."""


def serve_lengths_title(point: Any) -> str:
    """The title of that table: the run's requests, makespan and throughput (predict.serving_lengths.LengthsRun)."""
    from accelopt.units import fmt_count, fmt_seconds

    r = point.lengths_run

    def n(count: int, noun: str) -> str:  # '1 prefill', '2 prefills': a file of one request is a valid run
        return f"{count:,} {noun}{'s' if count != 1 else ''}"

    return (f"{point.model} on {point.n_devices} x {point.device}: {n(r.requests, 'request')} of --lengths "
            f"{r.source} (prompt mean {r.prompt_tokens_mean:,.1f}, output mean {r.output_tokens_mean:,.1f} tokens), "
            f"all at once: makespan {fmt_seconds(r.makespan_s)}, {fmt_count(r.output_tokens_per_s)} output tok/s "
            f"({fmt_count(r.output_tokens_per_s / point.n_devices)} per device), at most {r.most_in_flight:,} in "
            f"flight (cap {r.cap:,}), {n(r.prefills, 'prefill')}, {n(r.decode_steps, 'decode step')} — estimates")


def serve_lengths_rows(point: Any) -> list[list[str]]:
    """The rows of that table: TTFT, TPOT (over the requests of 2+ output tokens) and E2E, each mean, p50, p90,
    p99."""
    from accelopt.units import fmt_seconds

    r = point.lengths_run
    rows = []
    for name, st in (("TTFT", r.ttft), (f"TPOT ({r.tpot_requests:,} requests)", r.tpot), ("E2E", r.e2e)):
        if name.startswith("TPOT") and not r.tpot_requests:
            rows.append([name, "n/a", "n/a", "n/a", "n/a"])
            continue
        rows.append([name, *(fmt_seconds(x) for x in (st.mean_s, st.p50_s, st.p90_s, st.p99_s))])
    return rows


SERVE_MOE_COLUMNS = ("batch", "requests/DP rank", "experts read/step/layer", "expert weights/dev", "other weights/dev",
                     "exchange/step", "exchange bytes/step/dev", "exchange in prefill", "tokens/expert/step",
                     "expert GEMM/step")
"""The columns of `plan serve`'s expert-parallelism table, console and page alike."""


def serve_moe_cells(point: Any) -> list[str]:
    """One row of that table from a point with its MoEServing figures, the same cells on the console and the page.
    The console printed the two counts at '.2f' / '.1f' (0.25 token copies per expert read 0.2, 3.656 experts 3.66)
    where the page printed fmt_count's four digits, and a zero grouped-GEMM time as 'dense eff.' where the page
    printed '0 s' (the routed experts then run at the step's dense efficiencies, not in no time): a user trial
    (uttrialC) read both."""
    from accelopt.units import fmt_count, fmt_seconds

    m = point.moe
    return [fmt_count(point.batch), fmt_count(m.requests_per_dp_rank), fmt_count(m.experts_read_per_decode_step),
            fmt_bytes(m.expert_weight_bytes_per_device, binary=True),  # GiB, as mem/dev
            fmt_bytes(m.non_expert_weight_bytes_per_device, binary=True), fmt_seconds(m.exchange_decode_s),
            fmt_bytes(m.exchange_bytes_per_decode_step, binary=True), fmt_seconds(m.exchange_prefill_s),
            fmt_count(m.tokens_per_expert_decode),
            fmt_seconds(m.grouped_gemm_decode_s) if m.grouped_gemm_decode_s else "dense eff."]


def flags_text(setup: Any, stack: str = "") -> str:
    """', fp8 parameters, 2 layers/stage offloaded, ...': the flags given, of a training Setup or the plan-explain
    result that carries the same fields (the console's headline names them, and the page's layout table since
    uttrialC: it showed the layout's columns alone, not --no-sp, --p2p-overlap, --fp8-recipe, ...)."""
    words = [f"edge stages of {setup.edge_stage_layers} layers" if setup.edge_stage_layers is not None else "",
             "p2p overlap" if setup.p2p_overlap else "", "tp comm overlap" if setup.tp_comm_overlap else "",
             ("torchtitan async TP (micro-pipelined all-gather / reduce-scatter matmuls, copy engines)"
              if setup.tp_comm_overlap and (stack or getattr(setup, "stack", "")) == "torchtitan" else
              f"userbuffers config {setup.tp_overlap_cfg or 'of Transformer Engine defaults (no --tp-overlap-cfg)'}"
              if setup.tp_comm_overlap else ""),
             "expert all-to-all overlap" if setup.ep_a2a_overlap else "",
             f"moe dispatcher {setup.moe_dispatcher}" if setup.moe_dispatcher != "alltoall" else "",
             "fp32 moe router" if setup.moe_router_dtype == "fp32" else "",
             f"{setup.moe_grouped_mlp} grouped mlp" if setup.moe_grouped_mlp != "te" else "",
             "" if setup.tp_async else "synchronous tp collectives",
             "fp8 parameters" if setup.fp8_params else "",
             f"{setup.offload_layers} layers/stage offloaded" if setup.offload_layers else "",
             "fp8 saved inputs" if setup.fp8_saved_inputs else "", "fp8 output head" if setup.fp8_output_head else "",
             "no dropout" if setup.no_dropout else "",
             f"logits in {setup.vocab_tiling} chunks" if setup.vocab_tiling != 1 else "",
             f"fp8 recipe {setup.fp8_recipe}" if setup.fp8_recipe != "delayed" else "",
             (f"attention kernel {setup.attention_kernel}"
              if setup.attention_kernel in ("flash2", "triton", "nki_flash")
              else ""),
             "attention unpad/pad copies" if setup.attention_unpad else "",
             "cuDNN before 9.17" if setup.cudnn_before_9_17 else "",
             "eager fp32 cross-entropy" if setup.eager_cross_entropy else "",
             "TE fused cross-entropy" if setup.te_cross_entropy else "",
             "unfused rope" if setup.rope_fusion == "unfused" else "",
             f"dp bucket {setup.dp_bucket_params:,} parameters" if setup.dp_bucket_params is not None else "",
             f"recompute modules {'+'.join(setup.recompute_modules)}" if setup.recompute_modules else "",
             f"optimizer state {setup.optimizer_state_bytes:g} B/parameter" if setup.optimizer_state_bytes != 12
             else ""]
    return "".join(f", {w}" for w in words if w)


def gemm_curve_text(curve: Any, fp8_recipe: str) -> str:
    """'eff(F) = 0.58 F / (F + 500,000,000)' and, for linear layers in their own precision, '; fp8 linear layers at
    0.5 of the fp8 peak, delayed scaling: 2 B moved per quantized input element': `plan explain`'s headline words
    for its result's gemm_curve (results.GemmCurve), on the console and the page alike."""
    from accelopt.units import fmt_count

    text = f"eff(F) = {curve.eff_max} F / (F + {fmt_count(curve.half_flop)})"
    if curve.linear_dtype:
        text += (f"; {curve.linear_dtype} linear layers at {curve.linear_eff_max} of the {curve.linear_dtype} peak, "
                 f"{fp8_recipe} scaling: {curve.cast_bytes_per_input:g} B moved per quantized input element")
    return text


def explain_layout_text(result: Any) -> str:
    """`plan explain`'s layout as its console headline writes it: 'tp=2 pp=1 ... recompute=selective sp=off, fp8
    parameters' (predict.query.layout_text and the flags given)."""
    from accelopt.predict.query import layout_text

    return f"{layout_text(result.prediction.layout)}{flags_text(result)}"


def serve_legend(p50: bool) -> str:
    """What plan serve's columns mean, under its tables on the console and on the page (the page had none). `p50`:
    a TPOT P50 column is shown (--token-buckets)."""
    return ("TTFT = request overhead + prefill of the whole batch (static batching), or of one request + half a decode "
            "step (--concurrency, continuous batching); TPOT = (E2E - TTFT) / (output - 1), as vLLM and trtllm-bench "
            "report it: the decode step, plus with --concurrency/--rate the other requests' prefills run between its "
            "decode steps; " + (
                "TPOT P50 (--token-buckets) = the median decode step, each step at its token bucket's length; "
                if p50 else "") +
            "decode tok/s = batch / decode step per replica (a --requests run's: its output tokens over its waves' "
            "decode time); e2e tok/s/dev = output tokens per second per device over the whole request (prefill and "
            "any request overhead included); J/out tok includes the host share (a device's catalog host_w, 0 W for an "
            "edge module such as a Jetson, a CPU, which is the host, or a PCIe card such as an L4, whose server's "
            "power is not cited: said in a 'not counted:' note; else the facility default) and PUE "
            "(accelopt.predict.cost.Facility). All figures are estimates.")


def serve_lines(result: Any) -> list[str]:
    """What `plan serve` prints beside its tables that the page's tables do not show: input warnings, ignored config
    keys, defaults used, the measured link (the weight-only note of each sweep is in result.notes)."""
    model = result.results[0].model if result.results else "the model"
    unused = unused_keys_line(model, result.unused_config_keys)
    assumed = assumed_lines({s.points[0].device: list(s.points[0].assumed) for s in result.results})
    return [*result.input_warnings, *([unused] if unused else []), *assumed,
            *measured_lines(result.measured_link)]


def _table_file(cal: Any) -> str:
    """' of FILE' for a table read from a user's --calibration file ('' for the bundled one)."""
    default = type(cal)().table_file
    return "" if cal.table_file == default else f" of {cal.table_file}"


def _fitted_on(cal: Any) -> str:
    """' fitted on N published runs of SOURCES (engine E)': a table's values describe the engine and version of its
    fit rows (another engine on the same device may be faster or slower); ids not in the bundled runs file (a
    user's table) are only counted."""
    from accelopt.predict.serving_validation import read_serving_runs

    by_id = {r["id"]: r for r in read_serving_runs()[0]}
    rows = [by_id[i] for i in cal.fitted_on if i in by_id]
    if not rows:
        return f", fitted on {len(cal.fitted_on)} runs"
    sources = ", ".join(sorted({r["source"] for r in rows}))
    engines = ", ".join(sorted({r["engine"] for r in rows}))
    return f", fitted on {len(cal.fitted_on)} published runs of {sources} (engine {engines})"


def _memory_rule(cal: Any) -> str:
    if cal.memory_basis == "free":
        return f"KV cache gets {cal.memory_utilization:.0%} of the memory free after weights and workspace"
    return f"{cal.memory_utilization:.0%} of total memory usable"
