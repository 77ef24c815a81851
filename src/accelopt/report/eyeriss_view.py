"""The Eyeriss check (`simulate published --chip eyeriss`) in the units of the table it is checked against, JSSC
2017 Table V (ms, mW, MB = 1e6 bytes), as the console table and the --html page both print it.

The page printed the predictions in SI beside the published figures (0.273 W beside 332 mW, 5.37 MiB beside
5 MB) while the console printed them in Table V's units (273, 5.63): not the same numbers, and on the page not
comparable at a glance. Both now take their cells from here."""

from __future__ import annotations

from typing import Any


def layer_cells(x: Any) -> dict[str, str]:
    """One EyerissLayerCheck (accelopt.simulate.published) as text, published beside predicted, in Table V's
    units; errors with their sign."""
    p = x.published
    return {"layer": p.layer, "latency_ms": f"{p.processing_latency_ms:g}",
            "latency_ms_pred": f"{x.processing_latency_s * 1e3:.1f}", "latency_err": f"{x.latency_error:+.1%}",
            "pes": f"{p.active_pes}/{x.active_pes}", "power_mw": f"{p.power_mw:g}",
            "power_mw_pred": f"{x.power_w * 1e3:.0f}", "power_err": f"{x.power_error:+.1%}",
            "dram_mb": f"{p.dram_accesses_mb:g}", "dram_mb_raw": f"{x.dram_raw_bytes / 1e6:.2f}",
            "dram_mb_rlc": f"{x.dram_rlc_bytes / 1e6:.2f}", "dram_err": f"{x.dram_error:+.1%}",
            "glb_mb": f"{p.glb_accesses_mb:g}/{x.glb_bytes / 1e6:.1f}"}


def total_cells(check: Any) -> dict[str, str]:
    """The CONV1-5 totals of an EyerissCheck: frames/s, power in mW, DRAM accesses per MAC; published beside
    predicted, errors with their sign."""
    return {"fps_pred": f"{check.frames_per_s:.1f}", "fps": f"{check.published_frames_per_s:g}",
            "fps_err": f"{check.fps_error:+.1%}", "power_mw_pred": f"{check.power_w * 1e3:.0f}",
            "power_mw": f"{check.published_power_w * 1e3:g}", "power_err": f"{check.power_error:+.1%}",
            "per_mac_pred": f"{check.dram_accesses_per_mac:.4f}",
            "per_mac": f"{check.published_dram_accesses_per_mac:g}",
            "per_mac_err": f"{check.dram_per_mac_error:+.1%}"}
