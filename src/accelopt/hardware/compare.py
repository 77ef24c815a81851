"""`accelopt catalog compare`: catalog devices side by side (typed result; JSON shape: accelopt.report.schema)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from accelopt.hardware.spec import DTYPES, AcceleratorSpec
from accelopt.units import unit as unit_field

INT_DTYPES = ("int8", "int4")  # integer dtypes count OP, not FLOP
_FIELDS = (("memory_bytes", "memory", "B"), ("memory_bandwidth_byte_per_s", "memory bandwidth", "B/s"),
           ("sram_bytes", "sram", "B"), ("scaleup_domain_devices", "scaleup domain devices", "count"),
           ("scaleup_bandwidth_byte_per_s", "scaleup bandwidth", "B/s"),
           ("scaleout_bandwidth_byte_per_s", "scaleout bandwidth", "B/s"), ("tdp_w", "tdp", "W"),
           ("price_usd_per_hour", "price usd per hour", "USD/h"))


@dataclass(frozen=True, kw_only=True)
class CompareRow:
    """One metric for every device (null where the catalog has no figure), with ratios against the first."""

    metric: str
    path: str
    """Field path in the spec (peak_flop_per_s.bf16, memory_bytes, ...) or the derived quantity."""
    unit: str
    """accelopt.units name of every value in `values`."""
    values: list[float | None] = field(metadata={"doc": "in `unit`, one per device (null: not in the catalog)"})
    ratio_vs_first: list[float | None] = unit_field("x", "value / the first device's value")
    formula: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompareResult:
    """`accelopt catalog compare`: datasheet figures of several devices side by side."""

    SCHEMA_KIND: ClassVar[str] = "catalog-compare"
    SCHEMA_VERSION: ClassVar[int] = 1

    devices: list[str]
    dtype: str
    rows: list[CompareRow]
    sources: dict[str, dict[str, str]]
    """device -> field path -> citation."""
    note: str


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return value / base


def _per(value: float | None, divisor: float | None, scale: float = 1.0) -> float | None:
    if value is None or divisor is None or divisor == 0:
        return None
    return value * scale / divisor


def compare_data(specs: list[AcceleratorSpec], dtype: str) -> CompareResult:
    """Side-by-side metrics; each row has values per device and ratios against the first device."""
    rows: list[CompareRow] = []
    op = "OP" if dtype in INT_DTYPES else "FLOP"

    def add(metric: str, path: str, u: str, values: list[float | None], formula: str | None = None) -> None:
        rows.append(CompareRow(metric=metric, path=path, unit=u, values=values,
                               ratio_vs_first=[_ratio(v, values[0]) for v in values], formula=formula))

    for d in DTYPES:
        values = [s.peak(d) for s in specs]
        if any(v is not None for v in values):
            add(f"peak {d}", f"peak_flop_per_s.{d}", "OP/s" if d in INT_DTYPES else "FLOP/s", values)
    for d in DTYPES:
        values = [s.measured_matmul_flop_per_s.get(d) for s in specs]
        if any(v is not None for v in values):
            add(f"measured matmul {d}", f"measured_matmul_flop_per_s.{d}", "FLOP/s", values)
    add(f"ridge {dtype}", f"ridge_flop_per_byte.{dtype}", f"{op}/B", [s.ridge_flop_per_byte(dtype) for s in specs],
        f"peak / memory bandwidth ({op} per byte)")
    for f, metric, u in _FIELDS:
        # spec.numbers(): the figures a file gives; a default in their place (scaleup_domain_devices = 1 where no
        # scale-up link is given) is missing here, not shown as if the datasheet said 1
        values = [s.numbers().get(f) for s in specs]
        if any(v is not None for v in values):
            add(metric, f, u, [None if v is None else float(v) for v in values])
    add(f"{dtype} {op} per joule at TDP", f"flop_per_j.{dtype}", f"{op}/J",
        [_per(s.peak(dtype), s.tdp_w) for s in specs], "peak / TDP")
    add(f"{dtype} {op} per dollar at peak", f"flop_per_usd.{dtype}", f"{op}/USD",
        [_per(s.peak(dtype), s.price_usd_per_hour, 3600.0) for s in specs], "peak x 3600 / price per hour")
    return CompareResult(devices=[s.name for s in specs], dtype=dtype, rows=rows,
                         sources={s.name: dict(s.sources) for s in specs}, note=_note(specs) + _no_peak(specs, dtype))


def _no_peak(specs: list[AcceleratorSpec], dtype: str) -> str:
    """'; none of the devices compared gives a peak for int4 ...' where none does: the --dtype rows read null with
    nothing saying that --dtype picked a figure none of them lists."""
    if any(s.peak(dtype) is not None for s in specs):
        return ""
    common = [d for d in DTYPES if all(s.peak(d) is not None for s in specs)]
    instead = f" (all of them give {', '.join(common)})" if common else ""
    return (f"; none of the devices compared gives a peak for {dtype}, so the rows derived from it are empty; pick "
            f"another --dtype{instead}")


def _note(specs: list[AcceleratorSpec]) -> str:
    """What the values are: datasheet peaks, except the figures of a spec `accelopt probe` measured (they were
    called datasheet peaks beside the catalog's)."""
    measured = [s.name for s in specs if s.measured]
    capped = [s.name for s in specs if s.memory_is_max_supported]  # 'memory 6 TB (70.16x)' of h100-sxm, unsaid
    return ("values are datasheet peaks (dense), measured matmul rates where the catalog has a cited measurement"
            + (f"; measured by accelopt probe, not datasheet figures: every value of {', '.join(measured)}"
               if measured else "")
            + (f"; memory of {', '.join(capped)} is the most the socket supports, not what a server has installed "
               "(memory_is_max_supported): its ratio compares that maximum" if capped else "")
            + "; derived rows show their formula; null: the device's file gives no figure (a missing "
              "scaleup_domain_devices is taken as 1, no scale-up link, by plan); sources: catalog show NAME")
