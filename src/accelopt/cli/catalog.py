"""`accelopt catalog` (being built; see its issue)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("catalog", help="(not built yet)")
    def _cmd() -> None:
        from accelopt.errors import UnsupportedError

        raise UnsupportedError("`accelopt catalog` is not built yet", "see the open issue for it")
