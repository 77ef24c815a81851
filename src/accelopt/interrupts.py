"""Ctrl-C and SIGTERM put off while a stopped run's results are kept: one helper for the launcher (which stops a
distributed run's processes and reads what they measured) and the commands (which record and print it)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

_STOPPED_BY: list[str] = []
"""The signal that stopped this run, when it was not Ctrl-C: term_as_interrupt records SIGTERM here."""


def term_as_interrupt(signum: int, frame: Any) -> None:
    """SIGTERM raised as KeyboardInterrupt (cli/commands.py installs it), with the signal recorded so that the run's
    messages name what stopped it (stopped_by): `timeout 5 accelopt profile ...` said 'interrupted (Ctrl-C)'."""
    import signal

    _STOPPED_BY[:] = [signal.Signals(signum).name]
    raise KeyboardInterrupt


def stopped_by() -> str:
    """What stopped the run, as the interruption messages name it: 'SIGTERM' after term_as_interrupt, else 'Ctrl-C'
    (SIGINT: Python's own handler raises KeyboardInterrupt)."""
    return _STOPPED_BY[0] if _STOPPED_BY else "Ctrl-C"


def recorded_stop(record: Any) -> str:
    """The signal a partial record says stopped it (its stopped_by, stopped_by() when it was made), or 'Ctrl-C or
    SIGTERM' for a record written before it said which."""
    return getattr(record, "stopped_by", "") or "Ctrl-C or SIGTERM"


def forget_stop() -> None:
    """A new run (cli/commands.py main): no signal has stopped it yet."""
    _STOPPED_BY.clear()


@contextlib.contextmanager
def interrupts_held(what: str) -> Iterator[None]:
    """Ctrl-C and SIGTERM put off while `what` (a stopped run's result) is recorded and printed: a second Ctrl-C
    there (a user pressing twice, a script's timeout after the first signal) raised KeyboardInterrupt inside the
    printing and the run's measured results were lost ('nothing to show'). Each one put off is said on stderr; the
    handlers are put back after (main thread only; elsewhere nothing is changed)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def later(signum: int, frame: Any) -> None:
        print(f"{signal.Signals(signum).name} received: stopping already; writing {what} first", file=sys.stderr)

    names = [n for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]
    before = {n: signal.signal(getattr(signal, n), later) for n in names}
    try:
        yield
    finally:
        for n, handler in before.items():
            signal.signal(getattr(signal, n), handler)
