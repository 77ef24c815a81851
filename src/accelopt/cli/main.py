"""The `accelopt` console entry point (pyproject's [project.scripts]: accelopt.cli.main:main), kept light: it
imports the command (accelopt.cli.commands: typer, rich and every subcommand module, most of a second) inside its
own Ctrl-C handler. A Ctrl-C in that first second printed a Python traceback from wherever the import was; it now
prints one line and exits 130, as a Ctrl-C anywhere else does.

Every other name of the command (app, interrupts_held, ...) is still importable from here (__getattr__)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself is not imported at start-up (mypy reads the name as typing's)
if TYPE_CHECKING:
    from typing import Any

INTERRUPTED_STATUS = 128 + 2
"""What a shell reports for a process stopped by Ctrl-C (SIGINT): 128 + 2."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors print problem + fix and exit 2, never a traceback; a Ctrl-C (or SIGTERM, once
    the command handles it) before a command's own handler is in place prints one line and exits 130."""
    try:
        from accelopt.cli import commands

        commands.main(argv)
    except KeyboardInterrupt:
        from accelopt.interrupts import stopped_by

        print(f"interrupted ({stopped_by()}) before the command ran: nothing to show, save or record",
              file=sys.stderr)
        sys.exit(INTERRUPTED_STATUS)


def __getattr__(name: str) -> Any:
    """A name of the command (app, interrupts_held, _BUILT, ...) from accelopt.cli.commands, where it lives: code and
    tests that import it from here, as before the entry point was made light, get the same object. Not a dunder
    name: the import system asks for __path__ (whether this is a package) on every `from accelopt.cli.main import
    main`, which would import the command outside main's handler."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from accelopt.cli import commands

    try:
        return getattr(commands, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
