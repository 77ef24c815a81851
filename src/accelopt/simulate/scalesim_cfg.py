"""SCALE-Sim configuration files (.cfg, scalesim 3.0.0 scale_config.py) read as a `Design`, and written.

A SCALE-Sim .cfg is an INI file:

    [general]
    run_name = my_run
    [architecture_presets]
    ArrayHeight: 32
    ArrayWidth: 32
    IfmapSramSzkB: 64          # kB of 1024 bytes (single_layer_sim.py: 1024 * ifmap_buf_size_kb)
    FilterSramSzkB: 64
    OfmapSramSzkB: 64
    Dataflow: os               # os | ws | is
    Bandwidth: 10              # words per cycle (one word = 1 byte, single_layer_sim.py word_size = 1)
    [run_presets]
    InterfaceBandwidth: USER   # USER = Bandwidth limits the DRAM interface; CALC = unlimited

Mapping to a Design: rows/cols/dataflow/buffers as written; dtype int8 (SCALE-Sim's 1-byte word);
InterfaceBandwidth CALC -> unlimited DRAM bandwidth (no bandwidth stalls), USER -> Bandwidth words/cycle
x 1 byte x clock. SCALE-Sim counts cycles and has no clock, energy or node, so three figures are
assumptions, each recorded in the design's sources and printed beside the result: clock 1 GHz (cycles
read as nanoseconds), 45 nm at 0.9 V (the node of the Horowitz ISSCC 2014 energy table: no scaling).
In USER mode SCALE-Sim 3.0.0 reads ifmap and filter from DRAM at the [layout] IfmapSRAMBankBandwidth /
FilterSRAMBankBandwidth rates and writes the ofmap at Bandwidth; here one DRAM interface carries all
three at Bandwidth, and a file whose bank bandwidths differ is noted in the sources.
"""

from __future__ import annotations

import configparser
import math
from pathlib import Path

from accelopt.errors import InputError
from accelopt.simulate.design import SYSTOLIC_DATAFLOWS, Design
from accelopt.userio import read_user_text

ASSUMED_CLOCK_HZ = 1e9
ASSUMED_NODE_NM = 45.0
ASSUMED_VDD_V = 0.9
WORD_BYTES = 1  # scalesim/single_layer_sim.py: word_size = 1
_CLOCK_NOTE = "assumption: a SCALE-Sim .cfg has no clock; 1 GHz, so one cycle reads as 1 ns"
_NODE_NOTE = "assumption: a SCALE-Sim .cfg has no technology; 45 nm / 0.9 V, the Horowitz ISSCC 2014 table's own node"


def is_scalesim_cfg_text(text: str) -> bool:
    return "[architecture_presets]" in text.lower()


def _get(cp: configparser.ConfigParser, section: str, key: str, where: str) -> str:
    if not cp.has_section(section):
        raise InputError(f"SCALE-Sim config {where} has no [{section}] section",
                         "see scalesim's configs/*.cfg for the format (or `accelopt simulate export --out x.cfg`)")
    if not cp.has_option(section, key):
        raise InputError(f"SCALE-Sim config {where}: [{section}] has no {key}", f"add `{key}: ...` under [{section}]")
    return cp.get(section, key).split("#")[0].strip()


def _positive_int(text: str, key: str, where: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise InputError(f"SCALE-Sim config {where}: {key} = {text!r} is not an integer",
                         "write a whole number") from None
    if v < 1:
        raise InputError(f"SCALE-Sim config {where}: {key} = {v} must be >= 1", "write a positive number")
    return v


def parse_scalesim_cfg(text: str, where: str = "<text>") -> Design:
    cp = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    try:
        cp.read_string(text)
    except configparser.Error as e:
        raise InputError(f"SCALE-Sim config {where} cannot be parsed: {e}".splitlines()[0],
                         "write [section] headers and `Key: value` lines as in scalesim's configs/*.cfg") from None
    arch = "architecture_presets"
    rows = _positive_int(_get(cp, arch, "ArrayHeight", where), "ArrayHeight", where)
    cols = _positive_int(_get(cp, arch, "ArrayWidth", where), "ArrayWidth", where)
    kb = {k: _positive_int(_get(cp, arch, f"{k}SramSzkB", where), f"{k}SramSzkB", where)
          for k in ("Ifmap", "Filter", "Ofmap")}
    dataflow = _get(cp, arch, "Dataflow", where).lower()
    if dataflow not in SYSTOLIC_DATAFLOWS:  # SCALE-Sim has no row-stationary dataflow
        raise InputError(f"SCALE-Sim config {where}: Dataflow = {dataflow!r} is unknown", "use os, ws or is")
    mode = _get(cp, "run_presets", "InterfaceBandwidth", where).upper()
    if mode not in ("USER", "CALC"):
        raise InputError(f"SCALE-Sim config {where}: InterfaceBandwidth = {mode!r} is unknown",
                         "use USER (Bandwidth limits the DRAM interface) or CALC (unlimited)")
    src = f"SCALE-Sim config {where}"
    sources = {"rows": f"{src}: ArrayHeight", "cols": f"{src}: ArrayWidth", "dataflow": f"{src}: Dataflow",
               "ifmap_sram_bytes": f"{src}: IfmapSramSzkB x 1024", "filter_sram_bytes": f"{src}: FilterSramSzkB x 1024",
               "ofmap_sram_bytes": f"{src}: OfmapSramSzkB x 1024",
               "dtype": "SCALE-Sim's 1-byte word (scalesim/single_layer_sim.py word_size = 1)",
               "clock_hz": _CLOCK_NOTE, "tech_node_nm": _NODE_NOTE, "vdd_v": _NODE_NOTE}
    if mode == "CALC":
        bandwidth = math.inf
        sources["dram_bandwidth_byte_per_s"] = f"{src}: InterfaceBandwidth CALC = unlimited"
    else:
        first = _get(cp, arch, "Bandwidth", where).split(",")[0].strip()
        words = _positive_int(first, "Bandwidth", where)
        bandwidth = words * WORD_BYTES * ASSUMED_CLOCK_HZ
        note = f"{src}: USER mode, Bandwidth {words} words/cycle x {WORD_BYTES} B x the assumed clock"
        banks = [cp.get("layout", k, fallback=None) for k in ("IfmapSRAMBankBandwidth", "FilterSRAMBankBandwidth")]
        if any(b is not None and b.split("#")[0].strip() != first for b in banks):
            note += ("; the file's [layout] bank bandwidths (SCALE-Sim's ifmap/filter read rates) differ and are "
                     "not used: one DRAM interface carries all traffic here")
        sources["dram_bandwidth_byte_per_s"] = note
    name = cp.get("general", "run_name", fallback=Path(where).stem).strip() or "scalesim-config"
    return Design(name=name, rows=rows, cols=cols, dataflow=dataflow, ifmap_sram_bytes=kb["Ifmap"] * 1024,
                  filter_sram_bytes=kb["Filter"] * 1024, ofmap_sram_bytes=kb["Ofmap"] * 1024,
                  dram_bandwidth_byte_per_s=bandwidth, clock_hz=ASSUMED_CLOCK_HZ, dtype="int8",
                  tech_node_nm=ASSUMED_NODE_NM, vdd_v=ASSUMED_VDD_V,
                  description=f"read from SCALE-Sim config {where} ({mode} bandwidth mode)", sources=sources)


def read_scalesim_cfg(path: Path | str) -> Design:
    text = read_user_text(path, "SCALE-Sim config", "check the path given to --design")
    return parse_scalesim_cfg(text, str(path))


SCALESIM_CFG = """[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {ifmap_kb}
FilterSramSzkB: {filter_kb}
OfmapSramSzkB: {ofmap_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: {dataflow}
Bandwidth: {bandwidth}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {bandwidth}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {bandwidth}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: {mode}
UseRamulatorTrace: False
"""
"""A SCALE-Sim 3.0.0 .cfg (str.format fields): `bandwidth` is the DRAM words per cycle (its Bandwidth and its
[layout] bank bandwidths), `mode` CALC (unlimited) or USER. `simulate export` and the reference runs write it."""


def scalesim_command(cfg: str) -> str:
    """How to run a written .cfg in SCALE-Sim 3.0.0 (PyPI scalesim; scalesim/scale.py and scale_sim.py): it installs
    no `scalesim` command (the export said 'run it with scalesim -c FILE'), its -l layout file defaults to
    ./layouts/conv_nets/test.csv and it exits 'Layout file not found' without one, and -i picks the topology format.
    Its int(max(...)) on a 1-element array raises under NumPy >= 2.3 (accelopt.simulate.reference shims it for the
    reference runs only)."""
    return (f"python -m scalesim.scale -c {cfg} -t TOPOLOGY.csv -l LAYOUT.csv -p OUT_DIR (add -i gemm for a "
            "'Layer, M, N, K' topology; scalesim 3.0.0 installs no `scalesim` command and stops with 'Layout file not "
            "found' without -l: a LAYOUT.csv holding the line 'Layer name,' sets no custom layout; it needs "
            "NumPy < 2.3)")


def scalesim_cfg_text(d: Design) -> str:
    """The design as a SCALE-Sim 3.0.0 .cfg. SCALE-Sim counts 1-byte words, so buffers and bandwidth are
    written in elements of the design's dtype (a 16-bit design's 64 KiB buffer holds 32 Ki words).
    Unlimited bandwidth is written as CALC mode."""
    if d.dataflow not in SYSTOLIC_DATAFLOWS:
        from accelopt.hardware.spec import DTYPES

        toml = ", or export it as catalog TOML (--out FILE.toml)" if d.dtype in DTYPES else ""  # eyeriss: int16
        raise InputError(f"design {d.name!r} is row-stationary, which SCALE-Sim does not model",
                         f"give an os/ws/is design{toml}")
    elems = {f: getattr(d, f"{f}_sram_bytes") / d.bytes_per_elem for f in ("ifmap", "filter", "ofmap")}
    bad = [f for f, e in elems.items() if e % 1024]
    if bad:
        raise InputError(f"design {d.name!r}: the {', '.join(bad)} buffer is not a whole number of SCALE-Sim kB "
                         f"(1024 words of {d.bytes_per_elem:g} B)", "use buffer sizes that are multiples of "
                         f"{int(1024 * d.bytes_per_elem)} bytes")
    mode, words = ("CALC", 10) if d.unlimited_bandwidth else ("USER", _bandwidth_words(d)[1])
    run_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in d.name)
    notes = "".join(f"\n# NOT IN THIS CONFIG: {x}" for x in cfg_omissions(d))
    header = (f"# Written by `accelopt simulate export` from design {d.name!r} ({d.dtype}, {d.clock_hz:g} Hz).{notes}\n"
              f"# Run: {scalesim_command('THIS_FILE.cfg')}\n")
    return header + SCALESIM_CFG.format(run_name=run_name, rows=d.rows, cols=d.cols, dataflow=d.dataflow,
                                        ifmap_kb=int(elems["ifmap"] // 1024), filter_kb=int(elems["filter"] // 1024),
                                        ofmap_kb=int(elems["ofmap"] // 1024), bandwidth=words, mode=mode)


def _bandwidth_words(d: Design) -> tuple[float, int]:
    """(the design's DRAM words per cycle, the integer SCALE-Sim is given: at least 1)."""
    per_cycle = d.dram_bandwidth_byte_per_s / d.clock_hz / d.bytes_per_elem
    return per_cycle, max(1, math.floor(per_cycle + 1e-9))


def cfg_omissions(d: Design) -> list[str]:
    """What of the design a SCALE-Sim .cfg cannot hold, each said plainly: `simulate export` writes them into the
    file's header and prints them, since running the .cfg (in scalesim, or back in `simulate run`) simulates a
    different design. A design of 2 cores exported silently as one array ran in twice the cycles."""
    out: list[str] = []
    if d.cores > 1:
        out.append(f"cores = {d.cores}: SCALE-Sim models one array, so this config is one {d.rows}x{d.cols} core of "
                   f"the design (a layer of {d.cores} or more folds takes about {d.cores}x the design's cycles)")
    if not d.unlimited_bandwidth:
        per_cycle, words = _bandwidth_words(d)
        if abs(per_cycle - words) > 1e-9 * per_cycle:  # SCALE-Sim reads an integer
            out.append(f"DRAM bandwidth {per_cycle:.6g} words/cycle in the design, written as {words} (SCALE-Sim "
                       "takes integers)")
    if d.dram_latency_s > 0:
        out.append(f"dram_latency_s = {d.dram_latency_s:g} s: SCALE-Sim models no DRAM latency")
    if d.clock_hz != ASSUMED_CLOCK_HZ:
        out.append(f"clock_hz = {d.clock_hz:g}: a .cfg has no clock; read back, it runs at {ASSUMED_CLOCK_HZ:g} Hz "
                   "(same cycles, other seconds)")
    if d.tech_node_nm != ASSUMED_NODE_NM or (d.vdd_v is not None and d.vdd_v != ASSUMED_VDD_V):
        out.append(f"tech_node_nm = {d.tech_node_nm:g}: a .cfg has no technology; read back, its energy is "
                   f"{ASSUMED_NODE_NM:g} nm / {ASSUMED_VDD_V:g} V's")
    return out
