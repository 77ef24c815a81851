"""`accelopt simulate published --chip eyeriss` on the console: the eyeriss preset against JSSC 2017 Table V,
layer by layer."""

from __future__ import annotations

from typing import Any


def render_eyeriss(check: Any) -> None:
    """The console table of an EyerissCheck (accelopt.simulate.published)."""
    from rich.table import Table

    from accelopt.report.console import make_console
    from accelopt.report.eyeriss_view import layer_cells, total_cells

    con = make_console()
    tol = check.tolerances
    con.print(f"{check.source}: published vs predicted; tolerances stated before comparing: frames/s "
              f"{tol.frames_per_s_tolerance_fraction:.0%}, processing latency "
              f"{tol.processing_latency_tolerance_fraction:.0%}, DRAM {tol.dram_tolerance_fraction:.0%}, power "
              f"{tol.power_tolerance_fraction:.0%}")
    t = Table()
    for col in ("layer", "proc ms pub", "pred", "err", "PEs pub/pred", "mW pub", "pred*", "err",
                "DRAM MB pub", "raw*", "RLC*", "err", "GLB MB pub/pred*"):
        t.add_column(col, justify="left" if col == "layer" else "right", no_wrap=True)
    for x in check.layers:
        c = layer_cells(x)
        t.add_row(*(c[k] for k in ("layer", "latency_ms", "latency_ms_pred", "latency_err", "pes", "power_mw",
                                   "power_mw_pred", "power_err", "dram_mb", "dram_mb_raw", "dram_mb_rlc", "dram_err",
                                   "glb_mb")))
    con.print(t)
    c = total_cells(check)
    con.print(f"CONV1-5, batch 4: {c['fps_pred']} frames/s against {c['fps']} ({c['fps_err']}); power* "
              f"{c['power_mw_pred']} mW against {c['power_mw']} ({c['power_err']}); DRAM accesses per MAC* "
              f"{c['per_mac_pred']} against {c['per_mac']} ({c['per_mac_err']})")
    for n in check.notes:
        con.print(f"* {n}")
