"""`accelopt simulate`: a custom systolic-array accelerator, layer by layer; design sweeps; export."""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from accelopt.cli.html_first import HTML_RULE
from accelopt.interrupts import stopped_by
from accelopt.report.console import printable
from accelopt.report.simulate_view import stalls_left

_CONVENTION_HELP = ("fill/drain convention: 'paper' (SCALE-Sim paper, 2R+C+T-2 cycles per fold, default) or "
                    "'scalesim-code' (reproduces scalesim 3.0.0's stall-free cycle counts)")


_MODEL_HELP = ("resnet50 (v1), resnet50-v1.5, alexnet-conv, a transformer preset, plan infer's examples "
               "(mobilenet-v1/v2, vgg16/19, resnet152, kws-dscnn), zoo NAME[:SIZE], or a PyTorch "
               "file FILE.py:Class / FILE.py:factory (an nn.Module needs --input-shape; a ModelBundle factory "
               "brings its inputs); captured as one inference forward pass")


@dataclass(frozen=True)
class SourceOptions:
    """What is simulated (exactly one of model, hf, topology, workload), as typed for `simulate run` / `sweep`."""

    model: str | None = None
    hf: Path | None = None
    topology: Path | None = None
    workload: Path | None = None
    batch: int | None = None
    """None: the source's own batch (a zoo size's, a factory's, a workload's; 1 where it has none)."""
    seq_len: int | None = None
    input_shape: str | None = None
    """One sample's shape as typed ('3,224,224'), for --model FILE.py:Class."""
    input_dtype: str | None = None
    """--input-dtype as typed; None: left out (float32 for a plain nn.Module), so a typed float32 is refused where
    the option does not apply, as int64 is."""
    convention: str = "paper"


@dataclass(frozen=True)
class RunOptions:
    """`accelopt simulate run`, as typed."""

    design: str
    source: SourceOptions
    unlimited_bandwidth: bool = False
    max_rows: int = 60
    as_json: bool = False
    html: Path | None = None
    save_topology: Path | None = None
    """--save-topology: also write the layers simulated as a SCALE-Sim topology CSV."""


@dataclass(frozen=True)
class SweepOptions:
    """`accelopt simulate sweep`, as typed (lists as typed: '16,32,64' or 'LOW..HIGH')."""

    source: SourceOptions
    design: str = "edge-npu"
    rows: str = "16,32,64"
    cols: str = "16,32,64"
    sram_kib: str = "64,256,1024"
    bandwidth_gbps: str = ""
    dataflow: str = "os,ws,is"
    as_json: bool = False
    html: Path | None = None


def _input_shape(text: str | None) -> tuple[int, ...] | None:
    """--input-shape '3,224,224' -> (3, 224, 224)."""
    from accelopt.errors import InputError

    if text is None:
        return None
    items = text.replace("x", ",").split(",")  # '3,224,224' or '3x224x224'
    if items and not items[-1].strip():
        items.pop()  # one trailing comma: '3,224,224,'
    try:
        shape = tuple(int(x) for x in items)  # an empty item ('3,,32', '3,x,32') is an error, not skipped
    except ValueError:
        raise InputError(f"--input-shape {text!r} is not a list of integers",
                         "write e.g. --input-shape 3,224,224") from None
    if not shape or any(s < 1 for s in shape):
        raise InputError(f"--input-shape {text!r} must be positive integers", "write e.g. --input-shape 3,224,224")
    return shape


def _layers(src: SourceOptions) -> tuple[list[Any], str]:
    """The layers to simulate and a description of where they come from. What a user's model file prints while
    it is built and captured goes to stderr: stdout keeps the table or the --json document only."""
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        return _read_layers(src)


def _read_layers(src: SourceOptions) -> tuple[list[Any], str]:
    from accelopt.errors import InputError

    model, topology, workload, batch, seq_len = src.model, src.topology, src.workload, src.batch, src.seq_len
    convention, hf, input_shape, input_dtype = src.convention, src.hf, src.input_shape, src.input_dtype

    given = [x for x in (model, topology, workload, hf) if x is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --model, --hf, --topology, --workload",
                         "e.g. --model resnet50, --model net.py:Net --input-shape 3,224,224, --hf CONFIG_DIR, "
                         "--topology layers.csv or --workload w.json")
    if (topology is not None or workload is not None) and seq_len is not None:
        raise InputError("--seq-len applies to --model and --hf only", "a topology or workload file fixes its "
                         "shapes; leave --seq-len out")
    if model is None and (input_shape is not None or input_dtype is not None):
        raise InputError("--input-shape / --input-dtype apply to --model FILE.py:Class only",
                         "leave them out for --hf, --topology and --workload")
    if hf is not None:
        from accelopt.simulate.models import hf_layers

        return hf_layers(str(hf), batch, seq_len)
    if topology is not None:
        from accelopt.simulate.models import DEFAULT_BATCH
        from accelopt.simulate.topology import read_topology

        own = DEFAULT_BATCH if batch is None else batch  # a topology file has no batch of its own
        # --convention scalesim-code also counts output pixels as SCALE-Sim does (see topology.py)
        layers = read_topology(topology, own, scalesim_rounding=convention == "scalesim-code")
        return layers, f"SCALE-Sim topology {topology}, batch {own}"
    if workload is not None:
        from accelopt.simulate.layers import (
            from_workload,
            is_unshaped_matmul,
            unmodeled_note,
            unmodeled_ops,
            unshaped_note,
        )
        from accelopt.workload.types import Workload

        w = Workload.load(workload)
        _check_workload_batch(w, workload, batch)
        try:
            layers, skipped = from_workload(w)
        except InputError as e:  # name the file, as Workload.load does
            raise InputError(f"workload file {workload}: {e.problem}", e.fix) from None
        # a fused op of the forward pass is in `skipped` too: said apart, with its share of the work
        fused = sum(1 for op in w.ops if (op.phase == "forward" or not op.phase) and is_unshaped_matmul(op))
        plain_ops = len(skipped) - fused - len(unmodeled_ops(w))  # ops of unknown work: named by unmodeled_note
        note = ((f"; {plain_ops} non-GEMM ops not simulated" if plain_ops > 0 else "") + unshaped_note(w)
                + unmodeled_note(w))
        return layers, f"workload {workload} ({_workload_step(w)}{note})"
    from accelopt.simulate.models import model_layers

    assert model is not None
    return model_layers(model, batch, seq_len, _input_shape(input_shape), input_dtype)


def _check_workload_batch(w: Any, path: Path, batch: int | None) -> None:
    """A --batch given with --workload must be the batch the file was captured at: its ops' shapes are fixed."""
    from accelopt.errors import InputError

    if batch is None:
        return
    recorded = w.meta.get("batch_size")
    if recorded == batch and not isinstance(recorded, bool):
        return
    had = f"was captured at batch {recorded}" if isinstance(recorded, int) else "records no batch"
    raise InputError(f"--batch {batch} cannot change workload file {path}: it {had}, and its shapes were fixed "
                     "at capture", f"capture it again at batch {batch} (`accelopt profile MODEL --batch-size {batch} "
                     "--save-workload FILE`), or leave --batch out")


def _workload_step(w: Any) -> str:
    """What a workload file holds: 'train step, batch 8: 13 forward + 26 backward ops with MACs simulated'.

    A train step's backward GEMMs are simulated too (about 2x the forward's MACs), where every other model
    source is one inference forward pass, so the source line says which it is."""
    from collections import Counter

    from accelopt.simulate.layers import is_mapped

    mapped = Counter(op.phase or "forward" for op in w.ops if is_mapped(op))
    phases = " + ".join(f"{n} {phase}" for phase, n in sorted(mapped.items(), key=lambda kv: kv[0] != "forward"))
    mode, batch = w.meta.get("mode"), w.meta.get("batch_size")
    step = f"{mode} step" if isinstance(mode, str) and mode else "step of unrecorded mode"
    at = f", batch {batch}" if isinstance(batch, int) and not isinstance(batch, bool) else ""
    return f"{step}{at}: {phases} ops with MACs simulated"


def _bandwidths_byte_per_s(text: str) -> list[float]:
    """--bandwidth-gbps '25.6,100,inf' -> bytes/s; every entry a positive number (GB = 1e9 B) within a design's
    bounds, or inf (unlimited, SCALE-Sim's CALC mode)."""
    import math

    from accelopt.errors import InputError
    from accelopt.simulate.design import MAX_DRAM_BANDWIDTH_BYTE_PER_S, MIN_DRAM_BANDWIDTH_BYTE_PER_S

    parts = [x.strip() for x in text.split(",") if x.strip()]
    if not parts:
        raise InputError(f"--bandwidth-gbps {text!r} names no bandwidth", "write e.g. --bandwidth-gbps 25.6,100")
    out = []
    for x in parts:
        if x.lower() in ("inf", "unlimited"):
            out.append(math.inf)
            continue
        try:
            v = float(x)
        except ValueError:
            raise InputError(f"--bandwidth-gbps {x!r} is not a number",
                             "write GB/s as plain numbers, e.g. 25.6,100") from None
        if not math.isfinite(v) or v <= 0:
            raise InputError(f"--bandwidth-gbps {x!r} must be a positive number of GB/s",
                             "e.g. 25.6 or 100, or inf for unlimited bandwidth (SCALE-Sim's CALC mode)")
        low, high = MIN_DRAM_BANDWIDTH_BYTE_PER_S / 1e9, MAX_DRAM_BANDWIDTH_BYTE_PER_S / 1e9
        if not low <= v <= high:  # bytes/s typed for GB/s (25.6e9), or MB/s shifted: named by the flag's unit
            raise InputError(f"--bandwidth-gbps {x!r} is {v:g} GB/s, outside {low:g}..{high:g} GB/s (10 kB/s to "
                             "100 PB/s, any real memory)", "give GB/s, e.g. 25.6 for 25.6e9 bytes/s (inf: unlimited)")
        out.append(v * 1e9)
    return out


def _count(x: float) -> str:
    """Compact count for the table: 1.38M, 950k, 12 (units.fmt_si_count: 999,700 reads 1M, 1e15 reads 1P; this
    table's own prefixes stopped at T and printed '1e+03T')."""
    from accelopt import units

    return units.fmt_si_count(x)


def _energy(j: float) -> str:
    """Joules as the --html page and `history` show them (the JSON unit 'J': units.fmt_joules), so the console's
    figures read the same on the page (its own table printed '1e+03 mJ' and '32 MJ' where the page said
    '1000 mJ' and '8.89 kWh')."""
    from accelopt import units

    return units.fmt_quantity(j, "J")


def _print_run(result: Any, max_rows: int) -> None:
    from rich.table import Table

    from accelopt import units
    from accelopt.report.console import line, make_console

    d = result.design
    con = make_console()
    con.print(line((d.name, "bold"), f": {d.rows}x{d.cols}x{d.cores} {d.dataflow}, {d.dtype}, "
                   f"{d.clock_hz / 1e6:g} MHz, {d.tech_node_nm:g} nm — {result.source} — "
                   f"convention {result.convention}"))
    for note in assumptions(d):
        con.print(f"  {note}")
    rows = result.layers
    if max_rows:  # --max-rows 0: no table (it printed a header and rules with no row under them)
        t = Table(show_lines=False)
        for col in _LAYER_COLUMNS:
            t.add_column(col, justify="left" if col == "layer" else "right", no_wrap=True)
        for r in rows[:max_rows]:
            t.add_row(r.name, f"{r.m}x{r.n}x{r.k}", str(r.repeats), _count(r.compute_cycles),
                      _count(r.stall_cycles), units.fmt_pct(r.utilization), _bytes(r.dram_bytes),
                      _energy(r.energy_j))
        con.print(t)
    if len(rows) > max_rows:
        more = f"... {len(rows) - max_rows} more layers" if max_rows else f"{len(rows)} layers, not listed"
        con.print(f"{more} (use --max-rows, or --json for every column: "
                  "folds, mapping efficiency, SRAM accesses, bandwidth needed, energy parts)")
    tot, roof = result.totals, result.roofline
    e = tot.energy_breakdown
    count = units.fmt_quantity  # whole numbers with thousands separators ('3.858e+09 MACs' read as a formula)
    # the layer table's 'compute cycles' and 'stall' add up to these cycles; the latency is their time (an estimate)
    con.print(line(("total", "bold"), f": {count(tot.macs, 'count')} MACs, {count(tot.total_cycles, 'count')} cycles "
                   f"({count(tot.compute_cycles, 'count')} compute + {count(tot.stall_cycles, 'count')} stall), "
                   f"latency* {units.fmt_seconds(tot.latency_s)}, "
                   f"utilization {units.fmt_pct(tot.utilization)}, "
                   f"achieved {units.fmt_quantity(tot.achieved_op_per_s, 'OP/s')}"))
    need = units.fmt_byte_per_s(tot.bandwidth_needed_byte_per_s)
    spill = tot.dram_psum_spill_bytes
    con.print(f"DRAM* {_bytes(tot.dram_bytes)} (reads {_bytes(tot.dram_read_bytes)}, writes "
              f"{_bytes(tot.dram_write_bytes)}" + (f", partial-sum spills {_bytes(spill)}"
                                                           if spill else "")
              + f"; needs {need} for no {stalls_left(result)}), intensity "
              f"{_total(tot, 'intensity_op_per_dram_byte')}")
    con.print(f"energy* {_energy(tot.energy_j)} = MAC {_energy(e.mac_j)} + register "
              f"{_energy(e.register_j)} + SRAM {_energy(e.sram_j)} + DRAM "
              f"{_energy(e.dram_j)}; {_total(tot, 'tops_per_w')}*")
    if d.unlimited_bandwidth:
        con.print(f"roofline: peak {units.fmt_quantity(roof.peak_op_per_s, 'OP/s')}, DRAM bandwidth unlimited "
                  "(SCALE-Sim CALC mode: no bandwidth stalls)")
    else:
        con.print(f"roofline: peak {units.fmt_quantity(roof.peak_op_per_s, 'OP/s')}, DRAM "
                  f"{units.fmt_byte_per_s(roof.dram_bandwidth_byte_per_s)}, ridge "
                  f"{roof.ridge_op_per_byte:.4g} OP/B ({roof.ridge_mac_per_byte:.4g} MAC/B)")
    con.print(f"* estimates: per-access energies from {result.energy_scaling.scaled_text()}; "
              + _traffic_source(result) + f"; {LATENCY_TEXT}")
    for note in result.notes[1:]:  # the first is the footer above; the others say where SCALE-Sim's buffers apply
        con.print(f"  {note}")



_LAYER_COLUMNS = ("layer", "MxNxK", "rep", "compute cycles", "stall", "util", "DRAM*", "energy*")
"""The layer table's columns, the page's too (report.html): 'cycles' was the compute cycles alone, beside a total
line whose 'cycles' count the stalls as well."""
LATENCY_TEXT = ("latency = total cycles / clock (compute + stall cycles of the layers listed; ops without MACs to map "
                "and host transfers not in it), its stalls from that traffic")
"""What a simulated latency is, on `simulate run`'s and `simulate sweep`'s footers (SimTotals.latency_s's doc)."""


def _traffic_source(result: Any) -> str:
    """Where the run's DRAM traffic comes from, for the footer: under scalesim-code with a finite bandwidth the
    note printed after it says which layers replay SCALE-Sim's buffers (the footer named the tiling model alone)."""
    d = result.design
    if d.dataflow == "rs":
        return "DRAM traffic from the row-stationary mapping (accelopt.simulate.rowstationary)"
    if result.convention == "scalesim-code" and not d.unlimited_bandwidth:
        return "DRAM traffic and stalls as the note below says"
    return "DRAM traffic from a buffer-aware tiling model (accelopt.simulate.memory)"


def assumptions(d: Any) -> list[str]:
    """The design's figures that are assumptions rather than data (its sources say so), to print beside results."""
    seen: dict[str, list[str]] = {}
    for field, src in d.sources.items():
        if src.lower().startswith("assumption"):
            seen.setdefault(src, []).append(field)
    return [f"{', '.join(fields)}: {src}" for src, fields in seen.items()]


def _with_bandwidth(d: Any, unlimited: bool) -> Any:
    if not unlimited:
        return d
    import math

    return d.with_(dram_bandwidth_byte_per_s=math.inf,
                   sources={**d.sources, "dram_bandwidth_byte_per_s": "--unlimited-bandwidth (SCALE-Sim CALC mode)"})


_UNLIMITED_HELP = ("take the DRAM bandwidth as unlimited, like SCALE-Sim's CALC mode: no bandwidth stalls "
                   "(traffic is still counted)")
_BATCH_HELP = ("batch size (a FILE.py:factory gets it as batch_size=); left out: the model's own (a zoo size's, a "
               "factory's, --hf's default, a --workload's captured batch), 1 for the built-in CNNs, presets, a "
               "plain nn.Module and --topology; the source line says which ran")
_HF_HELP = ("Hugging Face model directory (or config.json): one inference forward pass, built on the meta device "
            "(shapes only; random weights on the CPU for a model that does not run there, said in the source line)")


def _sweep_with_progress(designs: Any, layers: Any, convention: str, run_sweep: Any,
                         skipped: list[str] | None = None, capacity: list[str] | None = None) -> Any:
    """The sweep with a progress bar on stderr (stdout keeps the table or the --json document); designs the
    model cannot run on are appended to `skipped`, the notes of layers over the designs' DRAM to `capacity`."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from accelopt.report.console import make_console

    bar = Progress(TextColumn("simulate sweep"), BarColumn(), TextColumn("{task.completed}/{task.total} designs"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=make_console(stderr=True), transient=True)
    start, said = SWEEP_CLOCK(), list[str]()

    def on_point(done: int, total: int) -> None:
        bar.update(task, completed=done)
        if not said and (line := _sweep_estimate(done, total, SWEEP_CLOCK() - start)) is not None:
            said.append(line)
            bar.console.print(line, markup=False, highlight=False)

    with bar:
        task = bar.add_task("sweep", total=len(designs))
        return run_sweep(designs, layers, convention, on_point=on_point, keep_on_interrupt=True, skipped=skipped,
                         capacity=capacity)


SWEEP_CLOCK = time.monotonic
"""The clock _sweep_with_progress times the designs by (a test replaces it)."""
ESTIMATE_AFTER_S = 1.0
"""Seconds of designs timed before the sweep's time is estimated (the first design alone includes warm-up)."""
ESTIMATE_ABOVE_S = 60.0
"""A sweep estimated to take longer is said on stderr, terminal or not."""


def _sweep_estimate(done: int, total: int, elapsed_s: float) -> str | None:
    """The line saying how long the sweep will take, once `elapsed_s` >= ESTIMATE_AFTER_S of designs are timed, when
    the whole is above ESTIMATE_ABOVE_S: the progress bar's time left showed only on a terminal, so a sweep piped or
    run by a script gave no word of its hours. None otherwise."""
    from accelopt.units import fmt_seconds

    if done < 1 or done >= total or elapsed_s < ESTIMATE_AFTER_S:
        return None
    per_s = elapsed_s / done
    if per_s * total <= ESTIMATE_ABOVE_S:
        return None
    return (f"simulate sweep: {total:,} designs at {fmt_seconds(per_s)} each (the first {done:,} timed): about "
            f"{fmt_seconds(per_s * (total - done))} left (estimate); Ctrl-C keeps the designs simulated so far")


def register(app: typer.Typer) -> None:
    sim = typer.Typer(help="A custom systolic-array accelerator (ASIC/FPGA/TPU-like): run a model on a design layer "
                           "by layer, sweep designs, check against published chips, list presets, export a design "
                           "as a catalog spec.",
                      no_args_is_help=True)
    app.add_typer(sim, name="simulate")

    @sim.command("run", help="Simulate a model on a design: per-layer table and totals.")
    def run_cmd(
        design: str = typer.Option(..., "--design", "-d",
                                   help="preset (tpu-v1, eyeriss, edge-npu, nvdla-2048 ... nvdla-32), a design "
                                        "TOML file (format: accelopt.simulate.design docstring) or a SCALE-Sim .cfg"),
        model: str | None = typer.Option(None, "--model", "-m", help=_MODEL_HELP),
        hf: Path | None = typer.Option(None, "--hf", help=_HF_HELP),
        topology: Path | None = typer.Option(None, "--topology", help="SCALE-Sim topology CSV (conv or GEMM)"),
        workload: Path | None = typer.Option(None, "--workload", help="Workload JSON saved by accelopt"),
        batch: int | None = typer.Option(None, "--batch", "-b", help=_BATCH_HELP),
        seq_len: int | None = typer.Option(None, "--seq-len",
                                           help="sequence length of a transformer, zoo --model or --hf (a "
                                                "FILE.py:factory gets it as seq_len=)"),
        input_shape: str | None = typer.Option(None, "--input-shape",
                                               help="one sample's input shape for --model FILE.py:Class, without "
                                                    "the batch dimension, e.g. 3,224,224"),
        input_dtype: str | None = typer.Option(None, "--input-dtype",
                                               help="input dtype for --input-shape: float32 (left out) or int64 "
                                                    "(token ids)"),
        convention: str = typer.Option("paper", "--convention", help=_CONVENTION_HELP),
        unlimited_bandwidth: bool = typer.Option(False, "--unlimited-bandwidth", help=_UNLIMITED_HELP),
        max_rows: int = typer.Option(60, "--max-rows", help="layers shown in the table (0: no table, the totals only)"),
        json_out: bool = typer.Option(False, "--json", help="JSON on stdout"),
        html: Path | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"
                                                              + HTML_RULE),
        save_topology: Path | None = typer.Option(
            None, "--save-topology", metavar="FILE.csv",
            help="also write the layers simulated as a SCALE-Sim topology CSV (conv format for batch-1 CNNs, else "
                 "GEMM format, one row per GEMM), for scalesim or `simulate run --topology`"),
    ) -> None:
        run_simulation(RunOptions(
            design=design, unlimited_bandwidth=unlimited_bandwidth, max_rows=max_rows, as_json=json_out, html=html,
            save_topology=save_topology,
            source=SourceOptions(model=model, hf=hf, topology=topology, workload=workload, batch=batch,
                                 seq_len=seq_len, input_shape=input_shape, input_dtype=input_dtype,
                                 convention=convention)))

    @sim.command("presets", help="List the built-in designs with the source of every number.")
    def presets_cmd(json_out: bool = typer.Option(False, "--json", help="JSON on stdout")) -> None:
        _presets(json_out)

    @sim.command("sweep", help="Sweep array shape, SRAM, bandwidth and dataflow; print the Pareto front "
                 "(latency vs energy vs MAC count vs SRAM bytes vs DRAM bandwidth).")
    def sweep_cmd(
        model: str | None = typer.Option(None, "--model", "-m", help="as for `simulate run`"),
        hf: Path | None = typer.Option(None, "--hf", help="as for `simulate run`"),
        topology: Path | None = typer.Option(None, "--topology", help="SCALE-Sim topology CSV"),
        workload: Path | None = typer.Option(None, "--workload", help="Workload JSON"),
        design: str = typer.Option("edge-npu", "--design", "-d",
                                   help="base design (preset, TOML or SCALE-Sim .cfg) for the fields not swept"),
        rows: str = typer.Option("16,32,64", "--rows",
                                 help="array rows: a list (16,32,64) or LOW..HIGH (doublings of LOW, plus HIGH)"),
        cols: str = typer.Option("16,32,64", "--cols", help="array columns, as --rows"),
        sram_kib: str = typer.Option("64,256,1024", "--sram-kib", help="size of EACH operand SRAM, KiB"),
        bandwidth_gbps: str = typer.Option("", "--bandwidth-gbps",
                                           help="DRAM GB/s list, inf = unlimited (default: base design's)"),
        dataflow: str = typer.Option("os,ws,is", "--dataflow", help="dataflows to try: os, ws, is (systolic) or rs "
                                     "(row-stationary: its SRAM size is the global buffer, spads as Eyeriss's)"),
        batch: int | None = typer.Option(None, "--batch", "-b", help="as for `simulate run`"),
        seq_len: int | None = typer.Option(None, "--seq-len", help="as for `simulate run`"),
        input_shape: str | None = typer.Option(None, "--input-shape", help="as for `simulate run`"),
        input_dtype: str | None = typer.Option(None, "--input-dtype", help="as for `simulate run`"),
        convention: str = typer.Option("paper", "--convention", help=_CONVENTION_HELP),
        json_out: bool = typer.Option(False, "--json", help="JSON on stdout"),
        html: Path | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"
                                                              + HTML_RULE),
    ) -> None:
        run_design_sweep(SweepOptions(
            design=design, rows=rows, cols=cols, sram_kib=sram_kib, bandwidth_gbps=bandwidth_gbps, dataflow=dataflow,
            as_json=json_out, html=html,
            source=SourceOptions(model=model, hf=hf, topology=topology, workload=workload, batch=batch,
                                 seq_len=seq_len, input_shape=input_shape, input_dtype=input_dtype,
                                 convention=convention)))

    @sim.command("published", help="Check the simulator against published accelerator figures: the NVDLA "
                 "primer's ResNet-50 frames/s for 32 to 2048 MACs, or (--chip eyeriss) Eyeriss's measured AlexNet "
                 "CONV1-5 latency, power and DRAM accesses (JSSC 2017 Table V), with the error per row.")
    def published_cmd(
        convention: str = typer.Option("paper", "--convention", help=_CONVENTION_HELP + " (NVDLA only)"),
        chip: str = typer.Option("nvdla", "--chip", help="nvdla (NVDLA primer table) or eyeriss (JSSC 2017 "
                                 "Table V, row-stationary)"),
        json_out: bool = typer.Option(False, "--json", help="JSON on stdout"),
        html: Path = typer.Option(None, "--html", help="also write an HTML report of the check to this file"
                                                       + HTML_RULE),
    ) -> None:
        _published(convention, chip, json_out, html)

    @sim.command("export", help="Write a design as an AcceleratorSpec in the catalog TOML format, or (--out "
                 "FILE.cfg) as a SCALE-Sim config.")
    def export_cmd(
        design: str = typer.Option(..., "--design", "-d", help="preset, design TOML or SCALE-Sim .cfg"),
        out: Path = typer.Option(..., "--out", "-o",
                                 help="file to write: catalog TOML if it ends in .toml, a SCALE-Sim config if in .cfg"),
        dram_bytes: str | None = typer.Option(None, "--dram-bytes", metavar="BYTES",
                                              help="off-chip memory capacity in bytes (e.g. 8e9), for a .toml "
                                              "export of a design that gives none (the nvdla-* presets) or to "
                                              "replace its figure"),
        no_calibration: bool = typer.Option(False, "--no-calibration",
                                            help="write the .toml spec without the op-size curve fitted on the "
                                                 "design's simulator (`plan infer` then labels its latency "
                                                 "uncalibrated)"),
        tdp_w: str | None = typer.Option(None, "--tdp-w", metavar="WATTS",
                                         help="the design's power in watts (e.g. 75: TPU v1's TDP, Jouppi et al. "
                                              "2017 Table 2), for a .toml export: a design gives none, and without "
                                              "it `plan` and `plan infer` print energy n/a on the device"),
        json_out: bool = typer.Option(False, "--json", help="JSON on stdout"),
    ) -> None:
        _export(design, out, json_out, _dram_bytes_flag(dram_bytes), calibrate=not no_calibration,
                tdp_w=_tdp_w_flag(tdp_w))


def _finite_flag(flag: str, text: str, fix: str) -> float:
    """A number flag as typed, finite (read here, so the error names the flag and the text the user wrote: 1e400
    is infinity once a float)."""
    import math

    from accelopt.errors import InputError

    try:
        value = float(text)
    except ValueError:
        from accelopt.units import unit_in_number

        said = unit_in_number(text, flag)  # '--dram-bytes 8GB'
        raise (InputError(*said) if said else InputError(f"{flag} {text!r} is not a number", fix)) from None
    if not math.isfinite(value):
        raise InputError(f"{flag} {text} is not finite", fix)
    return value


def _tdp_w_flag(text: str | None) -> float | None:
    """--tdp-w as typed: a finite number of watts > 0 (0 would be a device that draws no power)."""
    from accelopt.errors import InputError

    if text is None:
        return None
    from accelopt.hardware.spec import LIMITS

    fix = "give the design's power in watts, e.g. --tdp-w 75"
    watts = _finite_flag("--tdp-w", text, fix)
    if watts <= 0:
        raise InputError(f"--tdp-w {text} is not a finite number of watts > 0", fix)
    if watts > LIMITS["tdp_w"]:  # named here: the spec's own check blamed a tdp_w field and asked for SI units
        raise InputError(f"--tdp-w {text} is more than {LIMITS['tdp_w']:g} W, past any accelerator built", fix)
    return watts


def _dram_bytes_flag(text: str | None) -> float | None:
    """--dram-bytes as typed: a finite number of bytes >= 1."""
    from accelopt.errors import InputError

    if text is None:
        return None
    fix = "give the off-chip memory capacity in bytes, e.g. --dram-bytes 8e9 (8 GB)"
    n_bytes = _finite_flag("--dram-bytes", text, fix)
    if n_bytes < 1:
        raise InputError(f"--dram-bytes {text} must be a finite number of bytes >= 1", fix)
    from accelopt.hardware.spec import LIMITS
    from accelopt.simulate.design import MIN_DRAM_BYTES

    if n_bytes > LIMITS["memory_bytes"]:  # named here: the spec's own check blamed memory_bytes, asking for SI units
        raise InputError(f"--dram-bytes {text} is more than {LIMITS['memory_bytes']:g} bytes (10 PB), past any "
                         "accelerator's memory", fix)

    if n_bytes < MIN_DRAM_BYTES:  # named here: the design's own check would blame a dram_bytes the user did not write
        raise InputError(f"--dram-bytes {text} (the exported memory_bytes) is under {MIN_DRAM_BYTES:g} bytes, smaller "
                         "than any DRAM part: likely a figure in GB or MB",
                         f"--dram-bytes is in bytes: give {text}e9 if {text} is in GB, {text}e6 if in MB")
    return n_bytes


def _total(totals: Any, name: str) -> str:
    """A figure of a result (run totals, a sweep point) in the unit its field declares, as the --html page and
    `history` show it (the console's own '.3g' printed '0.124 TOPS/W' and '21.5 OP/B' where the page said 0.1243
    and 21.52)."""
    from accelopt import units

    return units.fmt_quantity(getattr(totals, name), units.unit_of(totals, name))


def _bytes(n_bytes: float) -> str:
    """Bytes as the --html page and `history` show them (the JSON unit 'B', in binary prefixes: MiB), so the
    console's figures read the same on the page."""
    from accelopt import units

    return units.fmt_quantity(n_bytes, "B")


def _check_convention(convention: str) -> None:
    """--convention read before the model is captured (gpt:realistic takes 40 s): a typo was said after the capture,
    by the engine ('convention 'code' is unknown'), not by its flag."""
    from accelopt.errors import InputError, close_matches
    from accelopt.simulate.dataflow import CONVENTIONS

    if convention in CONVENTIONS:
        return
    close = close_matches(convention, list(CONVENTIONS), n=1, cutoff=0.5)
    hint = f"did you mean --convention {close[0]}? " if close else ""
    raise InputError(f"--convention {convention!r} is unknown",
                     f"{hint}use paper (SCALE-Sim paper's 2R+C+T-2 cycles per fold, the default) or scalesim-code "
                     "(scalesim 3.0.0's own counts)")


def _check_html(html: Path | None) -> None:
    """--html checked before the simulation (a sweep of a large model takes minutes): a missing folder, a folder
    or an unwritable place exits 2 naming the path, where it was said only after the run (kept in the history)."""
    if html is not None:
        from accelopt.userio import check_writable

        check_writable(html, "--html", "report.html")


def run_simulation(opts: RunOptions) -> None:
    """`simulate run`: one design on one model, per layer; JSON or a table."""
    from accelopt.errors import InputError
    from accelopt.report.jsonout import emit
    from accelopt.simulate.design import get_design
    from accelopt.simulate.engine import simulate_kept

    if opts.max_rows < 0:
        raise InputError(f"--max-rows {opts.max_rows} is negative", "give 0 or more (--json lists every layer)")
    _check_convention(opts.source.convention)
    d = _with_bandwidth(get_design(opts.design), opts.unlimited_bandwidth)
    _check_html(opts.html)
    _check_save_topology(opts)
    layers, source = _layers(opts.source)
    saved = _save_topology(layers, opts.save_topology) if opts.save_topology is not None else None
    if saved is not None:  # said before the run: a run that fails or is stopped keeps the file (ut4sim, 2026-12-06)
        _say_saved_topology(saved, opts.as_json)
    try:
        result = simulate_kept(d, layers, opts.source.convention)  # Ctrl-C after the first part: the layers done
    except KeyboardInterrupt:
        if saved is None:
            raise
        # the generic line said 'nothing to show, save or record' with the topology already on disk
        print(printable(f"interrupted ({stopped_by()}) before `accelopt simulate run` finished: the topology "
                        f"written to {saved.path} is kept; no result to show or record"), file=sys.stderr)
        raise typer.Exit(130) from None
    from accelopt.report.runs import finish_run

    data = result.report(source)
    interrupted = len(result.names) < len(layers)
    if interrupted:  # kept, shown and recorded as `simulate sweep` keeps a stopped sweep's designs
        data = dataclasses.replace(data, interrupted=True, notes=[
            *data.notes, f"PARTIAL: interrupted ({stopped_by()}) after {len(result.names):,} of {len(layers):,} "
            "layers: the table and totals are those layers' only"])
    finish_run("simulate-run", data, opts.html)
    if opts.as_json:
        emit(data)
    else:
        _print_run(data, opts.max_rows)
    if interrupted:
        raise typer.Exit(130)


def _say_saved_topology(saved: Any, as_json: bool) -> None:
    """The --save-topology file's line and notes: on stderr under --json, as 'HTML report written to' is."""
    out = sys.stderr if as_json else sys.stdout
    print(printable(f"topology written to {saved.path} (SCALE-Sim {saved.format} format, {saved.rows:,} "
                    f"rows); read it back with `accelopt simulate run --topology {shlex.quote(saved.path)}`"),
          file=out)
    for note in saved.notes:
        print(printable(f"  {note}"), file=out)


def _check_save_topology(opts: RunOptions) -> None:
    """--save-topology checked before the model is built: a path that cannot be written, the --topology file being
    read, the --html page, or a file that is not a SCALE-Sim topology (a model file, a spreadsheet) exits 2."""
    from accelopt.errors import InputError
    from accelopt.userio import check_distinct_outputs, check_writable

    out = opts.save_topology
    if out is None:
        return
    check_writable(out, "--save-topology", "layers.csv")
    src = opts.source.topology
    if src is not None and os.path.realpath(src.expanduser()) == os.path.realpath(out.expanduser()):
        raise InputError(f"--save-topology {str(out)!r} is the --topology file being read: writing it would replace "
                         "the input", "give --save-topology a new file name, e.g. layers_out.csv")
    check_distinct_outputs([("--save-topology", out), ("--html", opts.html)])
    try:
        with open(out.expanduser(), "rb") as f:
            first = f.read(4096).decode("utf-8", "replace").lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    except OSError:
        return  # a new file
    if first and not first.replace(" ", "").lower().startswith(("layername,", "layer,")):
        raise InputError(f"cannot write --save-topology {str(out)!r}: the file exists and is not a SCALE-Sim topology, "
                         "so this would replace what it holds",
                         "give a new file name, e.g. --save-topology layers.csv, or move that file aside first")


def _save_topology(layers: Any, out: Path) -> Any:
    from accelopt.errors import InputError
    from accelopt.simulate.topology import save_topology

    try:
        return save_topology(layers, out.expanduser())
    except OSError as e:
        raise InputError(f"cannot write --save-topology {out}: {e.strerror or e}", "choose a writable path") from None


def _presets(json_out: bool) -> None:
    from accelopt.report.jsonout import emit
    from accelopt.simulate.design import load_preset, preset_names
    from accelopt.simulate.engine import energy_scaling

    designs = [load_preset(n) for n in preset_names()]
    if json_out:  # the NVDLA configurations too, which the text names on its last line (they are -d names)
        from accelopt.simulate.published import nvdla_by_name, nvdla_names
        from accelopt.simulate.results import SimPresetsDocument

        listed = [*designs, *(nvdla_by_name(n) for n in nvdla_names())]
        emit(SimPresetsDocument(count=len(listed), designs=listed))
        return
    from accelopt import units
    from accelopt.report.console import line, make_console

    con = make_console()
    for d in designs:
        con.print(line((d.name, "bold"), f" — {d.description}"))
        # peak and DRAM as `simulate run` prints them (this line said 91.75 TOPS where run said 91.8 TOP/s)
        con.print(f"  {d.rows}x{d.cols}x{d.cores} {d.dataflow}, {d.dtype}, {d.clock_hz / 1e6:g} MHz, "
                  f"peak {units.fmt_quantity(d.peak_op_per_s, 'OP/s')}, SRAM {d.sram_bytes / 1024:.0f} KiB, "
                  f"DRAM {units.fmt_byte_per_s(d.dram_bandwidth_byte_per_s)}, ridge {d.ridge_op_per_byte():.4g} OP/B")
        sc = energy_scaling(d)
        nominal = " (nominal)" if sc.vdd_is_nominal else ""
        con.print(f"  energy scaling (estimate): x{sc.factor_vs_45nm_0v9:.3g} vs Horowitz's 45 nm / 0.9 V "
                  f"at {d.tech_node_nm:g} nm, {sc.vdd_v:.2f} V{nominal} (Stillmaker & Baas 2017)")
        for field, src in d.sources.items():
            con.print(f"    {field}: {src}")
    from accelopt.simulate.published import nvdla_names

    con.print(f"also built in: {', '.join(nvdla_names())} (the NVDLA primer's configurations; "
              "`accelopt simulate published` lists them with their published ResNet-50 frames/s)")


def _array_axes(opts: SweepOptions) -> tuple[list[int], list[int], list[int]]:
    """--rows, --cols, --sram-kib as lists, each within a design's bounds (named by the flag: the design's own
    check named the TOML field, 'set rows to at most 65,536', after the model was captured)."""
    from accelopt import units
    from accelopt.simulate.design import MAX_ARRAY_SIDE, MAX_SRAM_BYTES

    return (units.parse_int_range(opts.rows, "--rows", maximum=MAX_ARRAY_SIDE),
            units.parse_int_range(opts.cols, "--cols", maximum=MAX_ARRAY_SIDE),
            units.parse_int_range(opts.sram_kib, "--sram-kib", maximum=MAX_SRAM_BYTES // 1024))


def run_design_sweep(opts: SweepOptions) -> None:
    """`simulate sweep`: the grid of designs on one model; the Pareto front."""
    from accelopt.simulate.design import get_design
    from accelopt.simulate.sweep import OBJECTIVES, grid, pareto_front, run_sweep

    _check_convention(opts.source.convention)
    base = get_design(opts.design)
    # the grid's flags are read before the model is captured (minutes for a large one), so a typo in them is
    # said at once, by its flag
    bws = (_bandwidths_byte_per_s(opts.bandwidth_gbps) if opts.bandwidth_gbps.strip()
           else [base.dram_bandwidth_byte_per_s])
    # dict.fromkeys: a repeated dataflow would evaluate (and list) the same designs twice
    dataflows = list(dict.fromkeys(x.strip().lower() for x in opts.dataflow.split(",") if x.strip()))
    from accelopt.errors import InputError
    from accelopt.simulate.design import DATAFLOWS

    if not dataflows:
        raise InputError(f"--dataflow {opts.dataflow!r} names no dataflow", "write e.g. --dataflow os,ws,is")
    unknown = [x for x in dataflows if x not in DATAFLOWS]
    if unknown:  # said here, by its flag: grid() said it after the model was captured (minutes for a large one)
        raise InputError(f"--dataflow {opts.dataflow!r}: {', '.join(map(repr, unknown))} is not a dataflow",
                         "use os, ws, is (systolic) or rs (row-stationary), comma-separated, e.g. --dataflow os,ws")
    bws = list(dict.fromkeys(bws))  # a repeated bandwidth would simulate (and list) the same designs twice
    rows, cols, sram_kib = _array_axes(opts)
    _check_html(opts.html)
    layers, source = _layers(opts.source)
    designs = grid(base, rows, cols, [s * 1024 for s in sram_kib], bws, dataflows)
    grid_note = _grid_note(opts, base.name, {"rows": rows, "cols": cols, "sram_kib": sram_kib,
                                             "bandwidth_gbps": bws, "dataflow": dataflows})
    skipped: list[str] = []  # designs the model cannot run on (an rs global buffer no mapping fits)
    capacity: list[str] = []  # layers over the designs' dram_bytes, as `simulate run` says them
    points = _sweep_with_progress(designs, layers, opts.source.convention, run_sweep, skipped, capacity)
    interrupted = len(points) + len(skipped) < len(designs)  # Ctrl-C: what was simulated is kept and recorded
    if not points and skipped and not interrupted:
        raise InputError(f"no design of the sweep can run this model ({len(skipped)} tried); e.g. {skipped[0]}",
                         "widen the grid: larger --sram-kib (an rs design's global buffer), --rows or --cols")
    if not points:
        print(f"interrupted ({stopped_by()}) before any design was simulated", file=sys.stderr)
        raise typer.Exit(130)
    front = pareto_front(points)
    from accelopt.report.runs import finish_run
    from accelopt.simulate.results import SimSweepResult

    fixed = _fixed_notes(base, swept_bandwidth=bool(opts.bandwidth_gbps.strip()))
    notes = ["estimates: energy from the Horowitz ISSCC 2014 table scaled to the node by "
             "Stillmaker & Baas 2017; " + _sweep_traffic_note(opts.source.convention, dataflows, bws), grid_note,
             *fixed]
    notes.extend(capacity)
    if skipped:
        notes.append(f"{len(skipped)} of {len(designs)} designs cannot run this model and were skipped: "
                     + "; ".join(skipped))
    if interrupted:
        notes.append(f"interrupted ({stopped_by()}) after {len(points)} of {len(designs)} designs: the front is theirs")
    data = SimSweepResult(source=source, base_design=base.name, evaluated=len(points),
                          objectives=list(OBJECTIVES), pareto_front=[p.row() for p in front], notes=notes,
                          interrupted=interrupted)
    finish_run("simulate-sweep", data, opts.html)
    _show_sweep(data, points, front, base, (grid_note, fixed), opts.as_json)
    if interrupted:
        raise typer.Exit(130)


def _sweep_traffic_note(convention: str, dataflows: list[str], bandwidths: list[float]) -> str:
    """Where the sweep's DRAM traffic and stalls come from, as `simulate run` says for one design (its footer and
    notes): the note read 'DRAM traffic from a tiling model' for every sweep, also where the points replayed
    SCALE-Sim's buffers (--convention scalesim-code at a finite bandwidth, engine._replay_scalesim_buffers) or ran
    the row-stationary mapping (rs)."""
    import math

    parts = []
    systolic = [x for x in dataflows if x != "rs"]
    if systolic:
        which = "/".join(systolic)
        if convention == "scalesim-code" and any(math.isfinite(b) for b in bandwidths):
            from accelopt.simulate.memory import MAX_REPLAY_ELEMS

            parts.append(f"{which} points at a finite bandwidth replay SCALE-Sim 3.0.0's USER-mode buffers "
                         "(accelopt.simulate.scalesim_trace) where SCALE-Sim runs them (one array, a word per cycle "
                         "or more, a layer it runs as one layer, a demand matrix of at most "
                         f"{MAX_REPLAY_ELEMS:,} entries), the tiling model (accelopt.simulate.memory) elsewhere")
        else:
            parts.append(f"{which} points from a buffer-aware tiling model (accelopt.simulate.memory)")
    if "rs" in dataflows:
        parts.append("rs points from the row-stationary mapping (accelopt.simulate.rowstationary)")
    return "DRAM traffic and stalls: " + "; ".join(parts)


def _grid_note(opts: SweepOptions, base: str, grid: dict[str, list[Any]]) -> str:
    """'grid: rows 16,32 x cols 16,32,64 (default) x ...': what was swept (grid: SweepOptions field -> the values
    swept), the values not given marked default."""
    import dataclasses

    given = {f.name: getattr(opts, f.name) != f.default for f in dataclasses.fields(SweepOptions)
             if f.default is not dataclasses.MISSING}

    def axis(label: str, name: str, fmt: Any = str) -> str:
        mark = "" if given[name] else (f" ({base}'s)" if name == "bandwidth_gbps" else " (default)")
        return f"{label} {','.join(fmt(v) for v in grid[name])}{mark}"

    def bw(b: float) -> str:  # GB/s, as typed
        return "inf" if b == float("inf") else f"{b / 1e9:g}"

    return "grid: " + " x ".join((axis("rows", "rows"), axis("cols", "cols"), axis("SRAM KiB each", "sram_kib"),
                                  axis("DRAM GB/s", "bandwidth_gbps", bw), axis("dataflow", "dataflow")))


_SWEPT_FIELDS = frozenset({"rows", "cols", "dataflow", "ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes"})
"""The design fields every sweep point sets (sweep.grid); the bandwidth too when --bandwidth-gbps is given."""


def _fixed_notes(base: Any, *, swept_bandwidth: bool) -> list[str]:
    """What every point keeps from the base design, with the base's assumptions on those fields: the sweep printed
    only '(base edge-npu)', not the clock, dtype, node, cores or DRAM latency its latencies and energies rest on,
    nor that the DRAM latency was an assumption (`simulate run` prints them)."""
    from accelopt import units

    latency = units.fmt_seconds(base.dram_latency_s)
    vdd = f"{base.vdd_v:g} V" if base.vdd_v is not None else "the node's nominal supply"
    fixed = (f"fixed at {base.name}'s: {base.cores} core{'' if base.cores == 1 else 's'}, "
             f"{base.clock_hz / 1e6:g} MHz, {base.dtype}, {base.tech_node_nm:g} nm, {vdd}, DRAM latency {latency}")
    swept = _SWEPT_FIELDS | ({"dram_bandwidth_byte_per_s"} if swept_bandwidth else set())
    kept = base.with_(sources={k: v for k, v in base.sources.items() if k not in swept})
    # the text alone: the console indents the assumptions under the 'fixed at' line (_show_sweep); --json carried
    # that indentation (fin1)
    return [fixed, *assumptions(kept)]


def _show_sweep(data: Any, points: Any, front: Any, base: Any, header: tuple[str, list[str]], as_json: bool) -> None:
    """The sweep as JSON, or the front as a table under `header`: the grid swept (also among data.notes) and what
    every point keeps from the base design (_fixed_notes, its assumptions indented here)."""
    grid_note, fixed = header
    from accelopt import units
    from accelopt.report.jsonout import emit

    if as_json:
        emit(data)
        return
    from rich.table import Table

    from accelopt.report.console import make_console

    con = make_console()
    designs = f"{len(points)} design{'' if len(points) == 1 else 's'}"  # '1 designs on' before
    con.print(f"{designs} on {data.source} (base {base.name}); Pareto front: {len(front)}")
    con.print(grid_note)  # the grid, defaults marked
    for i, note in enumerate(fixed):  # what every point keeps from the base design, user text plain
        con.print(note if i == 0 else f"  {note}", markup=False, highlight=False)
    t = Table()
    for c in ("rows", "cols", "dataflow", "SRAM each", "DRAM BW", "MAC units", "latency*", "energy*", "util",
              "TOPS/W*"):
        t.add_column(c, justify="right")
    for p in front:
        d = p.design
        # counts as the --html page's cells show them (units.fmt_count: 4,096 MAC units; str() printed 4096)
        t.add_row(units.fmt_count(d.rows), units.fmt_count(d.cols), d.dataflow,
                  units.fmt_bytes(d.ifmap_sram_bytes, binary=True),
                  "inf" if d.unlimited_bandwidth else units.fmt_byte_per_s(d.dram_bandwidth_byte_per_s),
                  units.fmt_count(d.macs),
                  units.fmt_seconds(p.latency_s), _energy(p.energy_j), units.fmt_pct(p.utilization),
                  _total(p.row(), "tops_per_w"))
    con.print(t)
    # the JSON's first note, so the console says where the traffic and stalls behind each latency come from
    con.print(f"* {data.notes[0]}; {LATENCY_TEXT}", markup=False, highlight=False)
    for note in data.notes:
        if "cannot run this model and were skipped" in note or "DRAM capacity is not modelled" in note:
            con.print(note, markup=False, highlight=False)
    if data.interrupted:
        con.print(data.notes[-1])


def _published(convention: str, chip: str, json_out: bool, html: Path | None) -> None:
    """Build the check (simulate.published), record it, print it (table or JSON); --html writes its page."""
    from accelopt.errors import InputError
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run
    from accelopt.simulate.published import published_result

    if chip.lower() not in ("nvdla", "eyeriss"):
        from accelopt.errors import close_matches

        close = close_matches(chip, ["nvdla", "eyeriss"], n=1, cutoff=0.6)
        hint = f"did you mean --chip {close[0]}? " if close else ""
        raise InputError(f"--chip {chip!r} has no published figures here", f"{hint}use --chip nvdla or --chip eyeriss")
    _check_convention(convention)
    if chip.lower() == "eyeriss" and convention != "paper":  # it was dropped without a word
        raise InputError(f"--convention {convention} applies to --chip nvdla only: Eyeriss is row-stationary, which "
                         "has no SCALE-Sim convention", "leave --convention out with --chip eyeriss")
    _check_html(html)
    result = published_result(chip.lower(), convention)
    finish_run("simulate-published", result, html)
    if json_out:
        emit(result)
    elif result.eyeriss is not None:
        from accelopt.cli.simulate_eyeriss import render_eyeriss

        render_eyeriss(result.eyeriss)
    else:
        _render_nvdla(result)


def _render_nvdla(result: Any) -> None:
    from rich.table import Table

    from accelopt import units
    from accelopt.report.console import make_console

    con = make_console()
    con.print(f"{result.source}: int8 ResNet-50 frames/s, published vs predicted (convention "
              f"{result.convention}); CBUF = convolution buffer (KiB), SDRAM in GB/s")
    t = Table()
    for col in ("design", "array", "CBUF", "SDRAM", "published", "predicted", "error", "util"):
        t.add_column(col, justify="left" if col == "design" else "right", no_wrap=col in ("design", "error"))
    for c in result.nvdla:
        d = c.design
        t.add_row(d.name, f"{d.rows}x{d.cols}", f"{(d.ifmap_sram_bytes + d.filter_sram_bytes) // 1024}K",
                  f"{d.dram_bandwidth_byte_per_s / 1e9:g}G", _total(c, "published_frames_per_s"),
                  _total(c, "predicted_frames_per_s"), f"{c.error:+.1%}", units.fmt_pct(c.utilization))
    con.print(t)
    for n in result.notes:
        con.print(f"  {n}")


def _export(design: str, out: Path, json_out: bool, dram_bytes: float | None = None, calibrate: bool = True,
            tdp_w: float | None = None) -> None:
    from accelopt.errors import InputError
    from accelopt.hardware.spec import unit_slip
    from accelopt.report.jsonout import emit
    from accelopt.simulate.design import get_design
    from accelopt.simulate.export import NO_TDP_LINE, write_spec_toml, write_text
    from accelopt.simulate.results import SimExportDocument
    from accelopt.userio import check_writable, refuse_foreign_file

    check_writable(out, "--out", "my-design.toml")  # a folder or a missing folder says so first
    if out.suffix.lower() not in (".toml", ".cfg"):  # the name picks the format; a spec is a device only as .toml
        raise InputError(f"--out {str(out)!r} ends in neither .toml nor .cfg",
                         "name the file like my-design.toml (catalog TOML: a device for plan/profile/catalog) or "
                         "my-design.cfg (a SCALE-Sim config)")
    refuse_foreign_file(out, "--out", "accelopt simulate export", f"my-design{out.suffix.lower()}")
    d = get_design(design)
    if dram_bytes is not None:
        if out.suffix.lower() == ".cfg":
            raise InputError("--dram-bytes is for a catalog TOML export: a SCALE-Sim config has no DRAM capacity",
                             f"leave --dram-bytes out, or write --out {out.with_suffix('.toml')}")
        d = d.with_(dram_bytes=dram_bytes, sources={**d.sources, "dram_bytes": "--dram-bytes on the command line"})
    if out.suffix.lower() == ".cfg":
        if tdp_w is not None:
            raise InputError("--tdp-w is for a catalog TOML export: a SCALE-Sim config has no power figure",
                             f"leave --tdp-w out, or write --out {out.with_suffix('.toml')}")
        if not calibrate:
            raise InputError("--no-calibration is for a catalog TOML export: a SCALE-Sim config carries no op-size "
                             "curve", f"leave --no-calibration out, or write --out {out.with_suffix('.toml')}")
        from accelopt.simulate.scalesim_cfg import cfg_omissions, scalesim_cfg_text, scalesim_command

        write_text(scalesim_cfg_text(d), out)
        omitted = cfg_omissions(d)
        if json_out:
            emit(SimExportDocument(written=str(out), format="scalesim-cfg", design=d, spec=None, not_in_cfg=omitted))
        else:
            print(printable(f"wrote {out} (SCALE-Sim config of design {d.name!r}); run it in SCALE-Sim with "
                            + scalesim_command(shlex.quote(str(out)))))
            for x in omitted:
                print(printable(f"  not in the config: {x}"))
        return
    spec = d.to_accelerator_spec()
    if tdp_w is not None:
        import dataclasses

        spec = dataclasses.replace(spec, tdp_w=tdp_w, sources={**spec.sources, "tdp_w": "--tdp-w on the command line"})
    if calibrate:
        spec = with_fitted_curve(d, spec)
    slip = unit_slip(spec)
    if slip is not None:  # a catalog file refuses such a figure as a unit slip: the file written would not load
        raise InputError(f"design {d.name!r} exports as a device whose {slip[0]} = {slip[2]}, which a catalog file "
                         "refuses as a unit slip (hardware/spec.py UNIT_SLIPS)",
                         _export_slip_fix(slip[0].split(".")[0], slip[1], dram_bytes is not None))
    write_spec_toml(spec, out)
    if json_out:
        emit(SimExportDocument(written=str(out), format="catalog-toml", design=d, spec=spec.to_dict(), not_in_cfg=[]))
    else:
        path = shlex.quote(str(out))  # a path with a space or a bracket, pasted back, must stay one argument
        print(printable(f"wrote {out} (device {spec.name!r}); use it with --catalog {path} or pass the path as a "
                        f"device (e.g. accelopt catalog show {path})"))
        if spec.inference_curve:
            curve = spec.inference_curve
            print(printable(f"  op-size curve for `plan infer`: matmul_eff_max {curve['matmul_eff_max']:.2f}, "
                            f"matmul_half_flop {curve['matmul_half_flop']:.3g} FLOP, "
                            f"{spec.sources['inference_curve.matmul_eff_max']}"))
        else:
            print("  no op-size curve (--no-calibration): `plan infer` labels its latency uncalibrated")
        print(printable(f"  TDP {spec.tdp_w:g} W ({spec.sources['tdp_w']})" if spec.tdp_w is not None
                        else f"  {NO_TDP_LINE}"))


def with_fitted_curve(design: Any, spec: Any) -> Any:
    """`spec` carrying the design's own op-size curve (AcceleratorSpec.inference_curve): matmul_eff_max and
    matmul_half_flop fitted on the design's simulated ladder (simulate/calibration.py, the declared rule), memory_eff
    and op_overhead_s as the simulator sets them; each with its source."""
    import dataclasses

    from accelopt.predict.inference import load_runtimes, runtime_for
    from accelopt.predict.inference_validation import fit_compute_curve
    from accelopt.simulate.calibration import curve_grid, design_facts, fit_source, simulate_ladder

    ladder = simulate_ladder(design)
    base = runtime_for(spec, load_runtimes())
    err, rt = fit_compute_curve(base, curve_grid(design), ladder.flops, ladder.peak_flop_per_s, ladder.compute_s)
    src = fit_source(ladder, err)
    curve = {"matmul_eff_max": (rt.matmul_eff_max, src), "matmul_half_flop": (rt.matmul_half_flop, src),
             **design_facts(design)}
    return dataclasses.replace(spec, inference_curve={k: v for k, (v, _) in curve.items()},
                               sources={**spec.sources, **{f"inference_curve.{k}": s for k, (_, s) in curve.items()}})


# design fields (or the flag) an exported spec field comes from (simulate/design.py to_accelerator_spec)
_EXPORT_SOURCES = {"peak_flop_per_s": "rows, cols, cores or clock_hz",
                   "memory_bandwidth_byte_per_s": "dram_bandwidth_byte_per_s (bytes/s)",
                   "sram_bytes": "ifmap_sram_bytes, filter_sram_bytes, ofmap_sram_bytes (bytes)"}


def _export_slip_fix(field: str, value: float, dram_flag: bool) -> str:
    """The fix for an exported figure a catalog file would refuse, naming what set it: memory_bytes is --dram-bytes
    (or the design's dram_bytes), in bytes, so a slip there is a figure in GB; the others scale the design up."""
    if field == "memory_bytes":
        where = "--dram-bytes" if dram_flag else "dram_bytes in the design's [design] table"
        return f"{where} is in bytes: give {value:g}e9 if {value:g} is in GB"
    if field == "tdp_w":  # set by --tdp-w alone, in watts: a figure in mW is the likely slip
        return f"--tdp-w is in watts: give {value / 1e3:g} if {value:g} is in mW"
    return (f"simulate the design (`accelopt simulate run`), or raise {_EXPORT_SOURCES.get(field, field)} before "
            "exporting it as a device")
