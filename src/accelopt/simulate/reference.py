"""Run the `scalesim` package (SCALE-Sim v2/v3, PyPI 3.0.0) on layers, for cross-checks and benchmarks.

scalesim is a dev dependency, imported lazily. scalesim 3.0.0 calls `int()` on a 1-element numpy array
(`int(max(ofmap_serviced_cycles))` in memory/double_buffered_scratchpad_mem.py, and
`int(max(response_cycles_arr))` in memory/read_buffer.py, reached in its USER bandwidth mode), which
NumPy >= 2.3 rejects; `run_scalesim` therefore installs, for its own call only, a module-level `max` in
those scalesim modules that returns a scalar for a 1-element array. No scalesim file is changed.
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
from accelopt.simulate.scalesim_cfg import SCALESIM_CFG
from accelopt.simulate.topology import write_topology


def _scalar_max(*args: Any, **kwargs: Any) -> Any:
    r = builtins.max(*args, **kwargs)
    if hasattr(r, "size") and getattr(r, "size", 0) == 1 and hasattr(r, "reshape"):
        return r.reshape(-1)[0]
    return r


@contextlib.contextmanager
def _numpy2_shim() -> Iterator[None]:
    import scalesim.memory.double_buffered_scratchpad_mem as mem
    import scalesim.memory.read_buffer as rdbuf

    saved = [(m, "max" in vars(m), vars(m).get("max")) for m in (mem, rdbuf)]
    for m, _, _ in saved:
        m.max = _scalar_max  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for m, had, old in saved:
            if had:
                m.max = old  # type: ignore[attr-defined]
            else:
                del m.max  # type: ignore[attr-defined]


def _read_report(path: Path) -> list[dict[str, float]]:
    lines = path.read_text().splitlines()
    header = [h.strip() for h in lines[0].split(",") if h.strip()]
    out = []
    for line in lines[1:]:
        vals = [v.strip() for v in line.split(",") if v.strip()]
        out.append({h: float(v) for h, v in zip(header, vals, strict=False)})
    return out


def run_scalesim_files(cfg: Path, topology: Path, out_dir: Path, gemm: bool = False) -> list[dict[str, float]]:
    """Run scalesim on a .cfg and a topology CSV; its report rows (see `run_scalesim`)."""
    try:
        from scalesim.scale_sim import scalesim
    except ImportError:  # pragma: no cover - depends on the environment
        raise UnsupportedError("the scalesim package is not installed", "pip install scalesim (dev extra)") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = out_dir / "layout.csv"
    layout.write_text("Layer name,\n", encoding="utf-8")  # no custom layouts
    with _numpy2_shim(), contextlib.redirect_stdout(io.StringIO()):
        sim = scalesim(save_disk_space=True, verbose=False, config=str(cfg), topology=str(topology),
                       layout=str(layout), input_type_gemm=gemm)
        sim.run_scale(top_path=str(out_dir))
    run_dir = next(p for p in out_dir.iterdir() if p.is_dir() and (p / "COMPUTE_REPORT.csv").exists())
    compute, access = _read_report(run_dir / "COMPUTE_REPORT.csv"), _read_report(run_dir / "DETAILED_ACCESS_REPORT.csv")
    return [{**c, **a} for c, a in zip(compute, access, strict=True)]


def run_scalesim(layers: Sequence[Layer], rows: int, cols: int, dataflow: str, workdir: Path | str,
                 gemm: bool = False, sram_kb: int = 256, bandwidth_words_per_cycle: int | None = None,
                 ifmap_kb: int | None = None, filter_kb: int | None = None,
                 ofmap_kb: int | None = None) -> list[dict[str, float]]:
    """Run scalesim on `layers` in `workdir`; one dict per layer with SCALE-Sim's own column names
    (COMPUTE_REPORT and DETAILED_ACCESS_REPORT merged: the peer's raw report, read back as written).

    bandwidth_words_per_cycle None = SCALE-Sim's CALC mode (no bandwidth limit); a number = its USER
    mode with that many 1-byte words per cycle for the ifmap and filter reads (its [layout] bank
    bandwidth, one bank) and the ofmap writes (its Bandwidth field). Buffers in SCALE-Sim kB (1024 B).
    """
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    cfg, topo = work / "ref.cfg", work / "topology.csv"
    bw = bandwidth_words_per_cycle
    cfg.write_text(SCALESIM_CFG.format(run_name="ref", rows=rows, cols=cols, dataflow=dataflow,
                                       ifmap_kb=ifmap_kb or sram_kb, filter_kb=filter_kb or sram_kb,
                                       ofmap_kb=ofmap_kb or sram_kb, bandwidth=bw or 10,
                                       mode="CALC" if bw is None else "USER"), encoding="utf-8")
    write_topology(layers, topo, gemm=gemm)
    return run_scalesim_files(cfg, topo, work / "out", gemm)
