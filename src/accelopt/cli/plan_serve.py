"""`accelopt plan serve`: predicted LLM serving (TTFT, TPOT, throughput, memory, cost, energy) per device.

`cli/plan.py` calls `register_serve(plan_app)` to add the subcommand to its `plan` group.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from accelopt.cli.html_first import HTML_RULE
from accelopt.errors import AcceloptError

if TYPE_CHECKING:
    from accelopt.predict.serving import BatchSweep, ServeError

SERVE_HELP = """Predict LLM serving on one or more accelerators: time to first token (prefill), time per
output token (decode), tokens/s, the largest batch the KV cache allows, memory per device, $ per
million output tokens and J per output token. Every figure is an estimate from a roofline model
(prefill compute-bound, decode bandwidth-bound; Pope et al. 2022) with the efficiencies of
accelopt.predict.serving.ServingCalibration. Without --batch it sweeps powers of two up to the
largest batch that fits and reports the batch where decode turns compute-bound."""


# no square brackets: the help is rendered as rich markup, which would swallow them
SERVE_CALIBRATION_HELP = ("Calibration TOML in the bundled format (predict/data/calibration.toml): each serving.NAME "
                          "table in it replaces the bundled table of that name whole (give its match globs and every "
                          "value that differs from serving.default); the file's tables are tried before the bundled "
                          "ones. Its family.NAME tables (training) are not read here.")


def register_serve(plan_app: typer.Typer) -> None:
    """Add `serve` to the `plan` command group."""
    from accelopt.cli.catalog import CATALOG_HELP
    from accelopt.cli.plan import COLLECTIVES_HELP, RANGE_SYNTAX

    @plan_app.command("serve", help=SERVE_HELP)
    def serve(
        model: str = typer.Option(..., "--model", "-m", help="Model preset (e.g. llama3-70b) or a config.json path."),
        hardware: str = typer.Option("h100-sxm", "--hardware", help="Device name(s) or spec TOML paths "
                                     "(`probe --save`, `simulate export`, your own), comma-separated; 'all' = every "
                                     "catalog device (those the model does not fit are listed with why)."),
        tp: int = typer.Option(1, "--tp", help="Tensor-parallel degree (must divide the attention heads, divide or "
                               "be a multiple of the KV heads, and divide each MLP width it splits: the dense MLP, "
                               "and the routed experts' under plain tensor parallelism; with --ep / --attention-dp "
                               "a routed expert's width must divide by --tp x --attention-dp / --ep)."),
        pp: int = typer.Option(1, "--pp", help="Pipeline-parallel stages (layers, weights and KV cache split over "
                               "them, the embedding on the first, the LM head on the last; the busiest stage bounds "
                               "the step; --pp-microbatches says how many micro-batches keep them busy). Checked "
                               "by `validate --serving`'s --pp 2-8 rows (TensorRT-LLM v1.0, RTX PRO 6000, max "
                               "load): with --engine trtllm (its blocking PP loop's host time charged, fitted on 3 "
                               "of them) every one within 17%; without that charge within 25% at prompts of 5,000 "
                               "tokens or more, published throughput below the prediction at --pp 4-8 with prompts "
                               "of 1,000 or fewer (the note beside a --pp > 1 result gives the figures)."),
        pp_microbatches: Optional[int] = typer.Option(
            None, "--pp-microbatches", help="Micro-batches the engine keeps in flight over the --pp stages: the batch "
            "splits into them and each stage works on one while the others fill the other stages (TPOT: one "
            "micro-batch's pass through every stage and the hops; throughput: the batch per such pass, or the "
            "busiest stage's time for all of them if longer). Default: --pp, one per stage, as vLLM "
            "(max_concurrent_batches = pipeline_parallel_size) and TensorRT-LLM (max_batch_size x pp requests) run "
            "it, printed as 'default used:'; 1: one batch walks the stages in turn."),
        batch: str = typer.Option("", "--batch", help="Static batch sizes (requests that start together): a list "
                                  f"such as 1,8,64, or {RANGE_SYNTAX}, or max: as many as the engine holds, "
                                  "in waves (fixed-length requests in a closed loop, e.g. trtllm-bench with fixed "
                                  "ISL/OSL: the others' prefills fall in TTFT); default: powers of two up to the "
                                  "largest that fits."),
        requests: Optional[int] = typer.Option(
            None, "--requests", help="With --batch max: the run's total requests (a benchmark's dataset, e.g. "
            "trtllm-bench's --num-requests), served in waves of the requests the engine holds, the last wave holding "
            "what is left: throughput, cost and energy per token are the whole run's (no more requests than the "
            "engine holds: one wave of them all, every figure its own). Left out: steady waves (an endless run)."),
        concurrency: str = typer.Option("", "--concurrency", help="Requests in flight under continuous batching "
                                        "(same syntax as --batch, exclusive with it): TTFT is one request's prefill "
                                        "+ half a decode step; throughput as a static batch of that size; the other "
                                        "requests' prefills stall its decode (in TPOT and E2E). max: as "
                                        "many as the engine holds (the largest batch whose KV cache fits, capped by "
                                        "--max-batch-size per attention-DP rank), arriving staggered (a fixed-length "
                                        "max-throughput benchmark, whose requests move in waves, is --batch max)."),
        rate: str = typer.Option("", "--rate", help="Poisson request rates per second, e.g. 0.5,2,8 (continuous "
                                 "batching; exclusive with --batch/--concurrency): concurrency from Little's law, "
                                 "M/D/1 queue wait in TTFT; a rate beyond saturation exits 2."),
        prompt: int = typer.Option(2048, "--prompt", help="Prompt (input) tokens per request; a prompt + output "
                                   "beyond the model's positions (rope scaling included) is noted."),
        output: int = typer.Option(256, "--output", help="Output tokens per request."),
        weight_dtype: str = typer.Option("bf16", "--weight-dtype", help="bf16, fp16, fp8 (W8A8 at the fp8 peak), "
                                         "int8 or int4 (weight-only: dequantized to 16 bits, matmuls at the 16-bit "
                                         "peak, as gpt-fast's int8 and TensorRT-LLM's --weight_only_precision), w8a8 "
                                         "(int8 weights and activations at the int8 peak: SmoothQuant, TensorRT-LLM "
                                         "--smoothquant, vLLM INT8 W8A8), nvfp4 or mxfp4 (4-bit block-scaled: fp4 "
                                         "matmuls where the device has an fp4 peak: Blackwell, and mxfp4 on an MI355X; "
                                         "on other GPUs, and nvfp4 on AMD ones, weight-only 4-bit at the 16-bit peak, "
                                         "printed; refused on a device that is not a GPU, and on NVIDIA GPUs older "
                                         "than Turing, mxfp4 older than Ampere, as vLLM's minimum capabilities). "
                                         "Any case, and torch's and the engines' spellings (bfloat16, fp8_e4m3, "
                                         "e4m3, float8_e4m3fn) are read too, said on stderr."),
        expert_weight_dtype: Optional[str] = typer.Option(
            None, "--expert-weight-dtype", help="The routed experts' weights of a mixture-of-experts model, when the "
            "checkpoint stores them apart from the other linear layers (same choices as --weight-dtype): gpt-oss is "
            "--weight-dtype bf16 --expert-weight-dtype mxfp4 (its quantization_config.modules_to_not_convert keeps "
            "attention and the router in bf16). Default: --weight-dtype. Embeddings and the LM head stay 16-bit."),
        kv_dtype: str = typer.Option("bf16", "--kv-dtype", help="KV-cache dtype: bf16, fp16, fp8, int8 or nvfp4 (fp8 "
                                     "on a device without an fp8 peak: 8-bit storage, converted in the attention "
                                     "kernel, said in a note; refused there on an NVIDIA GPU with --engine trtllm or "
                                     "trtllm-session, which have no FP8 on Ampere; int8 with --engine vllm or sglang: "
                                     "a note says what the engine needs for it, and sglang refuses it for an MLA "
                                     "model; nvfp4: 4-bit values + one FP8 scale per 16 = 0.5625 B a value, on NVIDIA "
                                     "Blackwell GPUs (b200, gb200, b300, gb300, rtx-pro-6000-server) with --engine "
                                     "trtllm, vllm or sglang, and on Hopper, Ada and Ampere (compute capability 8.x, "
                                     "9.x: h100, h200, l40s, a100) with --engine sglang; trtllm and vllm on compute "
                                     "capability 10.x only, not rtx-pro-6000-server; vllm refuses it for an MLA model "
                                     "and for a head size not a multiple of 16 or above 256; with --engine trtllm an "
                                     "MLA model's cache counts TensorRT-LLM's FP4 MLA side pools, more than 0.5625 B a "
                                     "value). The engines' --kv-cache-dtype spellings are read too, said on stderr: "
                                     "fp8_e4m3, fp8_e5m2 and fp8_inc as fp8 (fp8_e5m2 with --engine vllm on an AMD "
                                     "GPU: a warning, vLLM documenting only fp8_e4m3 on ROCm), int8_per_token_head as "
                                     "int8, nvfp4_4over6 "
                                     "and fp4_e2m1 as nvfp4; 'auto' and vLLM's layouts not modelled (fp8_ds_mla, ...) "
                                     "exit 2 saying so."),
        price_usd_per_hour: Optional[float] = typer.Option(None, "--price-usd-per-hour",
                                                 help="Price per device-hour (overrides the catalog price)."),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP),
        engine: Optional[str] = typer.Option(
            None, "--engine", help="Serving engine whose memory rule applies: trtllm, trtllm-session, vllm, "
            "gpt-fast, optimum-habana, sgl-jax, sglang or neuron (the rules `validate --serving` uses; README); "
            "--memory-fraction and --memory-basis override it, and its tensor-parallel all-reduce "
            "(--tp-allreduce). trtllm and trtllm-session run on NVIDIA GPUs only, optimum-habana on Intel Gaudi, "
            "sgl-jax on Google TPUs, neuron on AWS Inferentia/Trainium, gpt-fast on NVIDIA, AMD and Apple GPUs and any "
            "CPU, sglang on NVIDIA, AMD and Intel GPUs, Intel CPUs and Ascend NPUs (its TPU engine is sgl-jax): "
            "another device exits 2 (skipped, with the reason, in a multi-device search); vllm runs on any. "
            "Default: vLLM's 0.9 of total memory."),
        tp_allreduce: Optional[str] = typer.Option(
            None, "--tp-allreduce", help="How the engine all-reduces across --tp ranks: nccl (NCCL/RCCL, whose tree "
            "chains the GPUs of one node: gpt-fast) or custom (the engine's own kernel: vLLM, "
            "TensorRT-LLM (whose v0.14/v0.17 rows use it), SGLang; timed as vLLM's kernel measured on H100, "
            "sglang PR #2904, and printed; "
            "NCCL above its 8 MiB limit). Default: the --engine's (trtllm, vllm: custom; gpt-fast and the non-GPU "
            "engines: nccl), "
            "custom without --engine. Same time either way off NVIDIA/AMD GPUs. Typed custom where vLLM would "
            "not run it (--tp across nodes, not 2, 4, 6 or 8, or over 2 PCIe-only GPUs) is an error naming why; the "
            "default then times NCCL with a note."),
        token_buckets: Optional[str] = typer.Option(
            None, "--token-buckets", help="The engine's static token buckets: neuronx (transformers-neuronx's, "
            "doubling from 128 to prompt + output, bucket.py @3e15a8b): each decode step runs, and its attention "
            "reads, the bucket that holds its position, and the output gives TPOT P50 (the median step, as AWS's "
            "Neuron tables publish) beside the mean TPOT; on AWS Inferentia/Trainium devices only, with no --engine or "
            "--engine neuron (else exit 2). Default: none (each step reads its own context)."),
        memory_fraction: Optional[float] = typer.Option(
            None, "--memory-fraction", help="Fraction of memory the engine may use (default: the --engine's, "
            "0.9 without one; sglang's depends on the device's memory and --tp, SGLang's own server_args.py rule, "
            "printed as 'default used:'); of total memory or of the memory free after weights, as --memory-basis "
            "says. A run launched with --mem-fraction-static / --gpu-memory-utilization gives that value here."),
        memory_basis: Optional[str] = typer.Option(
            None, "--memory-basis", help="total (vLLM gpu_memory_utilization, the default) or free (TensorRT-LLM "
            "kv_cache_free_gpu_mem_fraction: the KV cache gets that fraction of the memory left after weights)."),
        max_prefill_tokens: Optional[int] = typer.Option(
            None, "--max-prefill-tokens", help="Tokens per prefill forward (default 8192, TensorRT-LLM's "
            "max_num_tokens). With --engine vllm on a GPU where `vllm serve` chunks at 2048 (an A100, or one under "
            "70 GiB) the 8192 is printed as 'default used:' beside vLLM's."),
        max_batch_size: Optional[int] = typer.Option(
            None, "--max-batch-size", help="The engine's max_batch_size (default 2048, TensorRT-LLM's LLM API): caps "
            "the requests in flight of a --rate, --concurrency max or --batch max run, per attention-DP rank, and "
            "with --pp per micro-batch, x --pp in all whatever --pp-microbatches, for --engine trtllm (and without "
            "--engine, printed where it binds) but in all for --engine vllm; given, a larger --batch or "
            "--concurrency exits 2 (left out, a list you give is not capped); trtllm-bench sets its own (its "
            "calc_engine_setting heuristic, logged at start). With --engine vllm on a GPU the default is vLLM's "
            "max_num_seqs: 1024 on a GPU of 70 GiB or more that is not an A100, else 256 (printed where it binds), "
            "unless a --calibration table sets max_batch_size for the device."),
        lengths: Optional[Path] = typer.Option(
            None, "--lengths", help="A CSV of requests of different lengths, one row each, with a header naming "
            "prompt_tokens and output_tokens (whole numbers >= 1): all are sent at once and served under continuous "
            "batching, simulated step by step with the same step times as the rest (admitted in file order up to "
            "--max-batch-size and the KV cache, each with its prompt + output reserved; each new group prefilled "
            "before the next decode step; a request leaves at its last token). TTFT, TPOT and E2E are the requests' "
            "means, with mean, p50, p90 and p99 in a table under the result (percentiles interpolated between ranks, "
            "numpy's default, as vLLM's benchmark_serving); throughput is the run's; batch and memory are those of "
            "--batch max --requests N at the mean lengths. Alone: not "
            "with --batch, --concurrency, --rate, --requests, --pp > 1, --attention-dp > 1, --token-buckets, "
            "--prompt or --output (the file's mean lengths give the memory columns)."),
        int4_group_size: Optional[int] = typer.Option(
            None, "--int4-group-size", help="Weights per scale of an int4 checkpoint (--weight-dtype int4): AWQ/GPTQ "
            "group_size, default 128 (printed as 'default used:'); a per-channel checkpoint (one scale per output "
            "row, e.g. TensorRT-LLM --weight_only_precision int4 without --per_group): the layer width. It must divide "
            "every int4 layer's input width (per --tp rank for the row-parallel ones), or be one of them (exit 2 "
            "names the model's widths); the default 128 is checked the same way."),
        ep: int = typer.Option(1, "--ep", help="Expert-parallel ranks for a mixture-of-experts model: the routed "
                               "experts are split over them (must divide the experts (+ --redundant-experts) and "
                               "tp x attention-dp; with --engine vllm, 1 or tp x attention-dp: vLLM's expert "
                               "parallelism is all or none); dispatch/combine all-to-all per MoE layer."),
        attention_dp: int = typer.Option(1, "--attention-dp", help="Attention data-parallel replicas (SGLang "
                                         "--enable-dp-attention, vLLM --data-parallel-size): each holds the "
                                         "attention weights (TP over --tp) and the KV cache of its own requests; "
                                         "the replica uses tp x attention-dp x pp devices."),
        redundant_experts: int = typer.Option(0, "--redundant-experts", help="Extra copies of routed experts per "
                                              "MoE layer (EPLB), e.g. 32 so that 256 + 32 experts split over --ep 72."),
        expert_imbalance: Optional[float] = typer.Option(
            None, "--expert-imbalance", help="Tokens on the busiest expert-parallel rank / the mean (>= 1; needs --ep "
            "> 1); default: perfect balance, printed as an assumption."),
        two_batch_overlap: bool = typer.Option(False, "--two-batch-overlap", help="Overlap the MoE dispatch/combine "
                                               "of one micro-batch with the other's compute (SGLang "
                                               "--enable-two-batch-overlap; DeepSeek-V3 sec. 3.4); an MoE model "
                                               "with --ep or --attention-dp > 1."),
        dense_experts: bool = typer.Option(False, "--dense-experts", help="Every routed expert runs on every "
                                           "token, masked by the router (TensorRT-LLM's MoE without its plugin, "
                                           "--moe_plugin disable); an MoE model under plain tensor parallelism; "
                                           "not with --engine vllm or sglang (their MoE runs the top-k only)."),
        calibration: Optional[str] = typer.Option(None, "--calibration", help=SERVE_CALIBRATION_HELP),
        collectives: Optional[Path] = typer.Option(None, "--collectives", help=COLLECTIVES_HELP + "; used by the "
                                                   "tensor-parallel all-reduces, pipeline hops and MoE all-to-alls "
                                                   "inside the scale-up domain"),
        json_out: bool = typer.Option(False, "--json", help="Print JSON only."),
        html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report here"
                                                                 + HTML_RULE),
    ) -> None:
        from accelopt.cli.plan import refuse_python_file
        from accelopt.predict.serving_plan import ServeOptions

        refuse_python_file(model, serve=True)
        opts = ServeOptions(model=model, hardware=hardware, tp=tp, pp=pp, pp_microbatches=pp_microbatches,
                            batch=batch, requests=requests, concurrency=concurrency,
                            rate=rate,
                            prompt=prompt, output=output, weight_dtype=weight_dtype,
                            expert_weight_dtype=expert_weight_dtype, kv_dtype=kv_dtype,
                            price_usd_per_hour=price_usd_per_hour, catalog=catalog, engine=engine,
                            memory_fraction=memory_fraction, tp_allreduce=tp_allreduce,
                            token_buckets=token_buckets,
                            memory_basis=memory_basis, max_prefill_tokens=max_prefill_tokens,
                            max_batch_size=max_batch_size, int4_group_size=int4_group_size, ep=ep,
                            lengths=None if lengths is None else str(lengths),
                            attention_dp=attention_dp, redundant_experts=redundant_experts,
                            expert_imbalance=expert_imbalance, two_batch_overlap=two_batch_overlap,
                            dense_experts=dense_experts, calibration=calibration, collectives=collectives)
        serve_command(opts, json_out, html)


def _unused_keys_before_error(opts: Any) -> list[str]:
    """The unused-keys warning of a run whose prediction raised an input error (serving_plan.serve_unused_keys with
    no device's int4 group known: only --int4-group-size counts); [] where the model itself is the error or none."""
    from accelopt.predict.serving_plan import serve_unused_keys
    from accelopt.report.plan_warnings import unused_keys_line
    from accelopt.workload.presets import get_model

    try:
        cfg = get_model(opts.model)
    except AcceloptError:  # the error being raised is the model's own
        return []
    line = unused_keys_line(cfg.name, serve_unused_keys(cfg, opts, set()))
    return [line] if line else []


def serve_command(opts: Any, json_out: bool, html: Path | None) -> None:
    """Predict (one library call), record, render; a requested batch that does not fit exits 2 after printing."""
    from accelopt.cli.plan import say_warnings, warn_busy_hardware, warn_calibration
    from accelopt.hardware.catalog import resolve_devices
    from accelopt.predict.serving import device_independent_error
    from accelopt.predict.serving_plan import plan_serve
    from accelopt.report.plan_warnings import unused_keys_line
    from accelopt.report.runs import finish_run

    busy = warn_busy_hardware(opts.hardware, opts.catalog)
    busy += warn_calibration(opts.calibration, resolve_devices(opts.hardware, opts.catalog), "serving")
    try:
        run = plan_serve(opts)
    except AcceloptError:  # an input error inside the prediction: the keys ignored are said before it (ut4fix
        say_warnings(_unused_keys_before_error(opts))  # printed them after the prediction only)
        raise
    # the keys this run ignored (serving_plan.serve_unused_keys: a quantization_config read through the flags given
    # is not among them), said as the page says them (report.plan_warnings.serve_lines)
    unused = unused_keys_line(run.result.model, run.result.unused_config_keys)
    say_warnings([unused] if unused else [])
    warnings = [*busy, *warn_training_tables(opts.calibration), *warn_kv_spelling(opts)]
    run = dataclasses.replace(run, result=dataclasses.replace(run.result, input_warnings=warnings))
    if not run.sweeps and run.overflow:  # no device can serve it: the document (errors only) on stdout, exit 2
        finish_run("plan-serve", run.result, html)  # recorded and --html written, as `plan` does on exit 2
        if json_out:
            from accelopt.report.jsonout import emit

            emit(run.result)
        elif len(run.result.errors) > 1 and device_independent_error(run.result.errors) is None:
            _print_errors(run.result.errors)  # each device's reason; the error counts them (one: it is the error)
        raise run.overflow
    finish_run("plan-serve", run.result, html)
    if json_out:
        from accelopt.report.jsonout import emit

        emit(run.result)
    else:
        _print_tables(run.sweeps, _not_raised(run.result.errors, run.overflow), run.max_supported_memory)
        _print_measured(run.result)
    if run.overflow:  # a requested batch that does not fit: exit 2, like `plan explain`
        raise run.overflow


def warn_kv_spelling(opts: Any) -> list[str]:
    """predict.serving.kv_spelling_warning for each device of --hardware, given the engine's spelling --kv-dtype was
    typed as (cli.dtype_aliases.typed_kv_spelling), said (cli.plan.say_warnings); [] where none applies."""
    from accelopt.cli.dtype_aliases import typed_kv_spelling
    from accelopt.cli.plan import say_warnings
    from accelopt.hardware.catalog import resolve_devices
    from accelopt.predict.serving import kv_spelling_warning

    spelling = typed_kv_spelling()
    if spelling is None or opts.engine is None:
        return []
    specs = resolve_devices(opts.hardware, opts.catalog)
    return say_warnings([w for sp in specs if (w := kv_spelling_warning(spelling, opts.engine, sp)) is not None])


def training_tables_lines(path: str | None) -> list[str]:
    """A 'warning: ...' line when a serving calibration file also holds [family.NAME] tables: serving reads only its
    [serving.NAME] tables (collective links take the bundled training family's efficiencies), never dropped unsaid;
    [] otherwise."""
    if path is None:
        return []
    from accelopt.predict.calibration import has_family_tables

    if not has_family_tables(path):
        return []
    return [f"warning: {path}: its [family.*] tables (training calibration) are not used by serving predictions; "
            "only its [serving.*] tables are"]


def serving_row_calibration_lines(calibration: str | None, rows: list[dict[str, str]],
                                  named: list[dict[str, str]]) -> list[str]:
    """The serving report's warnings on its --calibration file, for `validate --serving --row` of the `named` rows
    of the file's `rows`: a [serving.NAME] table fitting none of their devices, a fitted_on / derived_on id naming
    no run of the file nor of the bundled one, [family.NAME] tables serving does not read. --row said none (ut4left)."""
    from accelopt.cli.plan import row_specs
    from accelopt.predict.calibration import unmatched_table_lines
    from accelopt.predict.serving_validation import unknown_id_lines

    return [*unmatched_table_lines(calibration, row_specs(named), "serving"), *unknown_id_lines(rows, calibration),
            *training_tables_lines(calibration)]


def warn_training_tables(path: str | None) -> list[str]:
    """training_tables_lines, said (cli.plan.say_warnings)."""
    from accelopt.cli.plan import say_warnings

    return say_warnings(training_tables_lines(path))


def _print_tables(sweeps: list[BatchSweep], errors: list[ServeError], max_supported: dict[str, float]) -> None:
    from rich.table import Table

    from accelopt.report.console import make_console, plain
    from accelopt.report.plan_warnings import (
        pp_microbatches_text,
        serve_caption,
        serve_point_heads,
        serve_rate_caption,
        serve_rate_columns,
    )
    from accelopt.units import fmt_bytes, fmt_count, fmt_joules, fmt_seconds, fmt_usd

    console = make_console()
    for s in sweeps:
        p0 = s.points[0]
        layout = f"tp={p0.tp}, pp={p0.pp}" + pp_microbatches_text(s.points)
        layout += (f", attention-dp={p0.moe.attention_dp}, ep={p0.moe.ep}" if p0.moe else "")
        experts = f", experts {p0.expert_weight_dtype}" if p0.expert_weight_dtype else ""
        title = (f"{p0.model} on {p0.n_devices} x {p0.device} ({layout}), prompt {p0.prompt_len}, "
                 f"output {p0.output_len}, weights {p0.weight_dtype}{experts}, KV {p0.kv_dtype} — estimates")
        # plain text: the model path, table name and file name come from the user
        caption = serve_caption(s.max_batch, s.ridge_batch, p0.calibration, p0.device,
                                max_supported.get(p0.device)) + serve_rate_caption(s.points)
        table = Table(title=plain(title), caption=plain(caption))
        rate_heads, rate_cells = serve_rate_columns(s.points)
        heads = [*rate_heads, *serve_point_heads(s.points)]  # the page's too
        p50 = "TPOT P50" in heads  # --token-buckets: the median step beside the mean
        for col in heads:
            table.add_column(col, justify="right")
        for p, rate in zip(s.points, rate_cells, strict=True):
            usd = fmt_usd(p.usd_per_million_output_tokens) if p.usd_per_million_output_tokens is not None else "n/a"
            j = fmt_joules(p.energy_j_per_output_token) if p.energy_j_per_output_token is not None else "n/a"
            median = (fmt_seconds(p.tpot_p50_s) if p.tpot_p50_s is not None else "n/a",) if p50 else ()
            table.add_row(*rate, fmt_count(p.batch), fmt_seconds(p.ttft_s), fmt_seconds(p.tpot_s), *median,
                          fmt_count(p.decode_tokens_per_s), fmt_count(p.output_tokens_per_s_per_device),
                          p.decode_step.bound, fmt_bytes(p.memory_bytes_per_device, binary=True),
                          "yes" if p.fits else "NO", usd, j)
        console.print(table)
        if p0.moe and p0.moe.dense:  # attention-DP replicas of a dense model: no expert figures to show
            for a in p0.moe.assumptions:
                console.print(f"note: {a}", markup=False)
        elif p0.moe:
            _print_moe(console, s)
        if p0.lengths_run is not None:
            _print_lengths(console, p0)
    from accelopt.cli.plan import print_assumed

    print_assumed(console, {s.points[0].device: list(s.points[0].assumed) for s in sweeps})
    _print_errors(errors)
    from accelopt.report.plan_warnings import serve_legend

    console.print(serve_legend(any(p.tpot_p50_s is not None for s in sweeps for p in s.points)))


def _not_raised(errors: list[ServeError], raised: Any) -> list[ServeError]:
    """The errors the exit-2 message does not already say: that message names its devices as 'N x DEVICE' (a
    saturated --rate, a batch that does not fit), so those are not printed twice on the console."""
    said = raised.problem if raised is not None else ""
    return [e for e in errors if f" x {e.device} " not in said]


def _print_errors(errors: list[ServeError]) -> None:
    from accelopt.report.console import line, make_console

    console = make_console()
    groups: dict[tuple[str, str], list[str]] = {}  # one line for the devices that gave the same words (utsmall)
    for e in errors:
        groups.setdefault((e.problem, e.fix), []).append(e.device)
    for (problem, fix), devices in groups.items():
        console.print(line((f"{', '.join(devices)}: infeasible", "red"), f" — {problem}; fix: {fix}"))


def _print_measured(result: Any) -> None:
    """The measured link (--collectives) and what a group reaches of it, as `plan` prints them."""
    from accelopt.cli.plan import console, print_measured
    from accelopt.report.console import plain

    con = console()
    print_measured(con, result.measured_link)
    for note in result.notes:
        con.print(plain(note, "yellow"))


def _print_lengths(console: Any, point: Any) -> None:
    """--lengths: the requests' TTFT, TPOT and E2E distributions (the page's table, report.plan_warnings)."""
    from rich.table import Table

    from accelopt.report.console import plain
    from accelopt.report.plan_warnings import SERVE_LENGTHS_COLUMNS, serve_lengths_rows, serve_lengths_title

    t = Table(title=plain(serve_lengths_title(point)))  # the file name comes from the user
    for col in SERVE_LENGTHS_COLUMNS:
        t.add_column(col, justify="right")
    for row in serve_lengths_rows(point):
        t.add_row(*row)
    console.print(t)


def _print_moe(console: Any, s: BatchSweep) -> None:
    """The expert / attention-data-parallel figures of each point (estimates) and the assumptions they rest on."""
    from rich.table import Table

    from accelopt.report.plan_warnings import SERVE_MOE_COLUMNS, serve_moe_cells

    p0 = s.points[0]
    assert p0.moe is not None
    m0 = p0.moe
    t = Table(title=f"expert parallelism: ep={m0.ep} (expert TP {m0.expert_tp}, {m0.experts_per_device:g} experts per "
              f"device, {m0.redundant_experts} redundant), attention DP {m0.attention_dp}, two-batch overlap "
              f"{'on' if m0.two_batch_overlap else 'off'} — estimates",
              caption=f"experts read: {m0.routing}; load imbalance {m0.expert_load_imbalance:g}")
    for col in SERVE_MOE_COLUMNS:
        t.add_column(col, justify="right")
    for p in s.points:
        assert p.moe is not None
        t.add_row(*serve_moe_cells(p))  # the page's cells (report.plan_warnings)
    console.print(t)
    for a in m0.assumptions:
        console.print(f"assumed: {a}", markup=False)


def validate_serving_cmd(runs: str | None, as_json: bool, html: str | None, calibration: str | None = None) -> None:
    """`accelopt validate --serving`: published serving figures vs `plan serve`'s model, held-out error."""
    from rich.table import Table

    from accelopt.cli.plan import console
    from accelopt.predict.serving_validation import serving_memory_line, validate_serving
    from accelopt.report.runs import finish_run
    from accelopt.units import fmt_count, fmt_pct

    data = validate_serving(runs, calibration)
    from accelopt.cli.plan import busy_row_lines, row_specs, say_warnings
    from accelopt.predict.calibration import unmatched_table_lines
    from accelopt.predict.runs_csv import input_files
    from accelopt.predict.serving_validation import read_serving_runs

    rows = read_serving_runs(runs)[0]
    busy = busy_row_lines(rows)  # plan serve's --hardware warning, per hardware cell
    busy += unmatched_table_lines(calibration, row_specs(rows), "serving")  # said below with the others
    data = dataclasses.replace(data, input_warnings=[*busy, *data.input_warnings])
    say_warnings(data.input_warnings)  # the result already carries them for the page
    data = dataclasses.replace(data, input_warnings=[*data.input_warnings, *warn_training_tables(calibration)],
                               input_files=input_files(runs, "published_serving_runs.csv", calibration))
    finish_run("validate-serving", data, html)
    if as_json:
        from accelopt.report.jsonout import emit

        emit(data)
        return
    tb = Table(title="published vs predicted LLM serving (prediction = estimate)")
    for col in ("run", "source", "hardware", "model", "tp", "precision", "batch", "metric", "published", "predicted",
                "error", "role", "note"):
        tb.add_column(col)
    for r in data.runs:
        err = "n/a" if r.error is None else f"{100 * r.error:+.1f}%"
        pred = fmt_count(r.predicted)  # '.4g' printed 2.518e+04 beside a published 19694
        tb.add_row(r.id, r.source, r.hardware, r.model, str(r.tp), r.precision, str(r.batch), r.metric,
                   fmt_count(r.published), pred, err, r.role, r.note)
    con = console()
    con.print(tb)
    n_test = sum(r.role == "test" for r in data.runs)
    worst = f"; worst {fmt_pct(data.worst_abs_error_held_out)} ({data.worst_held_out_id})" if n_test else ""
    held_text = f"{n_test} row{'' if n_test == 1 else 's'}"  # '(1 rows)' before (ut5val)
    con.print(f"held-out median |error|: {fmt_pct(data.median_abs_error_held_out)} ({held_text}){worst}; "
              f"fit rows: {fmt_pct(data.median_abs_error_fit)}")  # n/a, not nan%, when a table has none
    gt = Table(title="held-out |error| by source, device family and precision")
    for col in ("by", "name", "rows", "median", "worst", "worst row"):
        gt.add_column(col)
    for g in data.groups:
        gt.add_row(g.group, g.name, str(g.rows), f"{100 * g.median_abs_error:.1f}%",
                   f"{100 * g.worst_abs_error:.1f}%", g.worst_id)
    con.print(gt)
    if over := serving_memory_line(data.runs):
        con.print(over, markup=False)
    for key, cite in data.sources.items():
        con.print(f"{key} = {cite}", markup=False)
    from accelopt.cli.validate import serving_row_hint

    con.print(serving_row_hint(runs, calibration), markup=False, soft_wrap=True)  # one line, copied as it stands
