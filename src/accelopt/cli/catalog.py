"""`accelopt catalog`: list, show and compare the cited accelerator specs.

Every number printed comes from a catalog TOML entry with its source, or is derived from such
numbers by a formula shown beside it (ridge point = peak / memory bandwidth; FLOP per joule =
peak / TDP; FLOP per dollar = peak x 3600 / price per hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from accelopt.cli.html_first import HTML_RULE
from accelopt.hardware.compare import compare_data

if TYPE_CHECKING:
    from accelopt.hardware.catalog import Catalog
    from accelopt.hardware.spec import AcceleratorSpec
    from accelopt.report.catalog_documents import CatalogListRow, CatalogShowDocument

_INT_DTYPES = ("int8", "int4")

CATALOG_HELP = ("Extra catalog TOML file with your own or measured devices (repeatable); "
                "same format as the built-in files, see examples/my_accelerator.toml.")


# ---------------------------------------------------------------- loading
def load(files: list[Path] | None) -> Catalog:
    """The built-in catalog, plus user files when given (errors name file, device and field)."""
    from accelopt.hardware.catalog import default_catalog, load_catalog

    return load_catalog(files) if files else default_catalog()


def resolve(cat: Catalog, name: str) -> AcceleratorSpec:
    """A catalog name/alias, or a path to a one-device TOML (e.g. written by `accelopt probe`)."""
    from accelopt.hardware.catalog import get_device

    if not name.strip():  # Path('') is the working folder: "'' is a folder" named no problem the user had
        from accelopt.errors import InputError

        raise InputError("an empty device name", "give a device name (accelopt catalog list) or the path of a spec "
                         ".toml file")
    if name.strip().lower().endswith(".toml"):
        return get_device(name)
    if name not in cat and _is_path(name):  # else "unknown device" with a list of names, for a file it never read
        from pathlib import Path

        from accelopt.errors import InputError

        if Path(name).is_dir():
            raise InputError(f"{name!r} is a folder, not a device name",
                             "give a device name (accelopt catalog list) or the path of a spec .toml file")
        raise InputError(f"{name!r} is a path, not a device name: a spec file is read as a device only when its "
                         "name ends in .toml", f"rename it to a .toml name, or pass it with --catalog {name} and "
                         "give the device's name")
    return cat.get(name)


def _is_path(name: str) -> bool:
    from pathlib import Path

    try:
        return Path(name).exists()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL byte: not a path here
        return False


def check_dtype(dtype: str) -> str:
    from accelopt.errors import InputError
    from accelopt.hardware.spec import DTYPES

    d = dtype.strip().lower()
    if d not in DTYPES:
        raise InputError(f"--dtype {dtype!r} is not a known dtype", f"use one of {', '.join(DTYPES)}")
    return d


def check_kind(kind: str | None) -> str | None:
    from accelopt.errors import InputError
    from accelopt.hardware.spec import KINDS

    if kind is None:
        return None
    k = kind.strip().lower()
    if k not in KINDS:
        raise InputError(f"--kind {kind!r} is not a device kind", f"use one of {', '.join(KINDS)}")
    return k


# ---------------------------------------------------------------- formatting (display only)
def fmt_value(path: str, value: float | None) -> str:
    """Human text for one spec number, by its field path (SI inside, units chosen here)."""
    from accelopt import units

    if value is None:
        return "—"
    if path.startswith("measured_fused_attention_flop_per_s."):
        return units.fmt_flop_per_s(value)
    if path.startswith(("peak_flop_per_s.", "measured_matmul_flop_per_s.")):
        text = units.fmt_flop_per_s(value)
        return text.replace("FLOP/s", "OP/s") if path.split(".", 1)[1] in _INT_DTYPES else text
    if path in ("memory_bytes", "sram_bytes"):  # GB and GiB both, once where they read the same (under 1 kB)
        decimal, binary = units.fmt_bytes(value), units.fmt_bytes(value, binary=True)
        return decimal if decimal == binary else f"{decimal} ({binary})"
    if path.startswith("inference_curve."):  # keys of spec.INFERENCE_CURVE_KEYS: two fractions, FLOP, seconds
        key = path.split(".", 1)[1]
        if key.endswith("_eff_max") or key.endswith("_eff"):
            return units.fmt_pct(value)
        return units.fmt_flops(value) if key.endswith("_flop") else units.fmt_seconds(value)
    if path.endswith("_byte_per_s"):
        return units.fmt_byte_per_s(value)
    if path.endswith("_latency_s"):
        return units.fmt_seconds(value)
    if path.endswith("_w"):
        return units.fmt_watts(value)
    if path == "price_usd_per_hour":
        return f"{units.fmt_usd(value)}/h"
    if path == "scaleup_domain_devices":
        return f"{int(value)}"
    if path.startswith("ridge"):
        return f"{value:.4g} FLOP/B"  # OP/B for integer dtypes (relabelled by the caller)
    return f"{value:.4g}"


# ---------------------------------------------------------------- data for each command
def list_rows(specs: list[AcceleratorSpec], dtype: str) -> list[CatalogListRow]:
    from accelopt.report.catalog_documents import CatalogListRow

    return [CatalogListRow(name=s.name, display_name=s.display_name, kind=s.kind, vendor=s.vendor,
                           aliases=list(s.aliases), peak_flop_per_s=s.peak(dtype), memory_bytes=s.memory_bytes,
                           memory_bandwidth_byte_per_s=s.memory_bandwidth_byte_per_s, tdp_w=s.tdp_w,
                           price_usd_per_hour=s.price_usd_per_hour, price_date=s.price_date, measured=s.measured,
                           compute_capability=s.compute_capability)
            for s in specs]


def show_data(spec: AcceleratorSpec) -> CatalogShowDocument:
    """Every number with its source, plus ridge points derived per dtype."""
    from accelopt.report.catalog_documents import CatalogShowDocument, SourcedNumber

    numbers = [SourcedNumber(field=path, value=v, source=spec.sources.get(path))
               for path, v in spec.numbers().items()]
    ridges = {d: spec.ridge_flop_per_byte(d) for d in spec.peak_flop_per_s}
    return CatalogShowDocument(device=spec.to_dict(), numbers=numbers, ridge_flop_per_byte=ridges,
                               ridge_formula="peak_flop_per_s[dtype] / memory_bandwidth_byte_per_s",
                               compute_capability=spec.compute_capability,
                               compute_capability_source=spec.sources.get("compute_capability"))


def _fmt_row_value(path: str, v: float | None) -> str:
    from accelopt import units

    if v is None:
        return "—"
    # the page's rule (units.fmt_quantity, SI prefix as FLOP/s reads): '1414 GFLOP/J' and '2250 GFLOP/J' stood
    # beside the page's '1.41 TFLOP/J' / '2.25 TFLOP/J', '1.431 EFLOP/$' beside '1.43 EFLOP/USD' (uttrialC)
    if path.startswith("flop_per_j"):
        text = units.fmt_quantity(v, "FLOP/J")
    elif path.startswith("flop_per_usd"):
        text = units.fmt_quantity(v, "FLOP/USD")
    else:
        text = fmt_value(path, v)
    is_int = path.rsplit(".", 1)[-1] in _INT_DTYPES  # integer dtypes count OP, not FLOP
    return text.replace("FLOP", "OP") if is_int else text


# ---------------------------------------------------------------- commands
@dataclass(frozen=True)
class ListOptions:
    """`accelopt catalog list`, as typed."""

    kind: str | None = None
    catalog: tuple[Path, ...] = ()
    dtype: str = "bf16"
    as_json: bool = False


@dataclass(frozen=True)
class ShowOptions:
    """`accelopt catalog show NAME`, as typed."""

    name: str
    catalog: tuple[Path, ...] = ()
    as_json: bool = False


@dataclass(frozen=True)
class CompareOptions:
    """`accelopt catalog compare NAME NAME ...`, as typed."""

    names: tuple[str, ...]
    dtype: str = "bf16"
    catalog: tuple[Path, ...] = ()
    as_json: bool = False
    html: Path | None = None


def run_list(opts: ListOptions) -> None:
    from accelopt.report.jsonout import emit

    k, d = check_kind(opts.kind), check_dtype(opts.dtype)
    specs = load(list(opts.catalog)).by_kind(k)
    rows = list_rows(specs, d)
    if opts.as_json:
        from accelopt.report.catalog_documents import CatalogListDocument

        emit(CatalogListDocument(kind=k, dtype=d, count=len(rows), devices=rows))
        return
    _print_list(specs, d, k)


def run_show(opts: ShowOptions) -> None:
    from accelopt.report.jsonout import emit

    spec = resolve(load(list(opts.catalog)), opts.name)
    if opts.as_json:
        emit(show_data(spec))
        return
    _print_show(spec)


def _compare_names(args: tuple[str, ...]) -> tuple[str, ...]:
    """The device names of `catalog compare`'s arguments, space- or comma-separated as --hardware takes them
    ('h100-sxm,mi300x' was one name: "at least two devices, got 1"); a blank argument stays, for resolve to say
    'an empty device name'."""
    out: list[str] = []
    for arg in args:
        out += [n.strip() for n in arg.split(",") if n.strip()] if arg.strip() else [arg]
    return tuple(out)


def _resolve_all(cat: Catalog, names: tuple[str, ...]) -> list[AcceleratorSpec]:
    """Every name resolved; where several are wrong, one error names them all with each one's fix (the first alone
    was said: `compare h100 mi300 tpuv4` named mi300, and its fix then met 'unknown device tpuv4')."""
    from accelopt.errors import InputError

    specs: list[AcceleratorSpec] = []
    wrong: list[tuple[str, InputError]] = []
    for name in names:
        try:
            specs.append(resolve(cat, name))
        except InputError as e:
            wrong.append((name, e))
    if len(wrong) == 1:
        raise wrong[0][1]
    if wrong:
        raise InputError("; ".join(e.problem for _, e in wrong), "; ".join(f"{n!r}: {e.fix}" for n, e in wrong))
    return specs


def run_compare(opts: CompareOptions) -> None:
    from accelopt.errors import InputError
    from accelopt.report.jsonout import emit
    from accelopt.report.runs import finish_run

    names = _compare_names(opts.names)
    if len(names) < 2:
        raise InputError(f"compare needs at least two devices, got {len(names)}",
                         "name two or more, e.g. `accelopt catalog compare h100-sxm mi300x`")
    d = check_dtype(opts.dtype)
    cat = load(list(opts.catalog))
    specs = _resolve_all(cat, names)
    dup = sorted({sp.name for sp in specs if [x.name for x in specs].count(sp.name) > 1})
    if dup:  # comparing a device with itself gives only 1.00x ratios
        raise InputError(f"compare names {', '.join(dup)} more than once (names or aliases)",
                         "name each device once, e.g. `accelopt catalog compare h100-sxm mi300x`")
    data = compare_data(specs, d)
    finish_run("catalog-compare", data, opts.html)
    if opts.as_json:
        emit(data)
        return
    _print_compare(data)


def register(app: typer.Typer) -> None:
    cat_app = typer.Typer(help="Cited accelerator specs: list, show (every number with its source), compare.",
                          no_args_is_help=True)

    @cat_app.command("list", help="List catalog devices, optionally of one kind.")
    def list_cmd(
        kind: str | None = typer.Option(None, "--kind", help="gpu, tpu, asic, fpga, npu or cpu"),
        catalog: list[Path] | None = typer.Option(None, "--catalog", help=CATALOG_HELP),
        dtype: str = typer.Option("bf16", "--dtype", help="which dense peak to show in the table"),
        json: bool = typer.Option(False, "--json", help="print JSON only"),
    ) -> None:
        run_list(ListOptions(kind=kind, catalog=tuple(catalog or ()), dtype=dtype, as_json=json))

    @cat_app.command("show", help="Show one device: every number with its source, and ridge points per dtype.")
    def show_cmd(
        name: str = typer.Argument(..., help="device name or alias (e.g. h100-sxm), or a spec .toml path"),
        catalog: list[Path] | None = typer.Option(None, "--catalog", help=CATALOG_HELP),
        json: bool = typer.Option(False, "--json", help="print JSON only"),
    ) -> None:
        run_show(ShowOptions(name=name, catalog=tuple(catalog or ()), as_json=json))

    @cat_app.command("compare", help="Compare devices side by side with ratios against the first one.")
    def compare_cmd(
        names: list[str] = typer.Argument(..., help="two or more device names or aliases, space- or comma-separated "
                                                "(h100-sxm mi300x, or h100-sxm,mi300x)"),
        dtype: str = typer.Option("bf16", "--dtype", help="dtype for ridge point and efficiency rows"),
        catalog: list[Path] | None = typer.Option(None, "--catalog", help=CATALOG_HELP),
        json: bool = typer.Option(False, "--json", help="print JSON only"),
        html: Path | None = typer.Option(None, "--html", help="also write a self-contained HTML report here"
                                                              + HTML_RULE),
    ) -> None:
        run_compare(CompareOptions(names=tuple(names), dtype=dtype, catalog=tuple(catalog or ()), as_json=json,
                                   html=html))

    app.add_typer(cat_app, name="catalog")


def _print_list(specs: list[AcceleratorSpec], dtype: str, kind: str | None) -> None:
    from rich.table import Table

    from accelopt import units
    from accelopt.hardware.spec import KINDS
    from accelopt.report.console import make_console

    table = Table(title=f"accelopt catalog ({len(specs)} devices{', kind ' + kind if kind else ''})")
    table.add_column("name", no_wrap=True)
    for col in ("kind", "vendor", f"{dtype} peak (dense)", "memory", "bandwidth", "TDP", "price"):
        table.add_column(col)
    for s in sorted(specs, key=lambda s: (KINDS.index(s.kind), s.vendor, s.name)):
        price = "—"
        if s.price_usd_per_hour is not None:
            price = f"{fmt_value('price_usd_per_hour', s.price_usd_per_hour)}\n{s.price_date}"
        table.add_row(s.name + (" (measured)" if s.measured else ""), s.kind, s.vendor,
                      fmt_value(f"peak_flop_per_s.{dtype}", s.peak(dtype)),
                      units.fmt_bytes(s.memory_bytes) + (" max*" if s.memory_is_max_supported else ""),
                      fmt_value("memory_bandwidth_byte_per_s", s.memory_bandwidth_byte_per_s),
                      fmt_value("tdp_w", s.tdp_w), price)
    console = make_console()
    console.print(table)
    if any(s.memory_is_max_supported for s in specs):  # 'epyc-9654 memory 6 TB' read as memory it has
        console.print("max*: the most memory the socket supports, not what a server has installed "
                      "(memory_is_max_supported)")
    console.print("Sources for every number: accelopt catalog show NAME")


def _print_show(spec: AcceleratorSpec) -> None:
    from rich.table import Table

    from accelopt.report.console import make_console

    console = make_console()  # plain text: `[{spec.name}]` below would be read as a style tag by rich markup
    head = f"{spec.display_name}  [{spec.name}]  kind={spec.kind}  vendor={spec.vendor or '—'}"
    if spec.aliases:
        head += f"  aliases={', '.join(spec.aliases)}"
    if spec.measured:
        head += "  (measured by accelopt probe)"
    console.print(head)
    table = Table(show_lines=False)
    table.add_column("field", no_wrap=True)  # a field name is what users grep for and write in spec TOMLs
    for col in ("value", "source"):
        table.add_column(col, overflow="fold")
    for path, v in spec.numbers().items():
        table.add_row(path, fmt_value(path, v), spec.sources.get(path, "—"))
    if spec.compute_capability is not None:  # a cited figure that is text ('10.3'), not among numbers()
        table.add_row("compute_capability", spec.compute_capability, spec.sources.get("compute_capability", "—"))
    console.print(table)
    idle_said = spec.tdp_w is not None and spec.idle_w is None  # the idle-power line below says what stands in
    missing = [m for m in spec.missing_numbers() if not (m == "idle_w" and idle_said)]
    if missing:  # said missing, not left out silently (null in --json; 1 for a defaulted scale-up domain)
        console.print("not stored (no cited figure; null in --json, where an uncited scaleup_domain_devices reads 1: "
                      "no scale-up link): " + ", ".join(missing))
    if spec.price_date:
        console.print(f"price date: {spec.price_date}")
    ridges = Table(title="ridge point = peak / memory bandwidth (derived)")
    ridges.add_column("dtype")
    ridges.add_column("FLOP (OP) per byte")
    for d in spec.peak_flop_per_s:
        ridges.add_row(d, _fmt_row_value(f"ridge.{d}", spec.ridge_flop_per_byte(d)))
    console.print(ridges)
    if idle_said:  # what energy predictions use in its place, said here too
        from accelopt.hardware.power import IDLE_FRACTION_SOURCE, idle_power_w

        console.print(f"idle power: no idle_w in the spec; energy predictions count idle time at "
                      f"{idle_power_w(spec):g} W, "
                      f"{IDLE_FRACTION_SOURCE} — give idle_w in a spec TOML to replace it")
    if spec.notes:
        console.print(f"notes: {spec.notes}")


def _print_compare(data: Any) -> None:
    from rich.table import Table

    from accelopt.report.console import make_console
    from accelopt.units import fmt_ratio

    names = data.devices
    table = Table(title=f"compare (ratios vs {names[0]}); dtype {data.dtype}")
    table.add_column("metric")
    for n in names:
        table.add_column(n)
    for row in data.rows:
        cells = []
        for i, v in enumerate(row.values):
            text = _fmt_row_value(row.path, v)
            r = row.ratio_vs_first[i]
            if i > 0 and r is not None:
                text += f"  ({fmt_ratio(r)}x)"  # the one ratio rule (1/1000 was 0.00x)
            cells.append(text)
        label = row.metric + (f"  [{row.formula}]" if row.formula else "")
        table.add_row(label, *cells)
    console = make_console()
    console.print(table)
    note = data.note.replace("null:", "—:")  # the JSON's null is the table's —
    console.print(note[:1].upper() + note[1:])
