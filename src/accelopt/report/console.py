"""The one rich console of the command line, and how text reaches it.

Every string printed through it is plain text: names, paths and sources come from users and data files
(a catalog TOML, a topology CSV, a model path), and rich would read `[/bold]` in them as markup (a
MarkupError traceback), eat `[h100-sxm]` as an unknown style, turn `[link=...]` into a hidden terminal
hyperlink and `:smile:` into an emoji. So the console below never interprets markup or emoji codes in
any string (console.print, table cells, titles, captions), and shows control characters (ESC, BEL, ...)
as visible escapes instead of sending them to the terminal.

Our own styling is applied with `plain(text, style)` or `line(...)` (rich Text objects with a style),
never with markup in a string. rich's own Panel titles parse markup whatever the console: give them
`plain(text)`.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Width when stdout is not a terminal (pipes, files, tests): rich's 80-column default would fold wide tables.
PIPE_WIDTH = 200

# C0 controls except tab and newline, DEL, and C1 controls (ESC starts terminal escape sequences,
# 0x9b is a one-byte CSI, 0x9d a one-byte OSC).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """`text` as a str with control characters written as visible escapes ('\\x1b'), nothing else changed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def plain(text: object, style: str = "") -> Text:
    """A Text that shows `text` verbatim (no markup, no emoji codes, control characters made visible)."""
    return Text(printable(text), style=style)


def line(*parts: object) -> Text:
    """One line from parts: a (text, style) pair is styled, anything else is plain text; all verbatim."""
    out = Text()
    for p in parts:
        if isinstance(p, tuple):
            out.append(printable(p[0]), style=p[1])
        else:
            out.append(printable(p))
    return out


class PlainConsole(Console):
    """A rich Console that renders every str as plain text (see the module docstring), and never cuts a table's
    cells: on a terminal narrower than a table's narrowest layout, rich shrank its columns below their longest
    word, cutting numbers ('3.28 TB/s' shown as '3…', a wrong number) or emptying whole columns; such a table is
    printed at that narrowest width instead (each cell wrapped at its spaces), and the terminal wraps its lines."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False  # whatever the caller asked: a str may hold a user's name or path
        kwargs["emoji"] = False
        return super().render_str(printable(text), **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        tight = [o for o in objects if isinstance(o, Table) and self.narrowest(o) > self.width]
        if not tight or kwargs.get("width") is not None:
            super().print(*objects, **kwargs)
            return
        for table in tight:
            keep_words_whole(self, table)
        saved = self._width  # rich's print caps its width= at the console's: widen the console for this print
        self.width = max(self.narrowest(t) for t in tight)
        try:
            super().print(*objects, **kwargs)
        finally:
            self._width = saved

    def narrowest(self, table: Table) -> int:
        """The fewest columns `table` takes with no cell cut: every column as wide as its longest word."""
        from rich.measure import Measurement

        return Measurement.get(self, self.options.update(max_width=WIDEST), table).minimum


WIDEST = 10**6
"""A width no table reaches: measuring at it gives a table's natural widths."""


def keep_words_whole(console: Console, table: Table) -> None:
    """Make each column of `table` exactly as wide as its longest word (Column.min_width and max_width), for a
    table that cannot fit the terminal anyway: squeezing a table, rich narrows its widest columns first, below
    their longest word, whatever the other columns could give. Uses rich's own per-column measurement
    (Table._measure_column, padding included)."""
    options = console.options.update(max_width=WIDEST)
    for i, column in enumerate(table.columns):
        least = table._measure_column(console, options, column).minimum - table._get_padding_width(i)
        column.min_width = column.max_width = max(column.min_width or 0, least)


def make_console(*, stderr: bool = False, width: int | None = None, file: Any = None,
                 force_terminal: bool | None = None) -> Console:
    """The console every command prints through. `width` None: the terminal's width, or PIPE_WIDTH columns
    when the output is not a terminal (pipes, files), so that wide tables are not folded to 80 columns."""
    con = PlainConsole(stderr=stderr, width=width, file=file, force_terminal=force_terminal,
                       markup=False, emoji=False)
    if width is None and not con.is_terminal:
        con = PlainConsole(stderr=stderr, width=PIPE_WIDTH, file=file, force_terminal=force_terminal,
                           markup=False, emoji=False)
    return con
