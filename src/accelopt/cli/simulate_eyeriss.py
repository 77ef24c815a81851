"""`accelopt simulate published --chip eyeriss` on the console: the eyeriss preset against JSSC 2017 Table V,
layer by layer."""

from __future__ import annotations

from typing import Any


def render_eyeriss(check: Any) -> None:
    """The console table of an EyerissCheck (accelopt.simulate.published)."""
    from rich.table import Table

    from accelopt.report.console import make_console
    from accelopt.report.eyeriss_view import layer_cells, tolerance_text, total_cells

    con = make_console()
    con.print(f"{check.source}: published vs predicted; tolerances stated before comparing: {tolerance_text(check)}")
    t = Table()
    for col in ("layer", "proc ms pub", "pred", "err", "PEs pub/pred", "mW pub", "pred*", "err",
                "DRAM MB pub", "raw*", "RLC*", "err", "GLB MB pub/pred*"):
        t.add_column(col, justify="left" if col == "layer" else "right", no_wrap=True)
    for x in check.layers:
        c = layer_cells(x)
        t.add_row(c.layer, c.latency_ms, c.latency_ms_pred, c.latency_err, c.pes, c.power_mw, c.power_mw_pred,
                  c.power_err, c.dram_mb, c.dram_mb_raw, c.dram_mb_rlc, c.dram_err, c.glb_mb)
    con.print(t)
    tc = total_cells(check)
    con.print(f"CONV1-5, batch 4: {tc.fps_pred} frames/s against {tc.fps} ({tc.fps_err}); power* "
              f"{tc.power_mw_pred} mW against {tc.power_mw} ({tc.power_err}); DRAM accesses per MAC* "
              f"{tc.per_mac_pred} against {tc.per_mac} ({tc.per_mac_err})")
    for n in check.notes:
        con.print(f"* {n}")
