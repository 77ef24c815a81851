"""Refuse a single-valued option typed twice with different values (`--hardware edge-tpu --hardware h100-sxm`).

click keeps the last value of an option that takes one: `plan infer resnet50 --hardware edge-tpu --hardware
h100-sxm` planned h100-sxm alone, and the user never learnt that edge-tpu was dropped (a user trial, utcli). Such an
option typed again with another value, or a flag typed beside its opposite (`--flash --no-flash`), is now an error
naming the option and both values, for every command at once; the same value typed twice is harmless and kept.
Repeatable options (list-typed, `--catalog A --catalog B`, `--row`) keep every occurrence, as before.
"""

from __future__ import annotations

import functools
from typing import Any

from accelopt.errors import InputError


def refuse_repeated_values(command: Any, path: str = "accelopt") -> None:
    """Make the option parser of `command` and of its subcommands (click objects, as typer builds them) refuse a
    single-valued option given twice with different values, with InputError (exit status 2) naming it."""
    make_parser = command.make_parser
    if not getattr(make_parser, "refuses_repeats", False):
        @functools.wraps(make_parser)
        def refusing_parser(ctx: Any) -> Any:
            parser = make_parser(ctx)
            if getattr(ctx, "resilient_parsing", False):  # shell completion: parse what is there, refuse nothing
                return parser
            for option in {id(o): o for o in (*parser._long_opt.values(), *parser._short_opt.values())}.values():
                if option.action in ("store", "store_const"):  # append / count: repeatable by design
                    option.process = _refusing(option, path)
            return parser

        refusing_parser.refuses_repeats = True  # type: ignore[attr-defined]
        command.make_parser = refusing_parser
    for name, sub in getattr(command, "commands", {}).items():  # a group's subcommands
        refuse_repeated_values(sub, f"{path} {name}")


def _refusing(option: Any, path: str) -> Any:
    """`option.process` (click's parser: store the value as typed under its destination), refusing a second,
    different value for a destination that already holds one."""
    process = option.process

    def process_value(value: Any, state: Any) -> None:
        new = option.const if option.action == "store_const" else value
        blank = isinstance(new, str) and not new.strip()  # refused as empty by empty_values.py, naming that
        if option.dest in state.opts and state.opts[option.dest] != new and not blank:
            raise _repeated(option, state.opts[option.dest], new, path)
        process(value, state)

    return process_value


def _repeated(option: Any, first: Any, second: Any, path: str) -> InputError:
    param = option.obj
    flag = str(max(param.opts, key=len))
    if option.action == "store_const":  # a flag and its opposite (--flash --no-flash): both typed
        said = [_flag_for(param, v) for v in (first, second)]
        return InputError(f"{said[0]} and {said[1]} are both given: they set one switch, and the last one typed "
                          "would win without a word",
                          f"give one of them (`{path} --help` says what each does)")
    values = [_typed(v) for v in (first, second)]
    problem = (f"{flag} is given twice, {values[0]} and {values[1]}: only one would be read (the last one typed), "
               "without a word")
    if _takes_a_list(param, path) and not any(".." in str(v) for v in (first, second)):
        fix = f"give {flag} once; it takes a list: {flag} {first},{second} (`{path} --help`)"
    elif _takes_a_list(param, path):  # a range LOW..HIGH does not join a list
        fix = f"give {flag} once: one list or one range (`{path} --help` gives its syntax)"
    else:
        fix = f"give {flag} once, with the value you mean (run the command once per value to compare them)"
    return InputError(problem, fix)


def _flag_for(param: Any, value: Any) -> str:
    """The spelling of a boolean flag that sets `value`: '--flash' for True, '--no-flash' for False."""
    names = param.secondary_opts if value is False and param.secondary_opts else param.opts
    return str(max(names, key=len))


def _typed(value: Any) -> str:
    """A value as typed, quoted: a tuple (an option of several values) as its words."""
    return repr(" ".join(map(str, value)) if isinstance(value, (tuple, list)) else value)


LIST_VALUED: dict[str, tuple[str, ...]] = {
    "accelopt probe": ("--dtypes",),
    "accelopt plan": ("--hardware", "--devices", "--recompute-modules", "--hsdp", "--etp", "--recompute-layers",
                      "--recompute"),
    "accelopt plan explain": ("--recompute-modules",),
    "accelopt plan serve": ("--hardware", "--batch", "--concurrency", "--rate"),
    "accelopt plan infer": ("--hardware", "--batch"),
    "accelopt simulate sweep": ("--rows", "--cols", "--sram-kib", "--bandwidth-gbps", "--dataflow"),
}
"""The options whose one value is a comma-separated list (`--hardware a,b`, `--devices 8,16`), by command path:
typed twice, the fix shows the list that holds both values (tests/test_repeated_options.py checks each exists)."""


def _takes_a_list(param: Any, path: str) -> bool:
    return any(flag in LIST_VALUED.get(path, ()) for flag in param.opts)
