"""`Design`: a custom systolic-array accelerator, validated, loaded from TOML, convertible to an AcceleratorSpec.

TOML format (`accelopt simulate run --design my.toml`):

    [design]
    name = "my-npu"
    rows = 32                       # PE rows of one systolic array
    cols = 32                       # PE columns
    cores = 1                       # independent arrays; folds are spread over them
    dataflow = "ws"                 # os | ws | is (output-, weight-, input-stationary systolic) | rs
                                    # (row-stationary, Eyeriss; simulate/rowstationary.py); any case ("WS")
    ifmap_sram_bytes = 262144       # operand buffers, bytes (SCALE-Sim's three scratchpads); for rs: the
                                    # global buffer, all PEs' filter spads, all PEs' psum spads
    filter_sram_bytes = 262144
    ofmap_sram_bytes = 131072
    dram_bandwidth_byte_per_s = 25.6e9   # or inf: unlimited (SCALE-Sim's CALC mode, no bandwidth stalls)
    dram_latency_s = 100e-9         # optional, default 0 (not modelled)
    dram_bytes = 8e9                # optional: off-chip capacity, needed only by `simulate export`
    clock_hz = 1e9
    dtype = "int8"                  # int8 | int16 | fp16 | bf16 | fp32 (width follows)
    tech_node_nm = 28               # 7..180 (range of the energy scaling equations, simulate/energy.py)
    vdd_v = 0.9                     # optional: core supply; default the node's nominal (simulate/energy.py)

    [sources]                       # optional: field -> citation, shown by `simulate presets`
    rows = "my spec sheet, table 2"
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from accelopt import dtypes
from accelopt.errors import InputError, unknown_fields, unknown_name
from accelopt.units import byte_spelling_meant, parse_quantity, unit
from accelopt.userio import path_exists, read_user_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SYSTOLIC_DATAFLOWS = ("os", "ws", "is")
DATAFLOWS = (*SYSTOLIC_DATAFLOWS, "rs")
DATAFLOW_NAMES = {"os": "output-stationary", "ws": "weight-stationary", "is": "input-stationary",
                  "rs": "row-stationary"}
# operand dtypes a design's MACs may use, with their widths (accelopt.dtypes)
DTYPE_BITS = {n: int(8 * b) for n, b in dtypes.bytes_map(("int8", "int16", "fp16", "bf16", "fp32")).items()}

_INT_FIELDS = ("rows", "cols", "cores", "ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes")
_POSITIVE_FLOATS = ("dram_bandwidth_byte_per_s", "clock_hz", "tech_node_nm")
_TEXT_FIELDS = ("name", "dataflow", "dtype", "description")
# Upper limits, far past any built array (TPU v1: 256 x 256; Cerebras WSE-3: 44 GB of SRAM), so that a typo
# such as --rows 1e9 is refused instead of simulated (and 64-bit cycle counts cannot overflow).
MAX_ARRAY_SIDE = 2**16
MAX_SRAM_BYTES = 2**40
_INT_LIMITS = {"rows": MAX_ARRAY_SIDE, "cols": MAX_ARRAY_SIDE, "cores": 2**20, "ifmap_sram_bytes": MAX_SRAM_BYTES,
               "filter_sram_bytes": MAX_SRAM_BYTES, "ofmap_sram_bytes": MAX_SRAM_BYTES}
# A clock past 100 GHz is a typo (1e19 for 1e9): digital accelerators clock at a few GHz at most.
MAX_CLOCK_HZ = 100e9
MIN_CLOCK_HZ = 1e4
"""Least clock_hz: a 32.768 kHz watch-crystal MCU clears it, while a clock written in MHz (700 for 700 MHz) or GHz
(1.4) falls under it; it ran as a part a million times slower, printed as '0.0007 MHz'."""
MIN_DRAM_BANDWIDTH_BYTE_PER_S = 1e4
"""Least finite dram_bandwidth_byte_per_s: the catalog's bound for a memory bandwidth (hardware.spec.UNIT_SLIPS: an
8-bit MCU reads >= 1e6 B/s) under which the figure is in GB/s (every DRAM interface's GB/s is under 1e4)."""
MAX_DRAM_BANDWIDTH_BYTE_PER_S = 1e17
"""Most finite dram_bandwidth_byte_per_s: 100 PB/s, ~5x the fastest memory of any built part (Cerebras WSE-3's on-wafer
SRAM, 21 PB/s; HBM tops out near 8 TB/s). Above it the figure is bytes/s typed where GB/s was asked
(--bandwidth-gbps 25.6e9 ran at 25.6 EB/s, i.e. no stalls); inf says unlimited."""

MAX_DRAM_LATENCY_S = 10e-6
"""Most dram_latency_s: 10 µs, some 100x a DRAM access (JEDEC DDR4/LPDDR4 tRC ~45-60 ns; ~100 ns loaded) and 10x a
PCIe round trip to host memory (~1 µs). dram_latency_s = 100 meant as 100 ns ran each layer 100 s longer."""
MAX_VDD_V = 5.0
"""Most vdd_v: 5 V, past any core supply of the 7-180 nm nodes the energy scaling covers (PTM nominal 0.7 V at 7 nm
to 1.8 V at 180 nm, simulate/energy.py NOMINAL_VDD_V). vdd_v = 900 meant as 900 mV scaled every on-chip energy by
~1e6 (the Stillmaker & Baas factor is quadratic in Vdd) without a word."""
MIN_DRAM_BYTES = 1e6
"""Least dram_bytes: 1 MB, under the smallest SDRAM part (64 Mbit = 8 MB); dram_bytes = 4 meant as 4 GB exported a
4-byte device."""


@dataclass(frozen=True, kw_only=True)
class Design:
    """One accelerator design. SI units in names; bytes are bytes (KiB = 1024 B where a preset says so)."""

    # derived values listed beside the fields in JSON (name -> unit)
    DERIVED_UNITS: ClassVar[dict[str, str]] = {"width_bits": "count", "macs": "count", "sram_bytes": "B",
                                               "peak_op_per_s": "OP/s", "ridge_op_per_byte": "OP/B"}

    name: str
    rows: int = unit("count")
    """PE rows of one systolic array."""
    cols: int = unit("count")
    """PE columns of one systolic array."""
    dataflow: str
    """'os' (output-stationary), 'ws' (weight-stationary), 'is' (input-stationary) systolic array, or 'rs'
    (row-stationary PE array, Eyeriss; its buffers read as global buffer, filter and psum scratchpads)."""
    ifmap_sram_bytes: int = unit("B")
    filter_sram_bytes: int = unit("B")
    ofmap_sram_bytes: int = unit("B")
    dram_bandwidth_byte_per_s: float = field(metadata={"unit": "B/s", "doc": "", "null_means": math.inf})
    """inf = unlimited (SCALE-Sim's CALC mode: no bandwidth stalls); JSON writes it as null, read back as inf."""
    clock_hz: float = unit("Hz")
    dtype: str
    """Operand datatype of the MACs: int8, int16, fp16, bf16 or fp32."""
    tech_node_nm: float = unit("nm")
    """Technology node, 7-180 nm (the range of Stillmaker & Baas 2017's energy scaling equations)."""
    cores: int = unit("count", default=1)
    """Independent arrays; the folds of a layer are spread evenly over them."""
    dram_latency_s: float = unit("s", default=0.0)
    """Exposed once per layer before its first tile arrives (0 = not modelled)."""
    vdd_v: float | None = unit("V", default=None)
    """Core supply voltage for the energy scaling; None = the node's nominal supply (simulate/energy.py)."""
    dram_bytes: float | None = unit("B", default=None)
    """Off-chip memory capacity (bytes); needed only to export an AcceleratorSpec."""
    description: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Field name -> citation text for the numbers of a preset."""

    def __post_init__(self) -> None:
        validate_design(self)

    # ---- derived quantities
    @property
    def width_bits(self) -> int:
        return DTYPE_BITS[self.dtype]

    @property
    def bytes_per_elem(self) -> float:
        return self.width_bits / 8

    @property
    def unlimited_bandwidth(self) -> bool:
        """DRAM bandwidth taken as unlimited (SCALE-Sim's CALC mode): no bandwidth stalls."""
        return math.isinf(self.dram_bandwidth_byte_per_s)

    @property
    def macs(self) -> int:
        """MAC units in the whole design (rows x cols x cores)."""
        return self.rows * self.cols * self.cores

    @property
    def sram_bytes(self) -> int:
        return self.ifmap_sram_bytes + self.filter_sram_bytes + self.ofmap_sram_bytes

    @property
    def peak_mac_per_s(self) -> float:
        return self.macs * self.clock_hz

    @property
    def peak_op_per_s(self) -> float:
        """Peak OP/s (FLOP/s for float dtypes), 2 per MAC."""
        return 2.0 * self.peak_mac_per_s

    def ridge_op_per_byte(self) -> float:
        """Roofline ridge point (Williams et al., CACM 2009): peak OP/s / DRAM bytes/s."""
        return self.peak_op_per_s / self.dram_bandwidth_byte_per_s

    def ridge_mac_per_byte(self) -> float:
        """Ridge in MAC per DRAM byte (the unit of Jouppi et al. 2017's TPU roofline, Fig. 5)."""
        return self.peak_mac_per_s / self.dram_bandwidth_byte_per_s

    def with_(self, **changes: Any) -> Design:
        """A copy with some fields changed (validated again); used by the sweep."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["sources"] = dict(self.sources)
        for name in self.DERIVED_UNITS:
            v = getattr(self, name)
            out[name] = v() if callable(v) else v
        return out

    def to_accelerator_spec(self) -> Any:
        """AcceleratorSpec (kind 'asic') that the catalog, `plan` and `profile` accept.

        Peak = 2 x MACs x clock for the design's dtype (Jouppi et al. 2017 count TPU v1's 92 TOPS
        this way); memory bandwidth = DRAM bandwidth; sram = sum of the operand buffers.
        """
        from accelopt.hardware.spec import DTYPES, AcceleratorSpec

        if self.unlimited_bandwidth:
            raise InputError(f"design {self.name!r} has unlimited DRAM bandwidth, which no device has",
                             "set dram_bandwidth_byte_per_s to a finite figure before exporting")
        if self.dtype not in DTYPES:  # first: no --dram-bytes makes such a design exportable (eyeriss: int16)
            usable = ", ".join(d for d in DTYPE_BITS if d in DTYPES)
            raise InputError(f"design {self.name!r} is a {DATAFLOW_NAMES[self.dataflow]} {self.dtype} design, and "
                             f"{self.dtype} has no catalog peak key (a device lists its peak for one of "
                             f"{', '.join(DTYPES)}), so it cannot be a catalog device",
                             f"a design TOML of your own with dtype = one of {usable} exports (a built-in preset "
                             "keeps its dtype); `simulate run` and `simulate sweep` take this design as it is")
        if self.dram_bytes is None:
            raise InputError(f"design {self.name!r} has no dram_bytes",
                             "set dram_bytes (off-chip memory capacity in bytes) in the [design] table, or give "
                             "it to `accelopt simulate export --dram-bytes BYTES` (e.g. 8e9)")
        src = f"{SIMULATED_SOURCE} {self.name}"
        return AcceleratorSpec(
            name=_slug(self.name), display_name=f"{self.name} (simulated design)", kind="asic",
            vendor="custom design", peak_flop_per_s={self.dtype: self.peak_op_per_s},
            memory_bytes=float(self.dram_bytes), memory_bandwidth_byte_per_s=self.dram_bandwidth_byte_per_s,
            sram_bytes=float(self.sram_bytes),
            notes=f"{self.rows}x{self.cols}x{self.cores} {DATAFLOW_NAMES[self.dataflow]} "
                  f"{'PE array' if self.dataflow == 'rs' else 'systolic array'}, "
                  f"{self.clock_hz / 1e6:g} MHz, {self.tech_node_nm:g} nm",
            sources={f"peak_flop_per_s.{self.dtype}": f"{src}: 2 x {self.macs} MACs x {self.clock_hz:g} Hz",
                     "memory_bytes": self._cited(src, "dram_bytes"),
                     "memory_bandwidth_byte_per_s": self._cited(src, "dram_bandwidth_byte_per_s"),
                     "sram_bytes": f"{src}: ifmap + filter + ofmap SRAM"})


    def _cited(self, src: str, name: str) -> str:
        """'simulated design X: field (the design's own source for it)': the spec keeps the citation."""
        own = self.sources.get(name)
        return f"{src}: {name}" + (f" ({own})" if own else "")



_SI_EXAMPLES = {"clock_hz": "clock_hz = 800e6 for 800 MHz", "tech_node_nm": "tech_node_nm = 28",
                "dram_bandwidth_byte_per_s": "dram_bandwidth_byte_per_s = 25.6e9 for 25.6 GB/s"}


SIMULATED_SOURCE = "simulated design"
"""How every source of an exported design's spec begins (Design.to_spec): a spec so cited is a simulated design."""


def is_simulated_spec(spec: Any) -> bool:
    """Whether an AcceleratorSpec is a design written by `simulate export` (its peak cites the simulated design)."""
    return any(str(v).startswith(f"{SIMULATED_SOURCE} ") for k, v in spec.sources.items()
               if k.startswith("peak_flop_per_s."))


_HZ_TEXT = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([kMG]?)Hz\s*")
_HZ_POWER = {"": 0, "k": 3, "M": 6, "G": 9}


def _unit_text_fix(name: str, text: str) -> str | None:
    """The fix for a number written with its unit as TOML text ('64 KiB', '25.6 GB/s', '100 ns', '800 MHz'): the SI
    number to write, with the arithmetic (KiB = 1024 bytes, KB = kB = 1000: units.parse_quantity), as a catalog file's
    fix says it; None when the text is no quantity in the field's unit. A byte field said only 'must be a positive
    integer' for "64 KiB"."""
    if name.endswith("_hz"):
        m = _HZ_TEXT.fullmatch(text)
        if m is None:
            return None
        number, prefix = m.groups()
        literal = f"{number}e{_HZ_POWER[prefix]}" if prefix else number
        return (f"write {name} = {literal}: {text.strip()} = {literal} Hz (a TOML number in SI units, without quotes "
                "or a unit)")
    unit = next((u for end, u in (("_byte_per_s", "B/s"), ("_bytes", "B"), ("_s", "s")) if name.endswith(end)), "")
    q = parse_quantity(text)
    meant = byte_spelling_meant(text) if q is None and unit == "B" else None
    if meant is not None:  # "64 kib" said only 'must be a positive integer' (ut4sim's note; rev2)
        said = _unit_text_fix(name, meant)
        if said is not None:
            return (f"{said}; {text.strip()!r} read as {meant.strip()!r} (units are case-sensitive: KiB = 1024 B, "
                    "kB = 1000 B)")
    if not unit or q is None or q.unit != unit:
        return None
    literal = q.literal
    if name in _INT_FIELDS:  # an integer field: 64000, not 64e3 (a TOML float)
        if not q.value.is_integer():
            return f"{text.strip()} = {q.arithmetic} {unit} is not a whole number of bytes: write {name} = an integer"
        literal = str(int(q.value))
    return (f"write {name} = {literal}: {text.strip()} = {q.arithmetic} {unit} (a TOML number in SI units, without "
            "quotes or a unit)")


def _unquote_fix(name: str, text: str) -> str:
    """The fix for a number written as TOML text: the same text unquoted when it is a number ('"25.6e9"', '"inf"'),
    else an example in SI units ('"800MHz"' unquoted is no TOML number either)."""
    try:
        float(text)
    except ValueError:
        return _unit_text_fix(name, text) or (f"write {name} as a TOML number in SI units, without quotes or a unit, "
                                              f"e.g. {_SI_EXAMPLES[name]}")
    return f"write it as a TOML number, without quotes: {name} = {text.strip()}"

def _slug(name: str) -> str:
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in name).split()) or "design"


def _short_int(v: int) -> str:
    """An integer as a limit's error quotes it: with thousands separators below 1e15; past it as the file may write it
    (1e300 in the TOML is read as a 301-digit integer: '1e+300'), also past a float's range, where float(v) raised
    OverflowError out of the loader (a 401-digit integer literal: '1e+400')."""
    if v < 10**15:
        return f"{v:,}"
    mantissa, exponent = f"{Decimal(v):.6e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def validate_design(d: Design, where: str = "") -> None:
    """Raise InputError naming the field, the value and the fix."""
    label = f"design {d.name!r}" + (f" in {where}" if where else "")
    if not isinstance(d.name, str) or not d.name.strip():
        raise InputError(f"design{(' in ' + where) if where else ''}: name is empty", 'set name = "my-npu"')
    for f in _INT_FIELDS:
        v = getattr(d, f)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            said = _unit_text_fix(f, v) if isinstance(v, str) else None  # "64 KiB": the bytes to write
            raise InputError(f"{label}: {f} = {_as_written(v)} must be a positive integer",
                             said or f"set {f} to an integer >= 1")
        if v > _INT_LIMITS[f]:
            shown = _short_int(v)
            raise InputError(f"{label}: {f} = {shown} is more than {_INT_LIMITS[f]:,}, past any built accelerator",
                             f"set {f} to at most {_INT_LIMITS[f]:,}")
    for f in _POSITIVE_FLOATS:
        v = getattr(d, f)
        if f == "dram_bandwidth_byte_per_s" and isinstance(v, float) and v == math.inf:
            continue  # unlimited bandwidth (SCALE-Sim's CALC mode)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
            unlimited = " (or inf, unquoted, for unlimited bandwidth)" if f == "dram_bandwidth_byte_per_s" else ""
            quoted = _unquote_fix(f, v) if isinstance(v, str) else ""  # '"25.6e9"' or '"inf"' is text in TOML
            raise InputError(f"{label}: {f} = {_as_written(v)} must be a positive number",
                             quoted or f"set {f} in SI units (> 0){unlimited}")
    if d.clock_hz > MAX_CLOCK_HZ:
        raise InputError(f"{label}: clock_hz = {d.clock_hz:g} is more than {MAX_CLOCK_HZ:g} Hz (100 GHz), past any "
                         "built accelerator", "give the clock in Hz, e.g. clock_hz = 1e9 for 1 GHz")
    if d.clock_hz < MIN_CLOCK_HZ:
        raise InputError(f"{label}: clock_hz = {d.clock_hz:g} is under {MIN_CLOCK_HZ:g} Hz, slower than any clocked "
                         "part: likely a figure in MHz or GHz", f"give the clock in Hz: write {d.clock_hz:g}e6 if "
                         f"{d.clock_hz:g} is in MHz, {d.clock_hz:g}e9 if in GHz")
    if MAX_DRAM_BANDWIDTH_BYTE_PER_S < d.dram_bandwidth_byte_per_s < math.inf:
        raise InputError(f"{label}: dram_bandwidth_byte_per_s = {d.dram_bandwidth_byte_per_s:g} is more than "
                         f"{MAX_DRAM_BANDWIDTH_BYTE_PER_S:g} bytes/s (100 PB/s), past any memory",
                         "give bytes per second (e.g. 25.6e9), or inf for unlimited bandwidth")
    if d.dram_bandwidth_byte_per_s < MIN_DRAM_BANDWIDTH_BYTE_PER_S:
        raise InputError(f"{label}: dram_bandwidth_byte_per_s = {d.dram_bandwidth_byte_per_s:g} is under "
                         f"{MIN_DRAM_BANDWIDTH_BYTE_PER_S:g} bytes/s, past any real memory: likely a figure in GB/s",
                         f"write {d.dram_bandwidth_byte_per_s:g}e9 if {d.dram_bandwidth_byte_per_s:g} is in GB/s "
                         "(or inf for unlimited bandwidth)")
    if not _finite_number(d.dram_latency_s) or d.dram_latency_s < 0:
        said = _unit_text_fix("dram_latency_s", d.dram_latency_s) if isinstance(d.dram_latency_s, str) else None
        raise InputError(f"{label}: dram_latency_s = {_as_written(d.dram_latency_s)} must be a number >= 0",
                         said or "give seconds >= 0, e.g. 100e-9")
    if d.dram_latency_s > MAX_DRAM_LATENCY_S:
        raise InputError(f"{label}: dram_latency_s = {d.dram_latency_s:g} s is more than {MAX_DRAM_LATENCY_S:g} s, "
                         "past any memory: likely a figure in ns or µs",
                         f"give seconds: write {d.dram_latency_s:g}e-9 if {d.dram_latency_s:g} is in ns")
    if d.dram_bytes is not None and (not _finite_number(d.dram_bytes) or d.dram_bytes <= 0):
        said = _unit_text_fix("dram_bytes", d.dram_bytes) if isinstance(d.dram_bytes, str) else None
        raise InputError(f"{label}: dram_bytes = {_as_written(d.dram_bytes)} must be > 0",
                         said or "give the DRAM capacity in bytes as a TOML number, e.g. dram_bytes = 8e9 for 8 GB")
    if d.dram_bytes is not None and d.dram_bytes < MIN_DRAM_BYTES:
        raise InputError(f"{label}: dram_bytes = {d.dram_bytes:g} is under {MIN_DRAM_BYTES:g} bytes, smaller than any "
                         "DRAM part: likely a figure in GB or MB",
                         f"give bytes: write {d.dram_bytes:g}e9 if {d.dram_bytes:g} is in GB, {d.dram_bytes:g}e6 if "
                         "in MB")
    if d.vdd_v is not None and (not _finite_number(d.vdd_v) or d.vdd_v <= 0):
        raise InputError(f"{label}: vdd_v = {d.vdd_v!r} must be a positive voltage",
                         "give the core supply in volts, e.g. 0.9, or leave vdd_v out for the node's nominal")
    if d.vdd_v is not None and d.vdd_v > MAX_VDD_V:
        raise InputError(f"{label}: vdd_v = {d.vdd_v:g} V is more than {MAX_VDD_V:g} V, past any core supply of a "
                         "7-180 nm node: likely a figure in mV",
                         f"give volts: write vdd_v = {d.vdd_v / 1000:g} if {d.vdd_v:g} is in mV, or leave vdd_v out "
                         "for the node's nominal")
    if not isinstance(d.dataflow, str) or d.dataflow not in DATAFLOWS:
        raise InputError(f"{label}: dataflow {d.dataflow!r} is unknown",
                         "use os (output-stationary), ws (weight-stationary), is (input-stationary) or "
                         "rs (row-stationary)")
    if not isinstance(d.dtype, str) or d.dtype not in DTYPE_BITS:
        raise InputError(f"{label}: dtype {d.dtype!r} is unknown",
                         f"use one of {', '.join(DTYPE_BITS)} ({dtypes.accepted_spellings(tuple(DTYPE_BITS))})")
    if not isinstance(d.description, str):
        raise InputError(f"{label}: description = {d.description!r} is not text", 'write description = "..."')
    element = math.ceil(DTYPE_BITS[d.dtype] / 8)
    for f in ("ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes"):
        if getattr(d, f) < element:  # the tiling model then computed traffic for buffers holding no operand
            raise InputError(f"{label}: {f} = {getattr(d, f)} bytes holds no {d.dtype} operand ({element} bytes each)",
                             f"set {f} to at least {element} (a real buffer holds a row of the array or more)")
    from accelopt.simulate.energy import node_factor

    try:  # the node (and supply) must be inside the range of the energy scaling equations
        node_factor(d.tech_node_nm, d.vdd_v)
    except InputError as e:
        raise InputError(f"{label}: {e.problem}", e.fix) from None


def _as_written(v: Any) -> str:
    """A field's value as the TOML file writes it: `rows = true` read back as 'rows = True' (Python's spelling)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string: "8"
    return repr(v)


def _finite_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)


# --------------------------------------------------------------------------- TOML
_REQUIRED = ("name", "rows", "cols", "dataflow", "ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes",
             "dram_bandwidth_byte_per_s", "clock_hz", "dtype", "tech_node_nm")
_ALLOWED = set(_INT_FIELDS) | set(_POSITIVE_FLOATS) | set(_TEXT_FIELDS) | {"dram_latency_s", "dram_bytes", "vdd_v"}


_EXAMPLE_VALUES = {"name": '"my-npu"', "rows": "32", "cols": "32", "dataflow": '"ws"', "ifmap_sram_bytes": "524288",
                   "filter_sram_bytes": "262144", "ofmap_sram_bytes": "131072", "dram_bandwidth_byte_per_s": "17.064e9",
                   "clock_hz": "1e9", "dtype": '"int8"', "tech_node_nm": "16"}
"""A value of the right kind and unit for each _REQUIRED field, as examples/my_design.toml writes it (the fix of a
missing field: `simulate presets --help`, which it named, shows no fields)."""


def design_from_table(table: Mapping[str, Any], sources: Mapping[str, str], where: str) -> Design:
    """Build a Design from a parsed [design] table, naming any bad or missing field."""
    if not isinstance(table, Mapping):
        raise InputError(f"{where}: [design] must be a table", "see `accelopt simulate presets` for an example")
    unknown = sorted(set(table) - _ALLOWED)
    if unknown:
        raise unknown_fields(f"{where}, [design]", unknown, sorted(_ALLOWED))
    missing = [f for f in _REQUIRED if f not in table]
    if missing:
        lines = "; ".join(f"{f} = {_EXAMPLE_VALUES[f]}" for f in missing)
        # 'add them in SI units, e.g. name = "my-npu"' was said of a name alone: SI units only where a number is missing
        units = " in SI units" if any(f not in _TEXT_FIELDS for f in missing) else ""
        raise InputError(f"{where}: [design] is missing {', '.join(missing)}",
                         f"add {'them' if len(missing) > 1 else 'it'}{units}, e.g. {lines} (`accelopt simulate "
                         "presets` lists every field of the built-in designs)")
    kwargs: dict[str, Any] = dict(table)
    flow = kwargs["dataflow"]
    if isinstance(flow, str) and flow.strip().lower() in DATAFLOWS:  # "WS" as papers write it (--dataflow reads it
        kwargs["dataflow"] = flow.strip().lower()  # so too); an unknown one is refused as written
    dtype = kwargs.get("dtype")
    if isinstance(dtype, str):  # "INT8", torch's "bfloat16", "BF16": read as every --dtype option reads them
        kwargs["dtype"] = dtypes.canonical(dtype)  # (dtypes.canonical; ut4sim / ut4fix); any other refused as written
    for f in _INT_FIELDS:
        v = kwargs.get(f)
        if isinstance(v, float) and v.is_integer():
            kwargs[f] = int(v)
    if not isinstance(sources, Mapping):
        raise InputError(f"{where}: sources must be a [sources] table", 'write [sources] then field = "citation"')
    bad_src = [k for k, v in sources.items() if not isinstance(v, str)]
    if bad_src:
        raise InputError(f"{where}: [sources] entries {', '.join(bad_src)} are not text", 'write field = "citation"')
    stray = sorted(set(sources) - _ALLOWED)
    if stray:  # a misspelt field name: its citation would never be shown
        raise InputError(f"{where}: [sources] names no field of [design]: {', '.join(stray)}",
                         f"key each citation by a [design] field ({', '.join(sorted(_ALLOWED))})")
    kwargs["sources"] = {**_left_out(table), **sources}
    try:
        return Design(**kwargs)
    except InputError as e:
        raise InputError(f"{where}: {e.problem}", e.fix) from None


# Optional fields a [design] table may leave out, and what the model then does: printed beside the results
# (as an assumption of the design), so a default is never taken silently.
_DEFAULTS_SAID = {"cores": "assumption: left out of the design, 1 array",
                  "dram_latency_s": "assumption: left out of the design, 0 s (DRAM latency not modelled)"}


def _left_out(table: Mapping[str, Any]) -> dict[str, str]:
    return {f: said for f, said in _DEFAULTS_SAID.items() if f not in table}


def load_design_text(text: str, where: str) -> Design:
    from accelopt.simulate.scalesim_cfg import is_scalesim_cfg_text, parse_scalesim_cfg

    if is_scalesim_cfg_text(text):  # a SCALE-Sim .cfg under another name
        return parse_scalesim_cfg(text, where)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        _refuse_other_format(text, where, e)
        raise InputError(f"design file {where} is not valid TOML: {e}",
                         "fix the TOML syntax at that line; a SCALE-Sim config needs an [architecture_presets] "
                         "section (and is read as one)") from None
    if "design" not in doc:
        if "device" in doc:  # a catalog file, e.g. what `simulate export` writes: a device for plan, not a design
            raise InputError(f"design file {where} is a catalog device file ([[device]]), not a design: it has no "
                             "[design] table", "pass the design TOML it was exported from (a [design] table; see "
                             "examples/my_design.toml); a catalog file is a device for `plan --hardware FILE.toml`")
        raise InputError(f"design file {where} has no [design] table", "put the fields under a [design] header")
    extra = sorted(set(doc) - {"design", "sources"})
    if extra:  # a misspelt [sources] header, or fields written above [design]: nothing would read them
        raise InputError(f"design file {where}: unknown table(s) or top-level key(s) {', '.join(extra)}",
                         "a design file holds a [design] table and an optional [sources] table only; put fields "
                         "under [design]")
    return design_from_table(doc["design"], doc.get("sources", {}), where)


# a file of another kind passed as -d: 'fix the TOML syntax at that line' sent the user into a JSON result or a model
# file (ut4sim, 2026-12-06); the suffixes of the files accelopt and its users pass elsewhere, and where each goes
_OTHER_FORMATS = {".json": ("a JSON file", "; a workload JSON goes to --workload, a Hugging Face config to --hf"),
                  ".py": ("a Python file", "; a model file goes to --model FILE.py:Class"),
                  ".csv": ("a CSV file", "; a SCALE-Sim topology goes to --topology"),
                  ".html": ("an HTML page", ""), ".htm": ("an HTML page", ""), ".yaml": ("a YAML file", ""),
                  ".yml": ("a YAML file", "")}


def _refuse_other_format(text: str, where: str, error: Exception) -> None:
    """InputError when a design file that is not TOML is another format by its name or first character."""
    from accelopt.simulate.topology import looks_like_topology

    what, goes = _OTHER_FORMATS.get(Path(where).suffix.lower(), (None, ""))
    if what is None and text.lstrip().startswith("{"):
        what, goes = _OTHER_FORMATS[".json"]
    if what is None and looks_like_topology(text):  # by content: a topology saved as .txt (rev2)
        what, goes = "a SCALE-Sim topology (CSV)", "; a SCALE-Sim topology goes to --topology"
    if what is None:
        return
    raise InputError(f"design file {where} is {what}, not a design TOML ({error})",
                     "pass a preset name (`accelopt simulate presets`), a design TOML with a [design] table (copy "
                     f"examples/my_design.toml) or a SCALE-Sim .cfg{goes}")


def load_design_file(path: Path | str) -> Design:
    text = read_user_text(path, "design file", "check the path given to --design (or use a preset name)")
    return load_design_text(text, str(path))


def preset_names() -> list[str]:
    data = resources.files("accelopt.simulate") / "presets"
    return sorted(e.name[:-5] for e in data.iterdir() if e.name.endswith(".toml"))


def load_preset(name: str) -> Design:
    names = preset_names()
    if name not in names:
        raise unknown_name("design preset", name, names)
    text = (resources.files("accelopt.simulate") / "presets" / f"{name}.toml").read_text(encoding="utf-8")
    return load_design_text(text, f"<preset {name}>")


def get_design(name_or_path: str) -> Design:
    """A preset name ('tpu-v1', 'eyeriss', 'edge-npu', 'nvdla-2048' ... 'nvdla-32': the NVDLA primer's
    configurations, accelopt.simulate.published), a design TOML file, or a SCALE-Sim .cfg file."""
    if name_or_path.lower().endswith(".cfg"):
        from accelopt.simulate.scalesim_cfg import read_scalesim_cfg

        return read_scalesim_cfg(name_or_path)
    if name_or_path.endswith(".toml") or path_exists(name_or_path):
        return load_design_file(name_or_path)
    from accelopt.simulate.published import nvdla_by_name, nvdla_names

    if name_or_path in nvdla_names():
        return nvdla_by_name(name_or_path)
    names = preset_names()
    if name_or_path not in names:
        _refuse_catalog_device(name_or_path)
        raise unknown_name("design preset", name_or_path, [*names, *nvdla_names()])
    return load_preset(name_or_path)


def _refuse_catalog_device(name: str) -> None:
    """InputError when `name` is a catalog device (a GPU, a shipping chip): it was 'unknown design preset' with
    design names for close matches, while the user had named real hardware, which `plan` predicts."""
    from accelopt.hardware.catalog import default_catalog

    try:
        spec = default_catalog().get(name)
    except InputError:
        return
    raise InputError(f"{name!r} is a catalog device ({spec.display_name}, {spec.kind}), not an accelerator design: "
                     "simulate runs a systolic array you describe",
                     f"predict a model on it with `accelopt plan --hardware {spec.name}`; simulate a design with -d "
                     f"PRESET ({', '.join(preset_names())}, nvdla-2048 ... nvdla-32) or -d my_design.toml "
                     "(copy examples/my_design.toml)")
