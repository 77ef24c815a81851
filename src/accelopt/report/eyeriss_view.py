"""The Eyeriss check (`simulate published --chip eyeriss`) in the units of the table it is checked against, JSSC
2017 Table V (ms, mW, MB = 1e6 bytes), as the console table and the --html page both print it.

The page printed the predictions in SI beside the published figures (0.273 W beside 332 mW, 5.37 MiB beside
5 MB) while the console printed them in Table V's units (273, 5.63): not the same numbers, and on the page not
comparable at a glance. Both now take their cells from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accelopt.simulate.published import EyerissCheck, EyerissLayerCheck


@dataclass(frozen=True)
class LayerCells:
    """One layer's cells: published figure, then the prediction, then the signed error."""

    layer: str
    latency_ms: str
    latency_ms_pred: str
    latency_err: str
    pes: str  # published / predicted active PEs
    power_mw: str
    power_mw_pred: str
    power_err: str
    dram_mb: str
    dram_mb_raw: str
    dram_mb_rlc: str
    dram_err: str
    glb_mb: str  # published / predicted


@dataclass(frozen=True)
class TotalCells:
    """The CONV1-5 totals' cells: published, predicted, signed error of each figure."""

    fps: str
    fps_pred: str
    fps_err: str
    power_mw: str
    power_mw_pred: str
    power_err: str
    per_mac: str
    per_mac_pred: str
    per_mac_err: str


def layer_cells(x: EyerissLayerCheck) -> LayerCells:
    """One EyerissLayerCheck (accelopt.simulate.published) as text, published beside predicted, in Table V's
    units; errors with their sign."""
    p = x.published
    return LayerCells(
        layer=p.layer, latency_ms=f"{p.processing_latency_ms:g}",
        latency_ms_pred=f"{x.processing_latency_s * 1e3:.1f}", latency_err=f"{x.latency_error:+.1%}",
        pes=f"{p.active_pes}/{x.active_pes}", power_mw=f"{p.power_mw:g}",
        power_mw_pred=f"{x.power_w * 1e3:.0f}", power_err=f"{x.power_error:+.1%}",
        dram_mb=f"{p.dram_accesses_mb:g}", dram_mb_raw=f"{x.dram_raw_bytes / 1e6:.2f}",
        dram_mb_rlc=f"{x.dram_rlc_bytes / 1e6:.2f}", dram_err=f"{x.dram_error:+.1%}",
        glb_mb=f"{p.glb_accesses_mb:g}/{x.glb_bytes / 1e6:.1f}")


def tolerance_text(check: EyerissCheck) -> str:
    """The tolerances stated before comparing, as the console and the page both print them ('frames/s 15%, ...')."""
    tol = check.tolerances
    return (f"frames/s {tol.frames_per_s_tolerance_fraction:.0%}, processing latency "
            f"{tol.processing_latency_tolerance_fraction:.0%}, DRAM {tol.dram_tolerance_fraction:.0%}, power "
            f"{tol.power_tolerance_fraction:.0%}")


def total_cells(check: EyerissCheck) -> TotalCells:
    """The CONV1-5 totals of an EyerissCheck: frames/s, power in mW, DRAM accesses per MAC; published beside
    predicted, errors with their sign."""
    return TotalCells(
        fps=f"{check.published_frames_per_s:g}", fps_pred=f"{check.frames_per_s:.1f}",
        fps_err=f"{check.fps_error:+.1%}", power_mw=f"{check.published_power_w * 1e3:g}",
        power_mw_pred=f"{check.power_w * 1e3:.0f}", power_err=f"{check.power_error:+.1%}",
        per_mac=f"{check.published_dram_accesses_per_mac:g}", per_mac_pred=f"{check.dram_accesses_per_mac:.4f}",
        per_mac_err=f"{check.dram_per_mac_error:+.1%}")
