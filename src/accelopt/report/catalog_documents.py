"""The `--json` documents of `accelopt catalog list` and `catalog show`: typed and versioned, with a JSON Schema
(`accelopt schema catalog-list`, `catalog-show`). They show catalog entries, not a run: not recorded, no HTML page
(accelopt.report.schema.DOCUMENT_CLASSES). `catalog compare` is a result (catalog-compare)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class CatalogListRow:
    """One catalog device, as `catalog list` shows it."""

    name: str
    display_name: str
    kind: str = field(metadata={"doc": "gpu, tpu, npu, asic, fpga, cpu, ..."})
    vendor: str
    aliases: list[str]
    peak_flop_per_s: float | None = unit("FLOP/s", "dense datasheet peak in the document's `dtype` (integer "
                                                   "dtypes: OP/s); null: no figure for it")
    memory_bytes: float | None = unit("B")
    memory_bandwidth_byte_per_s: float | None = unit("B/s")
    tdp_w: float | None = unit("W")
    price_usd_per_hour: float | None = unit("USD/h")
    price_date: str | None = field(metadata={"doc": "YYYY-MM of the price"})
    measured: bool = field(metadata={"doc": "a spec measured by `accelopt probe`, not a datasheet"})
    compute_capability: str | None = field(default=None, metadata={
        "doc": "NVIDIA GPUs: the CUDA compute capability 'major.minor' (null: not an NVIDIA GPU, or not cited); added "
               "in version 2"})


@dataclass(frozen=True, kw_only=True)
class CatalogListDocument:
    """`accelopt catalog list --json`: the catalog's devices (of one --kind, or all)."""

    SCHEMA_KIND: ClassVar[str] = "catalog-list"
    SCHEMA_VERSION: ClassVar[int] = 2
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1,)
    """Version 2 added each row's compute_capability (version 1 reads without it)."""

    kind: str | None = field(metadata={"doc": "the --kind asked (null: every kind)"})
    dtype: str = field(metadata={"doc": "the precision of each row's peak_flop_per_s (--dtype)"})
    count: int = unit("count", "devices listed")
    devices: list[CatalogListRow]


@dataclass(frozen=True, kw_only=True)
class SourcedNumber:
    """One number of a device with its source."""

    # dataclasses.field: the field named `field` (the document's key) hides dataclasses' `field` below it
    field: str = dataclasses.field(metadata={"doc": "the spec's field path (peak_flop_per_s.bf16, memory_bytes, ...)"})
    value: float = dataclasses.field(metadata={"doc": "in the SI unit that `field` names (per second, bytes, watts, "
                                                      "USD/h)"})
    source: str | None = dataclasses.field(metadata={"doc": "datasheet, paper or measurement it comes from"})


@dataclass(frozen=True, kw_only=True)
class CatalogShowDocument:
    """`accelopt catalog show NAME --json`: one device, every number with its source, ridge points per dtype."""

    SCHEMA_KIND: ClassVar[str] = "catalog-show"
    SCHEMA_VERSION: ClassVar[int] = 2
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1,)
    """Version 2 added compute_capability and compute_capability_source (version 1 reads without them)."""

    device: dict[str, Any] = field(metadata={"doc": "the catalog entry as its TOML holds it (numbers as [value, "
                                                    "source]; the catalog file format, see docs)"})
    numbers: list[SourcedNumber]
    ridge_flop_per_byte: dict[str, float | None] = unit("FLOP/B", "dtype -> peak / memory bandwidth (integer "
                                                                  "dtypes: OP/B)")
    ridge_formula: str
    compute_capability: str | None = field(default=None, metadata={
        "doc": "NVIDIA GPUs: the CUDA compute capability 'major.minor', a cited figure that is text, so not among "
               "`numbers` (null: not an NVIDIA GPU, or not cited)"})
    compute_capability_source: str | None = field(default=None, metadata={"doc": "where compute_capability comes "
                                                                                 "from"})
