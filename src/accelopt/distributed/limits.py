"""The time limits and default step counts of distributed runs, in a module that imports nothing: the CLI's help
texts read them at start-up
(launch.py and collectives.py import the stdlib and measure modules the CLI otherwise loads only when a run starts)."""

from __future__ import annotations

STARTUP_S = 120.0
"""Least time allowed for start-up (torch imports, rendezvous, model building) before the first step is done."""
COLLECTIVES_TIMEOUT_S = 300.0
"""The longest the benchmark may go without a figure finishing before its ranks are stopped as hung (probe
--timeout-s)."""
PROFILE_STEPS = 5
"""Steps profiled by default after PROFILER_WARMUP_STEPS (DistConfig.profile_steps): their trace's collectives,
overlap and compute figures are means over them, and plan's prediction shows their lowest and highest step. 2 until
ut3dist (2026-12-06): gpt tiny's DDP collectives on 2 gloo ranks spread 0.5 to 21 ms a step on this 2-core machine (the
rank that waits changes from step to step), so two steps' mean read 0.77 ms on one run and 9.9 ms on the next. Cost
measured there (profile_distributed of gpt ddp, baseline off, with profile_steps 2 and 10, the wall time of the
whole run): 8.88 -> 13.07 s and 9.65 -> 11.70 s, 0.26 to 0.52 s an added profiled step (the trace's recording and
reading), so 5 adds about 1-1.5 s to a run of about 17 s."""
