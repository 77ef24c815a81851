"""`accelopt simulate published --chip eyeriss` on the console: the eyeriss preset against JSSC 2017 Table V,
layer by layer."""

from __future__ import annotations

from typing import Any


def render_eyeriss(check: Any) -> None:
    """The console table of an EyerissCheck (accelopt.simulate.published)."""
    from rich.table import Table

    from accelopt.report.console import make_console

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
        p = x.published
        t.add_row(p.layer, f"{p.processing_latency_ms:g}", f"{x.processing_latency_s * 1e3:.1f}",
                  f"{x.latency_error:+.1%}", f"{p.active_pes}/{x.active_pes}", f"{p.power_mw:g}",
                  f"{x.power_w * 1e3:.0f}", f"{x.power_error:+.1%}", f"{p.dram_accesses_mb:g}",
                  f"{x.dram_raw_bytes / 1e6:.2f}", f"{x.dram_rlc_bytes / 1e6:.2f}", f"{x.dram_error:+.1%}",
                  f"{p.glb_accesses_mb:g}/{x.glb_bytes / 1e6:.1f}")
    con.print(t)
    con.print(f"CONV1-5, batch 4: {check.frames_per_s:.1f} frames/s against {check.published_frames_per_s:g} "
              f"({check.fps_error:+.1%}); power* {check.power_w * 1e3:.0f} mW against "
              f"{check.published_power_w * 1e3:g} ({check.power_error:+.1%}); DRAM accesses per MAC* "
              f"{check.dram_accesses_per_mac:.4f} against {check.published_dram_accesses_per_mac:g} "
              f"({check.dram_per_mac_error:+.1%})")
    for n in check.notes:
        con.print(f"* {n}")
