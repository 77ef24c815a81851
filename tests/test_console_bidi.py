"""User text with a bidirectional override (U+202E) reorders what follows on screen ('x\\u202efdp.exe' reads
'xexe.pdf'); the console showed it raw while the HTML page escaped it. One rule now (console.printable) for both."""

from __future__ import annotations

from accelopt.report.console import line, printable
from accelopt.report.html import esc


def test_bidi_override_is_a_visible_escape_on_the_console() -> None:
    assert printable("x\u202efdp.exe") == "x\\u202efdp.exe"
    assert printable("a\u2066b\u2069c") == "a\\u2066b\\u2069c"
    assert line("model ", ("x\u202eexe", "bold")).plain == "model x\\u202eexe"


def test_console_and_html_escape_alike() -> None:
    for text in ("x\u202efdp.exe", "esc\x1b[31m", "c1\x9b", "tab\tand\nnewline kept", "é µ ±"):
        assert esc(text, quote=False) == printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert printable("tab\tand\nnewline kept é") == "tab\tand\nnewline kept é"
