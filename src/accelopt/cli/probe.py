"""`accelopt probe`: measure what one local device delivers and save it as a measured spec."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accelopt.cli.catalog import CATALOG_HELP
from accelopt.cli.html_first import HTML_RULE
from accelopt.interrupts import stopped_by

if TYPE_CHECKING:
    from accelopt.measure.probe import ProbeResult

HELP = """Measure one local device: matmul FLOP/s per dtype (best over a shape sweep), STREAM copy and
triad bandwidth, and on GPUs host<->device (pinned and pageable) and device-to-device copies;
then a ladder of square matmuls (16^3 to 512^3) and the op-size curve fitted on it, which `plan infer`
uses for the saved spec (a warning when the fit is poor: mean |log error| over log 2). Each figure
is a median with its p10-p90 range; where the device maps to a catalog entry (or --compare names
one) it is shown as a share of that entry's peak. The result is saved as a measured spec TOML:
give its path wherever a device is asked for, or --catalog PATH and its name."""


COLLECTIVES_RANKS = 2
"""Ranks `probe --collectives` runs on when --nproc is left out (the fewest a collective needs)."""


@dataclass(frozen=True)
class ProbeOptions:
    """`accelopt probe`, as typed."""

    device: str | None = None
    """cpu or cuda:N; None: cuda:0 if present, else cpu."""
    quick: bool = False
    dtypes: str | None = None
    """Comma list as typed; None: every dtype the device has."""
    compare: str | None = None
    catalog: tuple[Path, ...] = ()
    """--catalog: the user's catalog TOML files whose devices --compare may name."""
    save: Path | None = None
    no_save: bool = False
    as_json: bool = False
    html: Path | None = None
    collectives: bool = False
    nproc: int | None = None
    """Ranks for --collectives; None: not given (2 with --collectives)."""
    sizes: str | None = None
    """--sizes as typed: the collectives' message sizes; None: the sweep (QUICK_SIZES_BYTES with --quick)."""
    timeout_s: float | None = None
    """--timeout-s: the longest the collectives may go without a figure finishing; None: not given (the library's
    default, COLLECTIVES_TIMEOUT_S)."""

    @property
    def sizes_bytes(self) -> list[int] | None:
        """The message sizes of --sizes, in bytes (None: the default sweep)."""
        from accelopt.distributed.collectives import parse_sizes

        return None if self.sizes is None else parse_sizes(self.sizes)

    @property
    def ranks(self) -> int:
        """Ranks the collectives run on: --nproc, or COLLECTIVES_RANKS when it was left out."""
        return COLLECTIVES_RANKS if self.nproc is None else self.nproc


def _check_options(opts: ProbeOptions) -> None:
    """Every option that can be wrong, checked before minutes of measuring, not after."""
    from accelopt.errors import InputError

    if opts.device is not None and not opts.device.strip():
        raise InputError("--device is empty", "write cpu or cuda:N, or leave --device out for the default")
    if opts.catalog and opts.compare is None:
        raise InputError(f"--catalog {', '.join(str(p) for p in opts.catalog)} without --compare: only --compare "
                         "reads it (the device's own entry comes from the built-in catalog)",
                         "add --compare NAME (a device of that file), or leave --catalog out")
    if opts.save is not None and opts.no_save:
        raise InputError("--save and --no-save contradict each other", "give one of them")
    if opts.save is not None:
        from accelopt.userio import check_distinct_outputs

        check_distinct_outputs([("--save", opts.save), ("--html", opts.html)])  # the page would replace the spec
        check_save_path(opts.save)
    elif not opts.no_save:
        check_default_save_folder()
    if opts.html is not None:
        from accelopt.userio import check_writable

        check_writable(opts.html, "--html", "report.html")
    # a value that is wrong in itself first: the fix of "applies to --collectives only" below repeats the value
    # (`probe --nproc -1` was told to "add --collectives to benchmark collectives across -1 ranks")
    _ = opts.sizes_bytes  # a size that cannot be read is refused before the device is measured
    if opts.timeout_s is not None:  # nan, 0, negative or inf refused before the device is measured
        _check_timeout(opts.timeout_s)
    if opts.nproc is not None and opts.nproc < 2:
        raise InputError(f"--nproc {opts.nproc}: collectives need 2 or more ranks", "pass --nproc 2 or more")
    if opts.nproc is not None and not opts.collectives:  # any value, the default 2 included, would be ignored
        raise InputError(f"--nproc {opts.nproc} applies to --collectives only (nothing else runs on several ranks)",
                         f"add --collectives to benchmark collectives across {opts.nproc} ranks, or leave out --nproc")
    if opts.sizes is not None and not opts.collectives:  # the sizes of a benchmark that would not run
        raise InputError(f"--sizes {opts.sizes} applies to --collectives only",
                         "add --collectives to time the collectives at those sizes, or leave out --sizes")
    if opts.timeout_s is not None and not opts.collectives:  # only the collectives run under a watchdog
        raise InputError(f"--timeout-s {opts.timeout_s:g} applies to --collectives only",
                         "add --collectives to benchmark collectives with that limit, or leave out --timeout-s")
    if opts.ranks < 2 and opts.collectives:
        raise InputError(f"--nproc {opts.ranks}: collectives need 2 or more ranks", "pass --nproc 2 or more")
    if opts.collectives:  # before the device is measured: a refused --nproc would lose that minute
        from accelopt.distributed.launch import check_local_ranks

        check_local_ranks(opts.ranks, opts.device or _default_device(), least=2)
        if opts.sizes_bytes is not None:  # a message the machine cannot hold, refused before the device's minute
            from accelopt.distributed.collectives import check_link_sizes, check_sizes_fit

            check_sizes_fit(opts.sizes_bytes, opts.ranks, opts.device or _default_device())
            check_link_sizes(opts.sizes_bytes, opts.ranks)


def _check_timeout(timeout_s: float) -> None:
    """launch.check_timeout_s in probe's own words: the limit is how long the collectives may go without a figure
    finishing (default COLLECTIVES_TIMEOUT_S), not profile's 'longest a step may take'."""
    from accelopt.distributed.collectives import COLLECTIVES_TIMEOUT_S
    from accelopt.distributed.launch import check_timeout_s

    check_timeout_s(timeout_s, "a hung benchmark",
                    f"give the longest the collectives may go without a figure finishing, in s (the default is "
                    f"{COLLECTIVES_TIMEOUT_S:g}; e.g. --timeout-s 900 for large --sizes on a slow link)")


def run_probe_command(opts: ProbeOptions) -> None:
    """Measure, optionally benchmark collectives, save the measured spec, record, print; Ctrl-C keeps what was
    measured (exit 130 after printing and recording it)."""
    import contextlib
    import dataclasses

    from accelopt.errors import AcceloptError, MeasurementError
    from accelopt.interrupts import interrupts_held
    from accelopt.measure.probe import save_spec
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run

    _check_options(opts)
    try:
        result = _run(opts.device or _default_device(), opts.quick, _parse_dtypes(opts.dtypes), opts.compare,
                      progress=True, catalog=opts.catalog)
    except KeyboardInterrupt:  # before the first figure (run_probe keeps every figure measured before a Ctrl-C)
        from accelopt.report.console import make_console, plain

        make_console(stderr=True).print(plain(f"interrupted ({stopped_by()}) before the first figure was measured: "
                                              "nothing saved or recorded", "yellow"))
        raise typer.Exit(130) from None  # the shell's status for Ctrl-C
    from accelopt.distributed.collectives import CollectivesFailed, CollectivesInterrupted

    coll = None
    save_link = True
    coll_failed: AcceloptError | None = None
    if opts.collectives and not result.interrupted:  # after a Ctrl-C nothing more is measured
        try:
            coll = _collectives(result.device.torch_device, opts.ranks, opts.quick, opts.sizes_bytes,
                                opts.timeout_s)
        except CollectivesInterrupted as stop:  # the figures measured before it are kept, printed and recorded
            result.interrupted = True
            coll, save_link = stop.result, stop.link_complete
            result.skipped.append(("collectives", stop.summary))
        except CollectivesFailed as failed:  # a rank failed: the figures before it are kept, then the error (exit 2)
            coll, save_link, coll_failed = failed.kept.result, failed.kept.link_complete, failed
            result.skipped.append(("collectives", failed.kept.summary))
        except KeyboardInterrupt:  # the device figures above are kept, saved and recorded
            result.interrupted = True
            result.skipped.append(("collectives", f"not measured: interrupted ({stopped_by()})"))
        except AcceloptError as e:  # the device figures above are kept, saved and recorded; the error comes last
            coll_failed = e
            result.skipped.append(("collectives", f"not measured: {e.problem}"))
    # a second Ctrl-C or SIGTERM while an interrupted probe's figures are saved, recorded and printed lost them
    with interrupts_held("what probe measured") if result.interrupted else contextlib.nullcontext():
        result = _with_curve(result)
        saved: Path | None = None
        save_failed: AcceloptError | None = None
        if not opts.no_save:
            try:
                saved = save_spec(result, opts.save, _links(coll if save_link else None), result.inference_curve())
            except AcceloptError as e:  # the measurements are still printed below, then the error
                save_failed = e
                if result.interrupted and isinstance(e, MeasurementError):  # a figure the spec needs was cut short:
                    # exit 2 and 're-run the probe without errors in stream.triad' after a Ctrl-C before the triad
                    save_failed = MeasurementError(f"{e.problem} (the run was interrupted before it)",
                                                   "rerun accelopt probe and let it finish to save a measured spec")
        save_error = f"{save_failed.problem} — {save_failed.fix}" if save_failed else None
        data = dataclasses.replace(result, saved_spec=str(saved) if saved else None, save_error=save_error,
                                   collectives=coll)
        finish_run("probe", data, opts.html)
        if opts.as_json:
            emit(data)
            _warn_on_stderr(data)
        else:
            _print_human(data, saved)
            if coll is not None:
                from accelopt.report.console import make_console
                from accelopt.report.distributed_view import render_collectives

                render_collectives(coll, make_console())
    if save_failed is not None and result.interrupted:  # exit 130 below: the interrupt, not the save, ended the run
        from accelopt.report.console import make_console, plain

        make_console(stderr=True).print(plain(f"measured spec not saved: {save_failed.problem} — {save_failed.fix}",
                                              "yellow"))
    elif save_failed is not None:
        raise save_failed
    if coll_failed is not None:
        raise coll_failed
    if result.interrupted:
        raise typer.Exit(130)  # the shell's status for Ctrl-C, after printing and recording what was measured


def _warn_on_stderr(result: ProbeResult) -> None:
    """With --json, the warnings the console prints go to stderr (stdout holds the JSON document only): a busy
    machine's, a poor op-size curve fit's and a poor collectives ring-model fit's (they were in the JSON alone)."""
    from accelopt.report.console import line, make_console

    err = make_console(stderr=True)
    for warning in result.contention.warnings:
        err.print(line(("warning:", "bold yellow"), f" {warning}"))
    if result.curve_warning is not None:
        err.print(line(("warning:", "bold yellow"), f" op-size curve for `plan infer`: {result.curve_warning}"))
    if result.collectives is not None and result.collectives.link_warning is not None:
        err.print(line(("warning:", "bold yellow"), f" link for plan: {result.collectives.link_warning}"))
    if result.interrupted:  # exit 130 said nothing on stderr of what the document holds and what it lacks
        left = "; ".join(f"{metric}: {why}" for metric, why in result.skipped if "interrupted" in why)
        err.print(line(("interrupted", "bold red"), f" ({stopped_by()}): the JSON document holds the figures "
                                                    f"measured before it ({left})"))


def _with_curve(result: ProbeResult) -> ProbeResult:
    """`result` with the op-size curve fitted on its matmul ladder (predict.inference_validation.fit_measured_curve)
    and the source saying so; unchanged without a ladder."""
    import dataclasses

    from accelopt.predict.inference_validation import fit_measured_curve, measured_curve_warning

    peak = result.get(f"matmul.{result.ladder_dtype}")
    if not result.ladder or peak is None:
        return result
    pts = result.ladder
    err, curve = fit_measured_curve([p.flops for p in pts], [p.median_s for p in pts], peak.median)
    source = (f"fitted by accelopt probe on {len(pts)} square {result.ladder_dtype} matmuls ({pts[0].side}^3 to "
              f"{pts[-1].side}^3, median times) measured on {result.host}, {result.date}, against the measured "
              f"{result.ladder_dtype} peak (measure/probe.py LADDER_SIDES): mean |log error| {err:.3f}; `plan infer` "
              "uses it for every dtype (an assumption)")
    return dataclasses.replace(result, curve_matmul_eff_max=curve["matmul_eff_max"],
                               curve_matmul_half_flop=curve["matmul_half_flop"], curve_source=source,
                               curve_fit_error=err, curve_warning=measured_curve_warning(err))


def _default_device() -> str:
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"


def _parse_dtypes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    from accelopt.errors import InputError

    out = [d.strip().lower() for d in text.split(",") if d.strip()]
    if not out:
        raise InputError(f"--dtypes {text!r} names no dtype", "write e.g. --dtypes fp32,bf16")
    return out


def _table(result: ProbeResult) -> Any:
    from rich.table import Table

    from accelopt.units import fmt_pct, fmt_quantity, unit_of

    t = Table(title=f"accelopt probe — {result.device.name} ({result.device.torch_device}) on {result.host}")
    for col in ("measure", "median", "p10", "p90", "spread", "% of catalog"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for f in result.figures:
        rate = f.unit  # the figure's own unit (FLOP/s or B/s), as the JSON and the HTML page print it
        # the spread in its declared unit, as the HTML prints it ('.1f' showed a spread of 0.04% as 0.0%)
        t.add_row(f.metric, fmt_quantity(f.median, rate), fmt_quantity(f.p10, rate), fmt_quantity(f.p90, rate),
                  fmt_quantity(f.spread, unit_of(f, "spread")), fmt_pct(f.fraction_of_peak))
    return t


def _print_human(result: ProbeResult, saved: Path | None) -> None:
    from accelopt.measure.probe import spec_name
    from accelopt.report.console import line, make_console
    from accelopt.units import fmt_quantity, fmt_seconds, unit_of

    con = make_console()
    con.print(_table(result))
    for f in result.figures:
        con.print(f"  {f.metric}: {f.detail}", highlight=False)
    ridge = result.ridge_flop_per_byte
    best = result.best_matmul()
    if ridge is not None and best is not None:
        ridge_text = fmt_quantity(ridge, unit_of(result, "ridge_flop_per_byte"))  # as JSON's unit and the HTML
        con.print(f"measured ridge point: {ridge_text} ({best.metric} / stream.triad)")
    cat = result.catalog_name or "none (no catalog entry for this device: % of catalog is n/a)"
    con.print(f"catalog entry compared: {cat}", highlight=False)
    if (peaks := peaks_text(result)) is not None:
        con.print(f"  {peaks}", highlight=False)
    if result.core_share_note is not None:
        con.print(f"  {result.core_share_note}", highlight=False)
    for metric, why in result.skipped:
        con.print(line(("not measured", "yellow"), f" {metric}: {why}"))
    for warning in result.contention.warnings:
        con.print(line(("warning", "bold yellow"), f" {warning}"))
    if result.contention.disturbed:
        con.print("the machine was busy: these figures may be low: " + ", ".join(result.contention.disturbed)
                  + "; rerun on a quiet machine to trust them")
    if result.interrupted:
        con.print(line(("interrupted", "bold red"), f" ({stopped_by()}): the figures above were measured before it"))
    con.print(f"measured in {fmt_seconds(result.duration_s)} with {result.threads} torch "
              f"thread{'' if result.threads == 1 else 's'}, "
              f"torch {result.torch_version}")
    if saved:
        path = shlex.quote(str(saved))
        con.print(f"measured spec saved to {saved}: give its path as the device (e.g. accelopt catalog show {path}), "
                  f"or add --catalog {path} and name it {spec_name(result)} (without --catalog the name alone is "
                  "not a device)")
    if (curve := result.curve_text()) is not None:
        con.print(line(("warning", "bold yellow"), f" {curve}") if result.curve_warning else f"  {curve}",
                  highlight=False)


def peaks_text(result: ProbeResult) -> str | None:
    """Which catalog figure each `% of catalog` divides by, and why a figure reads n/a: the table named neither
    (0.2% of what? and matmul.bf16 'n/a' against epyc-9654, which gives no bf16 peak, with no word why); None
    without a catalog entry (the line above says so)."""
    from accelopt.units import fmt_quantity

    name = result.catalog_name
    if name is None:
        return None
    by: dict[str, list[str]] = {}
    missing: list[str] = []
    for f in result.figures:
        if f.metric.startswith("matmul."):
            what = f"dense {f.metric.split('.', 1)[1]} peak"
        elif f.metric.startswith("stream."):
            what = "memory bandwidth"
        else:  # host<->device and device-to-device copies: the catalog has no figure to divide them by
            missing.append(f"{f.metric} (no catalog figure for it)")
            continue
        if f.catalog_peak is None:
            missing.append(f"{f.metric} ({name} gives no {what})")
        else:
            by.setdefault(f"{what} {fmt_quantity(f.catalog_peak, f.unit)}", []).append(f.metric)
    parts = [f"{', '.join(metrics)} by its {what}" for what, metrics in by.items()]
    text = f"% of catalog divides {'; '.join(parts)}" if parts else "% of catalog divides nothing"
    return text + (f"; n/a: {', '.join(missing)}" if missing else "")


def _kind_mismatch(name: str, spec_kind: str, device_kind: str) -> str:
    """The warning of a --compare entry of another kind than the probed device (a CPU probe against a GPU entry
    read as '0.1% of catalog' with no word that the two are different kinds of device)."""
    article = "an" if spec_kind[:1] in tuple("aeiou") else "a"
    return (f"--compare {name} is {article} {spec_kind} entry and this probe measures a {device_kind}: its % of "
            f"catalog compares different kinds of device, not how well this {device_kind} does (a {device_kind} "
            f"entry gauges that: accelopt catalog list --kind {device_kind})")


def _run(device: str, quick: bool, dtypes: list[str] | None, compare: str | None, progress: bool,
         catalog: tuple[Path, ...] = ()) -> ProbeResult:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from accelopt.hardware.catalog import get_device
    from accelopt.hardware.detect import find_device
    from accelopt.measure.probe import Figure, Step, check_dtypes, run_probe
    from accelopt.units import fmt_seconds

    dev = find_device(device)
    check_dtypes(dev, dtypes)  # a bad --dtypes fails before anything is measured
    # --compare '' is an unknown name, not "none"; a user's device: a --catalog file's, or a spec TOML's path
    spec = get_device(compare, catalog) if compare is not None else None
    from accelopt.report.console import line, make_console

    err = make_console(stderr=True)
    if spec is not None and spec.kind != dev.kind:
        err.print(line(("warning:", "bold yellow"), f" {_kind_mismatch(spec.name, spec.kind, dev.kind)}"))
    bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=err, transient=True, disable=not progress)
    task: list[Any] = []

    def on_plan(steps: list[Step], estimate_s: float) -> None:
        err.print(f"probing {dev.torch_device} ({dev.name}): {len(steps)} measurements, "
                  f"about {fmt_seconds(estimate_s)} (estimate: the time budgets and one small timed call of each kind)")
        task.append(bar.add_task("starting", total=len(steps)))

    def on_step(step: Step, fig: Figure | None) -> None:
        bar.update(task[0], advance=1, description=step.metric)

    with bar:
        return run_probe(dev, quick=quick, dtypes=dtypes, spec=spec, on_plan=on_plan, on_step=on_step)


def register(app: typer.Typer) -> None:
    from accelopt.distributed import limits  # imports nothing: the help's figures are the limits the run uses

    @app.command("probe", help=HELP)
    def probe_cmd(
        quick: bool = typer.Option(False, "--quick", help="fewer shapes and shorter timings (under 30 s on a CPU)"),
        device: str | None = typer.Option(None, "--device",
                                          help="cpu or cuda:N (default: cuda:0 if present, else cpu)"),
        dtypes: str | None = typer.Option(None, "--dtypes",
                                          help="comma list; CPU: fp32,bf16; CUDA: fp32,tf32,bf16,fp16,fp8 "
                                               "(default all)"),
        compare: str | None = typer.Option(None, "--compare",
                                           help="catalog device to compare with, a device of a --catalog file, "
                                                "or a spec TOML path (default: the device's own entry)"),
        catalog: list[Path] = typer.Option([], "--catalog", help=CATALOG_HELP + " --compare may name its devices."),
        save: Path | None = typer.Option(None, "--save",
                                         help="where to write the measured spec, a .toml file in an existing "
                                              "folder (default $ACCELOPT_HOME/probe/HOST-DEVICE.toml; "
                                              "ACCELOPT_HOME defaults to ~/.accelopt)"),
        no_save: bool = typer.Option(False, "--no-save", help="do not write the measured spec"),
        as_json: bool = typer.Option(False, "--json", help="print the result as JSON only"),
        html: Path | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"
                                                              + HTML_RULE),
        collectives: bool = typer.Option(False, "--collectives",
                                         help="also benchmark all-reduce, all-gather, reduce-scatter and all-to-all "
                                              "across --nproc ranks (gloo on cpu, NCCL on cuda) and save the link "
                                              "(bus bandwidth, latency) into the measured spec for plan, printing "
                                              "plan's time for each collective and size beside the measured one"),
        nproc: int | None = typer.Option(None, "--nproc",
                                         help="with --collectives: ranks on this machine (cuda: GPUs; default "
                                              f"{COLLECTIVES_RANKS})"),
        sizes: str | None = typer.Option(None, "--sizes",
                                         help="with --collectives: the message sizes to time, in place of the sweep "
                                              "(1 KiB to 16 MiB, x4; --quick: to 4 MiB, x16), a comma list of "
                                              "bytes or sizes with a unit (1024,4MiB,25MiB; KiB = 1024 B, KB = "
                                              "1000 B); the link saved for plan is fitted on the smallest and "
                                              "largest all-reduce"),
        timeout_s: float | None = typer.Option(None, "--timeout-s",
                                               help="with --collectives: if no figure finishes for this long "
                                                    f"(default {limits.COLLECTIVES_TIMEOUT_S:g}), the ranks are "
                                                    "stopped and the stuck one named (start-up gets at least "
                                                    f"{limits.STARTUP_S:g} s); raise it for large --sizes on a "
                                                    "slow link"),
    ) -> None:
        from accelopt.hardware.detect import device_name

        run_probe_command(ProbeOptions(device=None if device is None else device_name(device), quick=quick,
                                       dtypes=dtypes, compare=compare, catalog=tuple(catalog), save=save,
                                       no_save=no_save, as_json=as_json,
                                       html=html, collectives=collectives, nproc=nproc, sizes=sizes,
                                       timeout_s=timeout_s))


def check_default_save_folder() -> None:
    """The default save folder (under ACCELOPT_HOME) must be creatable and writable, checked before measuring by
    creating it and a scratch file in it: permission bits alone passed ACCELOPT_HOME=/proc/x for root, and the
    spec was refused only after the whole probe had run."""
    import tempfile

    from accelopt.errors import InputError
    from accelopt.paths import accelopt_home

    folder = accelopt_home() / "probe"
    try:
        folder.mkdir(parents=True, exist_ok=True)  # where the spec goes anyway
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise InputError(f"the default save folder {str(folder)!r} cannot be created or written "
                         f"({e.strerror or e})",
                         "set ACCELOPT_HOME to a writable folder, pass --save PATH.toml, or --no-save") from None


def _collectives(torch_device: str, nproc: int, quick: bool, sizes_bytes: list[int] | None = None,
                 timeout_s: float | None = None) -> Any:
    from accelopt.distributed.collectives import (
        COLLECTIVES_TIMEOUT_S,
        DEFAULT_SIZES_BYTES,
        QUICK_SIZES_BYTES,
        measure_collectives,
    )
    from accelopt.distributed.launch import watchdog_text
    from accelopt.report.console import make_console
    from accelopt.units import fmt_bytes

    # the device's figures are printed when they end; the collectives then ran 50 s on a busy 2-core machine
    # with nothing said
    sizes = sizes_bytes or (QUICK_SIZES_BYTES if quick else DEFAULT_SIZES_BYTES)
    backend = "NCCL" if torch_device.startswith("cuda") else "gloo"
    span = (", ".join(fmt_bytes(s, binary=True) for s in sizes) if sizes_bytes and len(sizes) <= 4 else
            f"{fmt_bytes(sizes[0], binary=True)} to {fmt_bytes(sizes[-1], binary=True)}")
    limit_s = COLLECTIVES_TIMEOUT_S if timeout_s is None else timeout_s
    make_console(stderr=True).print(f"timing all-reduce, all-gather, reduce-scatter and all-to-all on {nproc} ranks "
                                    f"({backend}, torchrun), {span} ({watchdog_text(limit_s, 'no figure finishes')})"
                                    " ...", markup=False, highlight=False)
    return measure_collectives(nproc, device="cuda" if torch_device.startswith("cuda") else "cpu", quick=quick,
                               sizes_bytes=sizes_bytes, timeout_s=limit_s)


def _links(coll: Any) -> Any:
    if coll is None:
        return None
    from accelopt.distributed.collectives import spec_lines

    return spec_lines(coll)


def check_save_path(save: Path) -> None:
    """--save must name a .toml file that can be written (checked before measuring)."""
    from accelopt.errors import InputError
    from accelopt.userio import check_writable, refuse_foreign_file

    if save.suffix != ".toml":
        raise InputError(f"--save {str(save)!r} does not end in .toml", "name the file like my-gpu.toml")
    check_writable(save, "--save", "my-gpu.toml")
    refuse_foreign_file(save, "--save", "accelopt probe", "my-gpu.toml")  # a rerun replaces its own spec only
