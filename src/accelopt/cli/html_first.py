"""`--html PATH` checked before any command's work, in one place for every command that takes it.

The page is written last (report.runs.finish_run, after the console or JSON output), so a path that cannot take
it (a folder, a missing folder, a name that is not .html, a file accelopt did not write: userio.check_writable's
one rule) was refused only once a `plan` search or a `validate` had run, and its output was printed beside an
error. probe, profile, optimize and simulate checked their own path first; plan, plan explain, plan serve, plan
infer, validate and catalog compare did not. Each command's callback is now wrapped to check it first.
"""

from __future__ import annotations

import functools
from typing import Any


def check_html_first(command: Any) -> None:
    """Wrap the callback of `command` and of every subcommand that has an --html option (click objects, as typer
    builds them) so that the option's path is checked (userio.check_writable) before the callback runs."""
    callback = command.callback
    takes_html = any("--html" in getattr(p, "opts", ()) for p in getattr(command, "params", ()))
    if takes_html and callback is not None and not getattr(callback, "_checks_html", False):
        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("html") is not None:
                from accelopt.userio import check_writable

                check_writable(kwargs["html"], "--html", "report.html")
            return callback(*args, **kwargs)

        run._checks_html = True  # type: ignore[attr-defined]
        command.callback = run
    for sub in getattr(command, "commands", {}).values():  # a group's (click) subcommands
        check_html_first(sub)


HTML_RULE = (" (a path ending in .html or .htm: a new file, or a page accelopt wrote, which is replaced; any other "
             "file is refused, checked before the work)")
"""The end of every --html option's help: the rule check_writable applies."""
