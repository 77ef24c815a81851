"""The time limits of distributed runs, in a module that imports nothing: the CLI's help texts read them at start-up
(launch.py and collectives.py import the stdlib and measure modules the CLI otherwise loads only when a run starts)."""

from __future__ import annotations

STARTUP_S = 120.0
"""Least time allowed for start-up (torch imports, rendezvous, model building) before the first step is done."""
COLLECTIVES_TIMEOUT_S = 300.0
"""The longest the benchmark may go without a figure finishing before its ranks are stopped as hung (probe
--timeout-s)."""
