"""Run the `scalesim` package (SCALE-Sim v2/v3, PyPI 3.0.0) on layers, for cross-checks and benchmarks.

scalesim is a dev dependency, imported lazily. scalesim 3.0.0 calls `int()` on a 1-element numpy array
(`int(max(ofmap_serviced_cycles))` in memory/double_buffered_scratchpad_mem.py), which NumPy >= 2.3
rejects; `run_scalesim` therefore installs, for its own call only, a module-level `max` in that scalesim
module that returns a scalar for a 1-element array. No scalesim file is changed.
"""

from __future__ import annotations

import builtins
import contextlib
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from accelopt.errors import UnsupportedError
from accelopt.simulate.layers import Layer
from accelopt.simulate.topology import write_topology

_CONFIG = """[general]
run_name = ref

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
Bandwidth: 10
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def _scalar_max(*args: Any, **kwargs: Any) -> Any:
    r = builtins.max(*args, **kwargs)
    if hasattr(r, "size") and getattr(r, "size", 0) == 1 and hasattr(r, "reshape"):
        return r.reshape(-1)[0]
    return r


@contextlib.contextmanager
def _numpy2_shim() -> Iterator[None]:
    import scalesim.memory.double_buffered_scratchpad_mem as mem

    had = "max" in vars(mem)
    old = vars(mem).get("max")
    mem.max = _scalar_max  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if had:
            mem.max = old  # type: ignore[attr-defined]
        else:
            del mem.max  # type: ignore[attr-defined]


def run_scalesim(layers: Sequence[Layer], rows: int, cols: int, dataflow: str, workdir: Path | str,
                 gemm: bool = False, sram_kb: int = 256) -> list[dict[str, float]]:
    """Run scalesim on `layers` in `workdir`; one dict per COMPUTE_REPORT row (SCALE-Sim's columns)."""
    try:
        from scalesim.scale_sim import scalesim
    except ImportError:  # pragma: no cover - depends on the environment
        raise UnsupportedError("the scalesim package is not installed", "pip install scalesim (dev extra)") from None
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    cfg, topo, layout = work / "ref.cfg", work / "topology.csv", work / "layout.csv"
    cfg.write_text(_CONFIG.format(rows=rows, cols=cols, dataflow=dataflow, ifmap_kb=sram_kb, filter_kb=sram_kb,
                                  ofmap_kb=sram_kb), encoding="utf-8")
    write_topology(layers, topo, gemm=gemm)
    layout.write_text("Layer name,\n", encoding="utf-8")  # no custom layouts
    with _numpy2_shim(), contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topo),
                       layout=str(layout), input_type_gemm=gemm)
        sim.run_scale(top_path=str(work / "out"))
    report = (work / "out" / "ref" / "COMPUTE_REPORT.csv").read_text().splitlines()
    header = [h.strip() for h in report[0].split(",") if h.strip()]
    out = []
    for line in report[1:]:
        vals = [v.strip() for v in line.split(",") if v.strip()]
        out.append({h: float(v) for h, v in zip(header, vals, strict=False)})
    return out
