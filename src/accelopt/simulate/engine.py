"""Run a design over a layer list: cycles, latency, utilization, traffic, energy, roofline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from accelopt import units
from accelopt.errors import InputError
from accelopt.simulate.dataflow import LayerArrays, compute
from accelopt.simulate.design import DATAFLOW_NAMES, Design
from accelopt.simulate.energy import energy_table
from accelopt.simulate.layers import Layer, weight_elems
from accelopt.simulate.memory import (
    ACTIVE_FRACTION,
    MAX_REPLAY_ELEMS,
    PSUM_BYTES,
    dram_traffic,
    fill_bytes,
    latency_cycles,
    reload_cycles,
    scalesim_user_columns,
    stalls,
)
from accelopt.simulate.results import (
    EnergyBreakdown,
    EnergyScaling,
    SimLayer,
    SimRoofline,
    SimRunResult,
    SimTotals,
)
from accelopt.simulate.rowstationary import LayerMappingError, RsMapping, rs_array
from accelopt.simulate.rowstationary import compute as rs_compute

ENERGY_PARTS = ("mac", "register", "sram", "dram")


def layer_arrays(layers: Sequence[Layer]) -> LayerArrays:
    if not layers:
        raise InputError("no layers to simulate", "give a model, a topology CSV or a workload with GEMM/conv ops")
    cols = np.array([(x.m, x.n, x.k, x.repeats, x.ifmap_elems, *_window(x)) for x in layers], dtype=np.int64)
    return LayerArrays(m=cols[:, 0], n=cols[:, 1], k=cols[:, 2], repeats=cols[:, 3], ifmap_elems=cols[:, 4],
                       kh=cols[:, 5], kw=cols[:, 6], stride=cols[:, 7], w_in=cols[:, 8], cin_g=cols[:, 9],
                       batch=cols[:, 10], h_out=cols[:, 11])


def _window(x: Layer) -> tuple[int, int, int, int, int, int, int]:
    """(kh, kw, stride, padded input width, input channels per group, images, output rows); a GEMM is
    M images of one pixel (1, 1, 1, 1, 1, M, 1)."""
    c = x.conv
    if c is None:
        return 1, 1, 1, 1, 1, x.m, 1
    return c.kh, c.kw, c.stride, c.w_in + 2 * c.padding, c.c_in // c.groups, c.n, c.h_out


@dataclass
class SimResult:
    """Per-layer columns (numpy arrays, shape (L,)) and the design they ran on."""

    design: Design
    names: list[str]
    kinds: list[str]
    convention: str
    cols: dict[str, np.ndarray] = field(repr=False)
    rs_mappings: list[RsMapping] | None = field(default=None, repr=False)
    """The row-stationary mapping of each layer (dataflow 'rs' only)."""
    weight_elems: int | None = None
    """Elements of the weights the run reads (Layer.weights: K x N x repeats of each such layer); None when the
    layers came as arrays (sweep, published), which do not say which operand is a weight."""

    # ---- totals
    def total(self, key: str) -> float:
        return float(self.cols[key].sum())

    @property
    def total_cycles(self) -> float:
        return self.total("total_cycles")

    @property
    def latency_s(self) -> float:
        return self.total_cycles / self.design.clock_hz

    @property
    def energy_j(self) -> float:
        return self.total("energy_j")

    @property
    def macs(self) -> float:
        return self.total("macs")

    def totals(self) -> SimTotals:
        d = self.design
        cyc = self.total_cycles
        dram = self.total("dram_bytes")
        e = self.energy_j
        return SimTotals(
            layers=len(self.names), macs=self.macs, ops=2 * self.macs,
            compute_cycles=self.total("compute_cycles"), stall_cycles=self.total("stall_cycles"),
            total_cycles=cyc, latency_s=self.latency_s,
            utilization=self.macs / (cyc * d.macs) if cyc else 0.0,
            achieved_op_per_s=2 * self.macs / self.latency_s if cyc else 0.0,
            dram_bytes=dram, dram_read_bytes=dram - self._write_bytes(),
            dram_write_bytes=self._write_bytes(), dram_psum_spill_bytes=self.total("dram_psum_bytes"),
            bandwidth_needed_byte_per_s=self.bandwidth_needed_byte_per_s(),
            sram_reads=self.total("sram_reads"), sram_writes=self.total("sram_writes"),
            energy_j=e, energy_breakdown=EnergyBreakdown(**{f"{p}_j": self.total(f"energy_{p}_j")
                                                           for p in ENERGY_PARTS}),
            tops_per_w=2 * self.macs / e / 1e12 if e else 0.0,
            intensity_op_per_dram_byte=2 * self.macs / dram if dram else float("inf"))

    def bandwidth_needed_byte_per_s(self) -> float:
        """DRAM bandwidth under which no layer's transfers outlast its compute: the most any layer needs (its DRAM
        bytes over its compute time). Layers run one after another, so the whole run's DRAM bytes over its whole
        compute time (an average) is not enough: a layer needing more stalls at it."""
        need = self.cols["bandwidth_needed_byte_per_s"]
        return float(need.max()) if need.size else 0.0

    def _write_bytes(self) -> float:
        """Outputs plus the write half of the partial-sum spills (each spilled byte is written and read back)."""
        return self.total("dram_ofmap_write_bytes") + self.total("dram_psum_bytes") / 2

    def roofline(self) -> SimRoofline:
        d = self.design
        return SimRoofline(peak_op_per_s=d.peak_op_per_s, dram_bandwidth_byte_per_s=d.dram_bandwidth_byte_per_s,
                           ridge_op_per_byte=d.ridge_op_per_byte(), ridge_mac_per_byte=d.ridge_mac_per_byte())

    def layer_rows(self) -> list[SimLayer]:
        names = [f.name for f in fields(SimLayer) if f.name not in ("name", "kind", "rs_mapping")]
        rows = []
        for i, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True)):
            # KeyError here: a SimLayer field the engine no longer computes
            vals: dict[str, Any] = {k: self.cols[k][i].item() for k in names}
            rs = self.rs_mappings[i] if self.rs_mappings is not None else None
            rows.append(SimLayer(name=name, kind=kind, rs_mapping=rs, **vals))
        return rows

    def report(self, source: str) -> SimRunResult:
        """The typed result of `simulate run` on layers from `source`."""
        return SimRunResult(source=source, design=self.design, dataflow=DATAFLOW_NAMES[self.design.dataflow],
                            convention=self.convention, roofline=self.roofline(), totals=self.totals(),
                            layers=self.layer_rows(), energy_scaling=energy_scaling(self.design),
                            notes=[self._traffic_note(), *self._memory_notes(), *self.capacity_notes()])

    def _traffic_note(self) -> str:
        if self.rs_mappings is None:
            return "energy and DRAM traffic are model estimates (see accelopt.simulate.energy/memory)"
        return ("energy and DRAM traffic are model estimates (see accelopt.simulate.energy/rowstationary); "
                "row-stationary: folds are processing passes, row_folds ofmap-row strips, the mapping per layer "
                "is rs_mapping")

    def capacity_notes(self) -> list[str]:
        """When a layer's data cannot all sit in the design's DRAM (`dram_bytes`): the model has no DRAM capacity
        (traffic and stalls assume every operand is there), so a layer over it is said, never silently run (by
        `simulate run` in its notes, by `simulate sweep` once for the designs that share the note). The
        bound is one repeat's own tensors while it runs: its unique inputs + its weights (K x N) + its outputs
        (M x N), at the design's bytes per element; the largest such layer is named."""
        cap = self.design.dram_bytes
        if cap is None:
            return []
        return [*self._layer_capacity_note(cap), *self._model_capacity_note(cap)]

    def _model_capacity_note(self, cap: float) -> list[str]:
        """The whole model's weights over the design's DRAM: every layer's own tensors may fit while the model does
        not (DeepSeek-V3's 671B int8 weights, 625 GiB, ran on tpu-v1's 8 GiB without a word: ut4sim, 2026-12-06)."""
        if self.weight_elems is None:
            return []
        weights = self.weight_elems * self.design.bytes_per_elem
        if weights <= cap:
            return []
        f = units.fmt_bytes
        return [f"the model's weights this run reads, {f(float(weights))} (each convolution's and linear layer's "
                f"weights over its repeats at {self.design.dtype}), exceed the design's dram_bytes {f(float(cap))}: "
                "DRAM capacity is not modelled, these figures assume the design holds them all (a chip this size "
                "would reload weights from the host or split the model over chips; raise dram_bytes)"]

    def _layer_capacity_note(self, cap: float) -> list[str]:
        c, b = self.cols, self.design.bytes_per_elem
        ifmap, weights, ofmap = c["ifmap_elems"] * b, c["k"] * c["n"] * b, c["m"] * c["n"] * b
        need = ifmap + weights + ofmap
        over = need > cap
        if not over.any():
            return []
        i = int(need.argmax())
        f = units.fmt_bytes
        return [f"layer {str(self.names[i])[:80]!r} needs {f(float(need[i]))} in DRAM at once (one repeat's inputs "
                f"{f(float(ifmap[i]))} + weights {f(float(weights[i]))} + outputs {f(float(ofmap[i]))}), over the "
                f"design's dram_bytes {f(float(cap))}; {int(over.sum())} of {len(need)} layers do: DRAM capacity is "
                "not modelled, these figures assume the design holds them (raise dram_bytes, or split the layer)"]

    def _memory_notes(self) -> list[str]:
        """Under scalesim-code with a finite bandwidth: which layers' DRAM traffic and stalls replay SCALE-Sim's
        USER-mode buffers, and why the others (or all) keep the tiling model."""
        d = self.design
        replayed = self.cols.get("scalesim_replayed")
        if replayed is None:
            if self.convention != "scalesim-code" or d.unlimited_bandwidth or d.dataflow == "rs":
                return []
            why = (f"{d.cores} cores (SCALE-Sim models one array)" if d.cores != 1 else
                   "a DRAM bandwidth under one word per cycle (SCALE-Sim's Bandwidth is whole words)")
            return [f"SCALE-Sim 3.0.0's USER-mode buffers are not replayed for {why}: DRAM traffic and stalls of "
                    "every layer come from the tiling model (accelopt.simulate.memory), not SCALE-Sim's"]
        n = int(replayed.sum())
        note = (f"DRAM traffic and stalls of {n} of {len(replayed)} layers: SCALE-Sim 3.0.0's USER-mode "
                "double-buffered read/write buffers replayed (accelopt.simulate.scalesim_trace)")
        if n < len(replayed):
            note += ("; the others (not one SCALE-Sim layer, or a demand matrix over "
                     f"{MAX_REPLAY_ELEMS:,} entries to replay): the tiling model")
        return [note]


PART_LAYERS = 256
"""Layers simulated together by simulate_kept (one at a time under scalesim-code, whose buffer replay runs layer by
layer): Ctrl-C keeps the parts done. Each layer's columns depend on that layer and the design only, so the parts
joined equal one whole run (tests/test_simulate_run_interrupted.py checks it, every dataflow and convention)."""


def simulate_kept(design: Design, layers: Sequence[Layer], convention: str = "paper") -> SimResult:
    """simulate(), in parts of PART_LAYERS layers: Ctrl-C (KeyboardInterrupt) after the first part returns the
    layers done (fewer names than `layers`: the caller says it is partial); during the first, it propagates. A long
    `simulate run` (a scalesim-code replay) stopped by Ctrl-C kept nothing, where `simulate sweep` keeps the designs
    done (rev2 / ut4sim, 2026-12-06)."""
    step = 1 if convention == "scalesim-code" else PART_LAYERS
    parts: list[SimResult] = []
    try:
        for first in range(0, len(layers), step):
            parts.append(simulate(design, layers[first:first + step], convention, place=(first, len(layers))))
    except KeyboardInterrupt:
        if not parts:
            raise
    if len(parts) == 1:
        return parts[0]
    done = sum(len(p.names) for p in parts)
    mappings = parts[0].rs_mappings
    return SimResult(design=design, names=[n for p in parts for n in p.names],
                     kinds=[k for p in parts for k in p.kinds], convention=convention,
                     cols={k: np.concatenate([p.cols[k] for p in parts]) for k in parts[0].cols},
                     rs_mappings=None if mappings is None else [m for p in parts for m in p.rs_mappings or []],
                     weight_elems=weight_elems(layers[:done]))


def simulate(design: Design, layers: Sequence[Layer] | LayerArrays, convention: str = "paper",
             names: Sequence[str] | None = None, kinds: Sequence[str] | None = None, *,
             place: tuple[int, int] | None = None) -> SimResult:
    """Simulate every layer on `design`; vectorized over layers. `place`: (index of the first layer, layers in the
    whole run) when `layers` are a part of a run (simulate_kept), for naming a layer in an error."""
    if isinstance(layers, LayerArrays):
        arr = layers
        names = list(names or [f"layer{i}" for i in range(len(arr.m))])
        kinds = list(kinds or ["gemm"] * len(arr.m))
    else:
        arr = layer_arrays(layers)
        names, kinds = [x.name for x in layers], [x.kind for x in layers]
    weights = None if isinstance(layers, LayerArrays) else weight_elems(layers)
    d = design
    mappings: list[RsMapping] | None = None
    if d.dataflow == "rs":  # row-stationary PE array (simulate/rowstationary.py)
        try:
            c, mappings = rs_compute(rs_array(d.rows, d.cols, d.ifmap_sram_bytes, d.filter_sram_bytes,
                                              d.ofmap_sram_bytes, d.bytes_per_elem), d.cores, arr, d.bytes_per_elem)
        except LayerMappingError as e:  # 'layer 0: ...' named no layer the user could find: its name and place
            i = e.layer_index
            first, total = place or (0, len(names))
            raise InputError(f"layer {str(names[i])[:80]!r} ({first + i + 1} of {total}): {e.layer_problem}",
                             e.fix) from None
        fill = c.pop("fill_bytes")
    else:
        c = compute(d.rows, d.cols, d.cores, d.dataflow, arr, convention)
        c.update(dram_traffic(arr, d.bytes_per_elem, d.ifmap_sram_bytes, d.filter_sram_bytes, d.ofmap_sram_bytes,
                              d.rows, d.cols, d.dataflow))
        fill = fill_bytes(arr, d.bytes_per_elem, d.rows, d.cols, d.dataflow)
        c["reload_cycles"] = reload_cycles(arr, ACTIVE_FRACTION * d.ofmap_sram_bytes, d.rows, d.cols, d.cores,
                                           d.dataflow, c["folds"])
    c.update(m=arr.m, n=arr.n, k=arr.k, repeats=arr.repeats, macs=arr.macs, ifmap_elems=arr.ifmap_elems)
    dram = c["dram_ifmap_read_bytes"] + c["dram_filter_read_bytes"] + c["dram_ofmap_write_bytes"] + c["dram_psum_bytes"]
    c["dram_bytes"] = dram
    c["dram_cycles"], c["stall_cycles"] = stalls(dram, fill, c["compute_cycles"], c["reload_cycles"],
                                                 d.dram_bandwidth_byte_per_s, d.clock_hz, d.dram_latency_s)
    c["latency_cycles"] = np.full(len(arr.m), latency_cycles(d.dram_latency_s, d.clock_hz))
    if convention == "scalesim-code":
        dram = _replay_scalesim_buffers(arr, d, c)
    c["total_cycles"] = c["compute_cycles"] + c["stall_cycles"]
    c["latency_s"] = c["total_cycles"] / d.clock_hz
    c["utilization"] = arr.macs / (c["total_cycles"] * d.macs)
    c["bandwidth_needed_byte_per_s"] = dram / (c["compute_cycles"] / d.clock_hz)
    if mappings is None:
        _energy(d, c)
    else:
        _energy_rs(d, c)
    return SimResult(design=d, names=list(names), kinds=list(kinds), convention=convention, cols=c,
                     rs_mappings=mappings, weight_elems=weights)


def _replay_scalesim_buffers(arr: LayerArrays, d: Design, c: dict[str, np.ndarray]) -> np.ndarray:
    """`scalesim-code`: SCALE-Sim 3.0.0's USER-mode buffers replace the tiling model's DRAM traffic and stalls
    wherever they apply (accelopt.simulate.scalesim_trace); in place; returns the DRAM bytes per layer."""
    s = scalesim_user_columns(arr, d.rows, d.cols, d.cores, d.dataflow, d.bytes_per_elem,
                              (d.ifmap_sram_bytes, d.filter_sram_bytes, d.ofmap_sram_bytes),
                              d.dram_bandwidth_byte_per_s, d.clock_hz)
    if s is None:
        return c["dram_bytes"]
    ok = s["scalesim_replayed"] > 0
    for key in ("dram_ifmap_read_bytes", "dram_filter_read_bytes", "dram_ofmap_write_bytes"):
        c[key] = np.where(ok, s[key], c[key])
    c["dram_psum_bytes"] = np.where(ok, 0.0, c["dram_psum_bytes"])
    c["reload_cycles"] = np.where(ok, 0.0, c["reload_cycles"])
    c["latency_cycles"] = np.where(ok, 0.0, c["latency_cycles"])  # SCALE-Sim models no DRAM latency
    c["stall_cycles"] = np.where(ok, s["scalesim_total_cycles"] - c["compute_cycles"], c["stall_cycles"])
    c["dram_bytes"] = (c["dram_ifmap_read_bytes"] + c["dram_filter_read_bytes"] + c["dram_ofmap_write_bytes"]
                       + c["dram_psum_bytes"])
    c["dram_cycles"] = np.ceil(c["dram_bytes"] * d.clock_hz / d.dram_bandwidth_byte_per_s)
    c["scalesim_replayed"] = ok
    return c["dram_bytes"]


def energy_scaling(d: Design) -> EnergyScaling:
    """How the 45 nm / 0.9 V energy table was scaled to the design's node (an estimate)."""
    from accelopt.simulate.energy import SCALING_SOURCE, node_factor, nominal_vdd_v

    vdd = d.vdd_v if d.vdd_v is not None else nominal_vdd_v(d.tech_node_nm)
    return EnergyScaling(node_nm=d.tech_node_nm, vdd_v=vdd, vdd_is_nominal=d.vdd_v is None,
                         factor_vs_45nm_0v9=node_factor(d.tech_node_nm, d.vdd_v), source=SCALING_SOURCE)


def _energy(d: Design, c: dict[str, np.ndarray]) -> None:
    """Energy = access counts x per-access energy (accelopt.simulate.energy), in place."""
    t = energy_table(d.dtype, d.width_bits, d.tech_node_nm, d.ifmap_sram_bytes, d.filter_sram_bytes,
                     d.ofmap_sram_bytes, d.vdd_v)
    b = d.bytes_per_elem
    # SRAM writes: DRAM fills of the input buffers + outputs/partial sums; reads: operands streamed into
    # the array, partial sums read back, outputs read out to DRAM.
    ifmap_w = c["dram_ifmap_read_bytes"] / b
    filter_w = c["dram_filter_read_bytes"] / b
    out_r = c["dram_ofmap_write_bytes"] / b + c["dram_psum_bytes"] / 2 / PSUM_BYTES  # spills leave the buffer
    c["sram_reads"] = c["ifmap_sram_reads"] + c["filter_sram_reads"] + c["psum_sram_reads"] + out_r
    c["sram_writes"] = ifmap_w + filter_w + c["ofmap_sram_writes"]
    c["energy_mac_j"] = c["macs"] * t.mac_j
    c["energy_register_j"] = c["rf_accesses"] * t.rf_j
    c["energy_sram_j"] = ((c["ifmap_sram_reads"] + ifmap_w) * t.ifmap_sram_j_per_elem
                          + (c["filter_sram_reads"] + filter_w) * t.filter_sram_j_per_elem
                          + (c["ofmap_sram_writes"] + c["psum_sram_reads"] + out_r) * t.ofmap_sram_j_per_elem)
    c["energy_dram_j"] = c["dram_bytes"] * t.dram_j_per_byte
    c["energy_j"] = c["energy_mac_j"] + c["energy_register_j"] + c["energy_sram_j"] + c["energy_dram_j"]
    c["tops_per_w"] = 2 * c["macs"] / c["energy_j"] / 1e12


def _energy_rs(d: Design, c: dict[str, np.ndarray]) -> None:
    """Row-stationary energy, in place: every GLB access at the global buffer's per-word energy (ifmap_sram_bytes
    is the GLB of an rs design), scratchpad accesses at the register-file energy, MACs, DRAM bytes."""
    t = energy_table(d.dtype, d.width_bits, d.tech_node_nm, d.ifmap_sram_bytes, d.filter_sram_bytes,
                     d.ofmap_sram_bytes, d.vdd_v)
    c["sram_reads"] = c["ifmap_sram_reads"] + c["psum_sram_reads"]
    c["sram_writes"] = c.pop("glb_writes")
    c["energy_mac_j"] = c["macs"] * t.mac_j
    c["energy_register_j"] = c["rf_accesses"] * t.rf_j
    c["energy_sram_j"] = (c["sram_reads"] + c["sram_writes"]) * t.ifmap_sram_j_per_elem
    c["energy_dram_j"] = c["dram_bytes"] * t.dram_j_per_byte
    c["energy_j"] = c["energy_mac_j"] + c["energy_register_j"] + c["energy_sram_j"] + c["energy_dram_j"]
    c["tops_per_w"] = 2 * c["macs"] / c["energy_j"] / 1e12
