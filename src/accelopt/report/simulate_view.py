"""The words `simulate run` says beside its DRAM bandwidth figure, shared by the console (cli/simulate.py) and the
--html page (report/html.py): which stalls the bandwidth it needs removes, and how many stall cycles remain at any
bandwidth. The page showed 'DRAM bandwidth needed for no bandwidth stalls' alone (ut3srv, 2026-12-06: a 64-byte-SRAM
design at 1 PB/s showed 12.4 GB/s needed beside 86,998 stall cycles, without the console's '86,996 stall cycles
remain at any bandwidth: stationary-operand reloads')."""

from __future__ import annotations

from typing import Any

from accelopt import units


def stalls_left(result: Any) -> str:
    """What the 'needs X for no ...' bandwidth removes: every stall, or the bandwidth stalls only when the design's
    DRAM latency (once per layer, not on a layer SCALE-Sim's buffers replay) or stationary-operand reloads (ws/is
    accumulator chunks) stall at any bandwidth (simulate/memory.py stalls(); the line said 'for no stalls' while
    those cycles remained). Under the tiling and row-stationary models each layer's first fill (a systolic layer's
    first stationary tile, an rs layer's first pass) waits at any finite bandwidth: said too, with its cycles where
    the design's bandwidth is at least X (Eyeriss on AlexNet read 'needs 435 MB/s for no stalls' beside 34,126 stall
    cycles at its 720 MB/s)."""
    latency = sum(x.latency_cycles for x in result.layers)
    reloads = sum(x.reload_cycles for x in result.layers)
    # at unlimited bandwidth a first fill takes no cycle (the run printed 'beyond each layer's first fill' beside 0
    # stall cycles)
    fill = ("" if replayed(result) or result.design.unlimited_bandwidth
            else " beyond each layer's first fill" + fill_here(result, latency + reloads))
    if not latency and not reloads:
        return "stalls" + fill
    parts = ([f"DRAM latency {units.fmt_quantity(latency, 'count')}"] if latency else []) + (
        [f"stationary-operand reloads {units.fmt_quantity(reloads, 'count')}"] if reloads else [])
    return (f"bandwidth stalls{fill}; {units.fmt_quantity(latency + reloads, 'count')} stall cycles remain at any "
            f"bandwidth: {', '.join(parts)}")


def replayed(result: Any) -> bool:
    """SCALE-Sim's buffers set the traffic and stalls (scalesim-code at a finite bandwidth): no first-fill model."""
    return result.convention == "scalesim-code" and not result.design.unlimited_bandwidth


def fill_here(result: Any, fixed_cycles: float) -> str:
    """' (N cycles at B)': the first fills' stall cycles at the design's bandwidth B when B is at least the bandwidth
    every layer needs (then no layer's transfers outlast its compute, so stall = fill + latency + reloads,
    simulate/memory.py stalls()); '' below it (the fills are not told apart there) or where nothing is left."""
    bandwidth = result.design.dram_bandwidth_byte_per_s
    need = result.totals.bandwidth_needed_byte_per_s
    fills = sum(x.stall_cycles for x in result.layers) - fixed_cycles
    if result.design.unlimited_bandwidth or bandwidth < need or fills <= 0:
        return ""
    return (f" ({units.fmt_quantity(fills, 'count')} cycle{'' if fills == 1 else 's'} at "
            f"{units.fmt_byte_per_s(bandwidth)})")  # '(1 cycles at 34 GB/s)' before
