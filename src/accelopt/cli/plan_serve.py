"""`accelopt plan serve`: predicted LLM serving (TTFT, TPOT, throughput, memory, cost, energy) per device.

`cli/plan.py` calls `register_serve(plan_app)` to add the subcommand to its `plan` group.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

if TYPE_CHECKING:
    from accelopt.predict.serving import BatchSweep

SERVE_HELP = """Predict LLM serving on one or more accelerators: time to first token (prefill), time per
output token (decode), tokens/s, the largest batch the KV cache allows, memory per device, $ per
million output tokens and J per output token. Every figure is an estimate from a roofline model
(prefill compute-bound, decode bandwidth-bound; Pope et al. 2022) with the efficiencies of
accelopt.predict.serving.ServingCalibration. Without --batch it sweeps powers of two up to the
largest batch that fits and reports the batch where decode turns compute-bound."""


def register_serve(plan_app: typer.Typer) -> None:
    """Add `serve` to the `plan` command group."""

    @plan_app.command("serve", help=SERVE_HELP)
    def serve(
        model: str = typer.Option(..., "--model", "-m", help="Model preset (e.g. llama3-70b) or a config.json path."),
        hardware: str = typer.Option("h100-sxm", "--hardware", help="Device name(s), comma-separated."),
        tp: int = typer.Option(1, "--tp", help="Tensor-parallel degree (must divide the attention heads)."),
        pp: int = typer.Option(1, "--pp", help="Pipeline-parallel stages."),
        batch: str = typer.Option("", "--batch", help="Batch sizes: 1,8,64 or 1..256 (powers of two); "
                                  "default: powers of two up to the largest batch that fits."),
        prompt: int = typer.Option(2048, "--prompt", help="Prompt (input) tokens per request."),
        output: int = typer.Option(256, "--output", help="Output tokens per request."),
        weight_dtype: str = typer.Option("bf16", "--weight-dtype", help="bf16, fp16, fp8, int8 or int4."),
        kv_dtype: str = typer.Option("bf16", "--kv-dtype", help="KV-cache dtype: bf16, fp16, fp8 or int8."),
        price_usd_per_hour: Optional[float] = typer.Option(None, "--price-usd-per-hour",
                                                 help="Price per device-hour (overrides the catalog price)."),
        catalog: list[Path] = typer.Option([], "--catalog", help="Extra catalog TOML file(s)."),
        memory_utilization: Optional[float] = typer.Option(
            None, "--memory-utilization", help="Fraction of device memory the engine may use (default 0.9, "
            "vLLM's gpu_memory_utilization)."),
        max_prefill_tokens: Optional[int] = typer.Option(
            None, "--max-prefill-tokens", help="Tokens per prefill forward (default 8192, TensorRT-LLM's "
            "max_num_tokens)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON only."),
        html: Optional[Path] = typer.Option(None, "--html", help="Also write a self-contained HTML report here."),
    ) -> None:
        sweeps, errors = run_serve(model=model, hardware=hardware, tp=tp, pp=pp, batch=batch, prompt=prompt,
                                   output=output, weight_dtype=weight_dtype, kv_dtype=kv_dtype,
                                   price_usd_per_hour=price_usd_per_hour, catalog=catalog,
                                   memory_utilization=memory_utilization, max_prefill_tokens=max_prefill_tokens)
        from accelopt.predict.serving import ServeError, ServeResult, ServeSweep
        from accelopt.report.runs import finish_run
        from accelopt.workload.presets import get_model

        data = ServeResult(results=[ServeSweep.of(s) for s in sweeps],
                           errors=[ServeError(device=d, problem=e.problem, fix=e.fix) for d, e in errors],
                           unused_config_keys=list(get_model(model).unused_keys))
        finish_run("plan-serve", data, html)
        from accelopt.predict.serving import overflow_error

        overflow = overflow_error(sweeps)  # a requested batch that does not fit: exit 2, like `plan explain`
        if json_out:
            from accelopt.report.jsonout import emit

            emit(data)
        else:
            _print_tables(sweeps, errors, model)
        if overflow:
            raise overflow


def run_serve(*, model: str, hardware: str, tp: int, pp: int, batch: str, prompt: int, output: int,
              weight_dtype: str, kv_dtype: str, price_usd_per_hour: float | None,
              catalog: list[Path], memory_utilization: float | None = None,
              max_prefill_tokens: int | None = None) -> tuple[list[BatchSweep], list[tuple[str, Any]]]:
    """Sweeps for every device; per-device infeasibility is collected (raised if every device fails)."""
    from accelopt.cli.plan import warn_unused_keys
    from accelopt.errors import AcceloptError, InfeasibleError, InputError
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.serving import engine_calibration, sweep_batch, with_price
    from accelopt.units import parse_int_range
    from accelopt.workload.presets import get_model

    cfg = get_model(model)
    warn_unused_keys(cfg)
    batches = parse_int_range(batch, "--batch") if batch.strip() else None
    names = [h.strip() for h in hardware.split(",") if h.strip()]
    if not names:
        raise InputError(f"--hardware {hardware!r} names no device", "write e.g. --hardware h100-sxm,mi300x")
    specs = [get_device(n, catalog) for n in names]  # unknown names fail before any work
    sweeps: list[BatchSweep] = []
    errors: list[tuple[str, AcceloptError]] = []
    for spec in specs:
        if price_usd_per_hour is not None:
            spec = with_price(spec, price_usd_per_hour)
        try:
            cal = engine_calibration(spec, memory_utilization=memory_utilization,
                                     max_prefill_chunk_tokens=max_prefill_tokens)
            sweeps.append(sweep_batch(cfg, spec, tp=tp, pp=pp, batches=batches, prompt_len=prompt, output_len=output,
                                      weight_dtype=weight_dtype, kv_dtype=kv_dtype, calibration=cal))
        except InfeasibleError as e:
            errors.append((spec.name, e))
    if not sweeps:
        raise errors[0][1]
    return sweeps, errors


def _print_tables(sweeps: list[BatchSweep], errors: list[tuple[str, Any]], model: str) -> None:
    from rich.table import Table

    from accelopt.cli.plan import fmt_num
    from accelopt.report.console import line, make_console
    from accelopt.units import fmt_bytes, fmt_joules, fmt_seconds, fmt_usd

    console = make_console()
    for s in sweeps:
        p0 = s.points[0]
        ridge = str(s.ridge_batch) if s.ridge_batch is not None else "never (KV-cache reads grow as fast as FLOPs)"
        title = (f"{model} on {p0.n_devices} x {p0.device} (tp={p0.tp}, pp={p0.pp}), prompt {p0.prompt_len}, "
                 f"output {p0.output_len}, weights {p0.weight_dtype}, KV {p0.kv_dtype} — estimates")
        table = Table(title=title, caption=f"max batch that fits: {s.max_batch}; decode turns compute-bound at "
                      f"batch: {ridge}; memory usable = {p0.calibration.memory_utilization:.0%} of "
                      f"{fmt_bytes(p0.usable_memory_bytes_per_device / p0.calibration.memory_utilization)}")
        for col in ("batch", "TTFT", "TPOT", "decode tok/s", "e2e tok/s/dev", "decode bound", "mem/dev", "fits",
                    "$/M out tok", "J/out tok"):
            table.add_column(col, justify="right")
        for p in s.points:
            usd = fmt_usd(p.usd_per_million_output_tokens) if p.usd_per_million_output_tokens is not None else "n/a"
            j = fmt_joules(p.energy_j_per_output_token) if p.energy_j_per_output_token is not None else "n/a"
            table.add_row(str(p.batch), fmt_seconds(p.ttft_s), fmt_seconds(p.tpot_s), fmt_num(p.decode_tokens_per_s),
                          fmt_num(p.output_tokens_per_s_per_device), p.decode_step.bound,
                          fmt_bytes(p.memory_bytes_per_device), "yes" if p.fits else "NO", usd, j)
        console.print(table)
    from accelopt.cli.plan import print_assumed

    print_assumed(console, {s.points[0].device: list(s.points[0].assumed) for s in sweeps})
    for device, e in errors:
        console.print(line((f"{device}: infeasible", "red"), f" — {e.problem}; fix: {e.fix}"))
    console.print("TTFT = prefill of the whole batch (static batching); decode tok/s = batch / TPOT per replica; "
                  "e2e tok/s/dev = output tokens per second per device over the whole request (prefill included); "
                  "J/out tok includes the host share and PUE (accelopt.predict.cost.Facility). "
                  "All figures are estimates.")
