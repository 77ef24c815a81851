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

import errno
import re
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

# Width when stdout is not a terminal (pipes, files, tests): rich's 80-column default would fold wide tables.
PIPE_WIDTH = 200

# C0 controls except tab and newline, DEL, and C1 controls (ESC starts terminal escape sequences,
# 0x9b is a one-byte CSI, 0x9d a one-byte OSC), and the bidirectional overrides and isolates (U+202A-202E,
# U+2066-2069), which reorder the text after them on screen (a model named 'x\u202efdp.exe' reads 'xexe.pdf'), and
# lone surrogates (U+D800-DFFF): Python's stand-ins for the bytes of a command line or file name that are not UTF-8
# (a Latin-1 'rapport_\xe9t\xe9.html' arrives as 'rapport_\udce9t\udce9.html'); no UTF-8 file or terminal can hold
# them (an HTML page of such a command line raised UnicodeEncodeError after the run).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: object) -> str:
    """`text` as a str with control and bidi-override characters and lone surrogates written as visible escapes
    ('\\x1b', '\\u202e', '\\udce9'), nothing else changed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                        str(text))


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


def _reader_gone(console: Console) -> None:
    """Standard output's reader left (`accelopt catalog list | head -1`): rich's own on_broken_pipe exits 1 (a
    silent failure status); here the console goes quiet and the BrokenPipeError goes on to the CLI, which stops
    with the status a shell expects of a tool its reader stopped (cli.commands.SIGPIPE_STATUS)."""
    console.quiet = True
    raise BrokenPipeError(errno.EPIPE, "the reader of standard output closed it")


class PlainConsole(Console):
    """A rich Console that renders every str as plain text (see the module docstring), and never cuts a table's
    cells: on a terminal narrower than a table's narrowest layout, rich shrank its columns below their longest
    word, cutting numbers ('3.28 TB/s' shown as '3…', a wrong number) or emptying whole columns; such a table is
    printed at that narrowest width instead (each cell wrapped at its spaces), and the terminal wraps its lines."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs["markup"] = False  # whatever the caller asked: a str may hold a user's name or path
        kwargs["emoji"] = False
        return super().render_str(printable(text), **kwargs)

    def on_broken_pipe(self) -> None:
        _reader_gone(self)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        tight = [o for o in objects if isinstance(o, Table) and not fits_surely(o, self.width)
                 and self.narrowest(o) > self.width]
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


def fits_surely(table: Table, width: int) -> bool:
    """True where `table` at its narrowest is surely no wider than `width`, read from its cells' text alone: an upper
    bound of PlainConsole.narrowest (each column as wide as its longest line, not word, plus its full padding; the
    borders; the table's min_width). rich's own measurement renders every cell (twice, Table.__rich_measure__), a third
    of the printing time of a long table (`plan --top 99999999999999999999`: 708 rows). False (measure it) for a
    table with a fixed width or a cell that is neither a str nor a Text."""
    from rich.cells import cell_len

    if table.width is not None:
        return False
    pad = table.padding[1] + table.padding[3]  # Table._get_cells gives a cell this padding or less
    # _extra_width and Column._cells are rich's private names (rich 13/14): another rich without them is measured
    total = getattr(table, "_extra_width", None)
    if not isinstance(total, int):
        return False
    for column in table.columns:
        widest = max(column.width or 0, column.min_width or 0, 1)  # rich counts a column with no cells 1 wide
        cells = getattr(column, "_cells", None)
        if not isinstance(cells, list):
            return False
        for cell in (column.header, column.footer, *cells):
            if not isinstance(cell, str | Text):
                return False
            text = printable(cell) if isinstance(cell, str) else cell.plain  # a str as PlainConsole.render_str has it
            widest = max(widest, *(cell_len(ln) for ln in text.splitlines()), 0)  # a word lies within one line
        total += widest + pad
    return max(total, table.min_width or 0) <= width


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


class HelpConsole(Console):
    """The console of `--help` (typer's): its option and command tables never cut a word. typer lays an options
    panel out as one table (flags, type, help) and rich, short of room, shrank the help column below its longest
    word and cut it ('max_position_embedding…' at 80 columns, most of the help at 40). Here the flag columns keep
    their width and the help column takes the rest, wrapped at spaces; where even that leaves it narrower than
    its longest word, each option is printed as its flags on one line and its help indented below."""

    def on_broken_pipe(self) -> None:
        _reader_gone(self)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        for o in objects:
            if isinstance(o, Panel) and isinstance(o.renderable, Table):
                o.renderable = whole_word_help(self, o.renderable, self.width - PANEL_EDGES)
        super().print(*objects, **kwargs)


PANEL_EDGES = 4
"""Columns a rich Panel takes around its content: two borders and its default padding of one on each side."""


def whole_word_help(console: Console, table: Table, width: int) -> Table:
    """`table` (last column: the help) laid out in `width` columns with every word whole: the other columns at
    their natural width (a fixed Column.width, which rich never shrinks) and the help in the rest, or, when that
    rest is narrower than the help's longest word, stacked() (a flag longer than `width` is folded, the last
    resort)."""
    options = console.options.update(max_width=WIDEST)
    ranges = [table._measure_column(console, options, c) for c in table.columns]  # padding included
    help_least = max((least_width(console, options, c) for c in table.columns[-1].cells), default=0)
    if sum(r.maximum for r in ranges[:-1]) + help_least + table._get_padding_width(len(ranges) - 1) > width:
        return stacked(table)
    for i, (column, r) in enumerate(zip(table.columns[:-1], ranges[:-1], strict=True)):
        column.width = r.maximum - table._get_padding_width(i)
    table.columns[-1].overflow = "fold"
    return table


def least_width(console: Console, options: Any, cell: Any) -> int:
    """The columns `cell` needs with no word cut. typer's help cell is a rich Columns (the help, then its
    default), which measures its minimum as 1: its items are measured instead."""
    from rich.columns import Columns
    from rich.measure import Measurement

    if isinstance(cell, Columns):
        for r in cell.renderables:  # a word wider than the whole width: folded (every character shown), not cut
            if isinstance(r, Text):
                r.overflow = "fold"
        return max((least_width(console, options, r) for r in cell.renderables), default=0)
    return Measurement.get(console, options, cell).minimum


def stacked(table: Table) -> Table:
    """`table` as one column: each row's leading cells (flags, type) on a line, its last cell (the help) on the
    lines below, indented by two."""
    from rich.console import Group
    from rich.padding import Padding

    out = Table(show_header=False, box=None, pad_edge=False, padding=(0, 1), expand=True, highlight=table.highlight)
    out.add_column(overflow="fold")
    columns = [list(c.cells) for c in table.columns]
    for row in zip(*columns, strict=True):
        head = [c if isinstance(c, Text) else Text(str(c)) for c in row[:-1]]
        head_line = Text(" ").join(h for h in head if h.plain.strip())
        out.add_row(Group(head_line, Padding(row[-1], (0, 0, 0, 2))))
    return out
