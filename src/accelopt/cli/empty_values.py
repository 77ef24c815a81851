"""Refuse an option typed with an empty value (`--batch ""`, `--rate "$UNSET"`).

Options whose default is "" or None read an empty value as "not given": `plan serve --batch ""` swept the default
batches, `plan --tp-overlap-cfg ""` ran without the file, and the user never learnt that the value (often an unset
shell variable) was lost. No accelopt option takes an empty or blank value, so one typed on the command line is an
error naming the flag; an option left out keeps its default.
"""

from __future__ import annotations

import functools
from typing import Any

from accelopt.errors import InputError


def refuse_empty_values(command: Any, path: str = "accelopt") -> None:
    """Make every value-taking option of `command` and its subcommands (click objects, as typer builds them) refuse
    an empty or blank value typed on the command line, with InputError (exit status 2) naming the flag."""
    for param in getattr(command, "params", ()):
        if _takes_text(param) and not getattr(param.process_value, "refuses_empty", False):
            param.process_value = _refusing(param, path)
    for name, sub in getattr(command, "commands", {}).items():  # a group's subcommands
        refuse_empty_values(sub, f"{path} {name}")


def _takes_text(param: Any) -> bool:
    """An option that takes a value (not a flag, not a counter), or a positional argument that may be left out:
    an empty one was read as a path to the current folder (`history import ""` imported from `.`, `plan infer ""`
    loaded `.` as a model). A required argument's own check names it ('an empty device name')."""
    if param.param_type_name == "argument":
        return not param.required
    return bool(getattr(param, "opts", None)) and param.param_type_name == "option" \
        and not getattr(param, "is_flag", False) and not getattr(param, "count", False)


def _refusing(param: Any, path: str) -> Any:
    """`param.process_value` (click: the raw value(s) as typed -> the converted value), refusing a blank one first."""
    process = param.process_value

    @functools.wraps(process)
    def process_value(ctx: Any, value: Any) -> Any:
        typed = getattr(ctx.get_parameter_source(param.name), "name", None) == "COMMANDLINE"
        blank = next((v for v in (value if isinstance(value, (list, tuple)) else (value,)) if _blank(v)), None)
        if typed and blank is not None:
            flag = _name(param)
            left_out = "" if param.required or param.param_type_name == "argument" else \
                f", or leave {flag} out for its default"  # an argument left out may be required (plan infer)
            raise InputError(f"{flag} {blank!r} is empty (an unset shell variable expands to nothing)",
                             f"give {flag} a value (`{path} --help` says which){left_out}")
        return process(ctx, value)

    process_value.refuses_empty = True  # type: ignore[attr-defined]
    return process_value


def _name(param: Any) -> str:
    """How the command line names `param`: its longest flag ('--model', not '-m'), or an argument's metavar
    (MODEL, FOLDER)."""
    if param.param_type_name == "argument":
        return param.name.upper()
    return str(max(param.opts, key=len))


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()
