"""Typed results of `accelopt simulate run` and `simulate sweep` (JSON shape: accelopt.report.schema).

Every number declares its unit (accelopt.units.unit); energy and DRAM traffic are model estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from accelopt.simulate.design import Design
from accelopt.simulate.rowstationary import RsMapping
from accelopt.units import unit

_NEED_DOC = ("DRAM bandwidth for no bandwidth stalls beyond each layer's first fill (that fill, the DRAM latency and "
             "stationary-operand reloads stall at any bandwidth)")
_STALL_DOC = ("cycles the array waits (memory.stalls): each layer's first fill from DRAM, DRAM transfers that outlast "
              "its compute, the design's dram_latency_s, stationary-operand reloads (reload_cycles); under "
              "--convention scalesim-code, SCALE-Sim's own stalls where its buffers are replayed")
_LATENCY_DOC = ("estimate: total_cycles / clock, compute and stall cycles of the layers listed (its stalls rest on "
                "the tiling model's DRAM traffic); ops without MACs to map (pooling, activations) and host transfers "
                "are not in it")


@dataclass(frozen=True, kw_only=True)
class SimLayer:
    """One layer (a GEMM of M x N x K, `repeats` times) on the array; counts, cycles, bytes and energies are for the
    whole layer, all repeats together."""

    name: str
    kind: str
    m: int = unit("count")
    n: int = unit("count")
    k: int = unit("count")
    repeats: int = unit("count")
    macs: int = unit("count", "multiply-accumulates of the layer: M x N x K x repeats")
    folds: int = unit("count", "tiles of the GEMM mapped onto the array: row_folds x col_folds x repeats")
    row_folds: int = unit("count")
    col_folds: int = unit("count")
    mapping_efficiency: float = unit("fraction", "PEs the tiles occupy")
    compute_utilization: float = unit("fraction", "MACs / (PEs x compute cycles)")
    compute_cycles: int = unit("cycles")
    dram_cycles: float = unit("cycles", "cycles the DRAM traffic takes at the design's bandwidth")
    reload_cycles: float = unit("cycles", "re-loading the stationary operand per extra accumulator chunk (stalls)")
    latency_cycles: float = unit("cycles", "waiting on the design's dram_latency_s, once per layer (stalls at any "
                                 "bandwidth; 0 where SCALE-Sim's buffers are replayed, which model no latency)",
                                 default=0.0)
    stall_cycles: float = unit("cycles", _STALL_DOC)
    total_cycles: float = unit("cycles", "compute_cycles + stall_cycles")
    latency_s: float = unit("s", _LATENCY_DOC)
    utilization: float = unit("fraction", "MACs / (PEs x total cycles)")
    ifmap_sram_reads: int = unit("count")
    filter_sram_reads: int = unit("count")
    ofmap_sram_writes: int = unit("count")
    psum_sram_reads: int = unit("count")
    rf_accesses: int = unit("count", "register-file accesses")
    sram_reads: float = unit("count")
    sram_writes: float = unit("count")
    dram_ifmap_read_bytes: float = unit("B", "estimate (tiling model)")
    dram_filter_read_bytes: float = unit("B", "estimate (tiling model)")
    dram_ofmap_write_bytes: float = unit("B", "estimate (tiling model)")
    dram_psum_bytes: float = unit("B", "estimate: partial sums spilled to DRAM and read back")
    input_reuse_factor: float = unit("x", "DRAM reads of each unique input element per pass")
    dram_bytes: float = unit("B", "estimate (tiling model)")
    bandwidth_needed_byte_per_s: float = unit("B/s", _NEED_DOC)
    energy_mac_j: float = unit("J", "estimate")
    energy_register_j: float = unit("J", "estimate")
    energy_sram_j: float = unit("J", "estimate")
    energy_dram_j: float = unit("J", "estimate")
    energy_j: float = unit("J", "estimate")
    tops_per_w: float = unit("TOPS/W", "estimate")
    rs_mapping: RsMapping | None = None
    """The row-stationary mapping (dataflow 'rs' only); for rs, folds are processing passes, row_folds strips."""


@dataclass(frozen=True, kw_only=True)
class EnergyBreakdown:
    """Energy by where it is spent (estimates)."""

    mac_j: float = unit("J")
    register_j: float = unit("J")
    sram_j: float = unit("J")
    dram_j: float = unit("J")


@dataclass(frozen=True, kw_only=True)
class SimTotals:
    """Sums over the layers (x repeats) and the figures derived from them."""

    layers: int = unit("count")
    macs: float = unit("count")
    ops: float = unit("OP", "2 per MAC")
    compute_cycles: float = unit("cycles")
    stall_cycles: float = unit("cycles", _STALL_DOC)
    total_cycles: float = unit("cycles", "compute_cycles + stall_cycles")
    latency_s: float = unit("s", _LATENCY_DOC)
    utilization: float = unit("fraction")
    achieved_op_per_s: float = unit("OP/s")
    dram_bytes: float = unit("B", "estimate")
    dram_read_bytes: float = unit("B", "estimate")
    dram_write_bytes: float = unit("B", "estimate")
    dram_psum_spill_bytes: float = unit("B", "estimate: partial sums spilled to DRAM and read back")
    bandwidth_needed_byte_per_s: float = unit("B/s", _NEED_DOC)
    sram_reads: float = unit("count")
    sram_writes: float = unit("count")
    energy_j: float = unit("J", "estimate")
    energy_breakdown: EnergyBreakdown
    tops_per_w: float = unit("TOPS/W", "estimate")
    intensity_op_per_dram_byte: float = unit("OP/B")


@dataclass(frozen=True, kw_only=True)
class SimRoofline:
    """The design's roofline: peak, DRAM bandwidth and the ridge between them."""

    peak_op_per_s: float = unit("OP/s")
    dram_bandwidth_byte_per_s: float = unit("B/s")
    ridge_op_per_byte: float = unit("OP/B")
    ridge_mac_per_byte: float = unit("MAC/B", "MACs per byte (1 MAC = 2 OP)")


@dataclass(frozen=True, kw_only=True)
class EnergyScaling:
    """How the 45 nm / 0.9 V energy table was scaled to the design's node (an estimate)."""

    node_nm: float = unit("nm")
    vdd_v: float = unit("V")
    vdd_is_nominal: bool
    factor_vs_45nm_0v9: float = unit("x")
    source: str

    def scaled_text(self) -> str:
        """'Horowitz ISSCC 2014 (45 nm, 0.9 V) scaled to 16 nm at 0.85 V (nominal) by Stillmaker & Baas 2017
        (x0.198)': the one wording of `simulate run`'s footer and its page."""
        nominal = " (nominal)" if self.vdd_is_nominal else ""
        return (f"Horowitz ISSCC 2014 (45 nm, 0.9 V) scaled to {self.node_nm:g} nm at {self.vdd_v:.2f} V{nominal} by "
                f"Stillmaker & Baas 2017 (x{self.factor_vs_45nm_0v9:.3g})")


@dataclass(frozen=True, kw_only=True)
class SimRunResult:
    """`accelopt simulate run`: a design over a layer list, layer by layer."""

    SCHEMA_KIND: ClassVar[str] = "simulate-run"
    SCHEMA_VERSION: ClassVar[int] = 4
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)
    """Version 2 declares roofline.ridge_mac_per_byte in MAC/B (was OP/B, half its value's meaning); the values are
    the same, so version 1 reads. Version 3 adds layers[].latency_cycles (0 in the versions before). Version 4 adds
    interrupted (false in the versions before)."""

    source: str
    design: Design
    dataflow: str
    convention: str
    roofline: SimRoofline
    totals: SimTotals
    layers: list[SimLayer]
    energy_scaling: EnergyScaling
    notes: list[str]
    interrupted: bool = False
    """Ctrl-C (or SIGTERM) stopped the run: `layers` and `totals` are the layers simulated before it (totals.layers
    of the model's, said in the last note), a partial run."""


@dataclass(frozen=True, kw_only=True)
class SweepRow:
    """One design of a sweep, with its totals."""

    name: str
    rows: int = unit("count")
    cols: int = unit("count")
    cores: int = unit("count")
    dataflow: str
    sram_bytes_each: int = unit("B", "each of the three operand SRAMs")
    sram_bytes: int = unit("B", "all operand SRAMs")
    macs: int = unit("count", "MAC units")
    dram_bandwidth_byte_per_s: float = field(metadata={"unit": "B/s", "doc": "", "null_means": math.inf})
    """inf = unlimited (no bandwidth stalls); JSON writes it as null, read back as inf."""
    latency_s: float = unit("s", _LATENCY_DOC)
    energy_j: float = unit("J", "estimate")
    utilization: float = unit("fraction")
    tops_per_w: float = unit("TOPS/W", "estimate")


@dataclass(frozen=True, kw_only=True)
class SimSweepResult:
    """`accelopt simulate sweep`: the Pareto front of a design-space sweep."""

    SCHEMA_KIND: ClassVar[str] = "simulate-sweep"
    SCHEMA_VERSION: ClassVar[int] = 1

    source: str
    base_design: str
    evaluated: int = unit("count", "designs simulated")
    objectives: list[str]
    pareto_front: list[SweepRow]
    notes: list[str]
    interrupted: bool = False
    """Ctrl-C stopped the sweep: `evaluated` designs of the grid were simulated, the front is theirs."""


# ---------------------------------------------------------------- documents that are not results
# (accelopt.report.schema.DOCUMENT_CLASSES: versioned, with a JSON Schema; no run recorded, no HTML page)
@dataclass(frozen=True, kw_only=True)
class SimPresetsDocument:
    """`accelopt simulate presets --json`: the built-in designs (and the NVDLA configurations) that --design takes,
    every number with its source. A bare JSON list before."""

    SCHEMA_KIND: ClassVar[str] = "simulate-presets"
    SCHEMA_VERSION: ClassVar[int] = 1

    count: int = unit("count", "designs listed")
    designs: list[Design]


@dataclass(frozen=True, kw_only=True)
class SimExportDocument:
    """`accelopt simulate export --json`: the file written and what it holds. An unnamed object before."""

    SCHEMA_KIND: ClassVar[str] = "simulate-export"
    SCHEMA_VERSION: ClassVar[int] = 1

    written: str = field(metadata={"doc": "the --out path"})
    format: Literal["catalog-toml", "scalesim-cfg"] = field(metadata={"doc": "picked by --out's ending (.toml, .cfg)"})
    design: Design
    spec: dict[str, Any] | None = field(metadata={"doc": "catalog-toml: the AcceleratorSpec written (SI units as its "
                                                         "field names say, `sources` per number); null for a .cfg"})
    not_in_cfg: list[str] = field(metadata={"doc": "scalesim-cfg: the design's figures a SCALE-Sim config cannot hold"})
