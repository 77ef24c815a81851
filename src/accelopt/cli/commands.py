"""The `accelopt` command: its typer app, error handling and signals. One module per subcommand; each exposes
`register(app)`. The console entry point is accelopt.cli.main:main, a light module that imports this one inside a
Ctrl-C handler (importing typer, rich and the subcommand modules takes most of a second).

Subcommand modules import torch and other heavy libraries inside their command functions, so
`accelopt --help` stays fast and works without a GPU or vendor SDK.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from typing import Any, NoReturn

import typer

try:  # typer >= 0.17 carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer runs on the click package
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # type: ignore[no-redef]

from accelopt.cli import catalog, env, optimize, plan, probe, profile, report, schema, simulate, validate
from accelopt.cli.dtype_aliases import read_dtype_aliases
from accelopt.cli.empty_values import refuse_empty_values
from accelopt.cli.html_first import check_html_first
from accelopt.cli.repeated_options import refuse_repeated_values
from accelopt.errors import AcceloptError
from accelopt.interrupts import interrupts_held

__all__ = ["interrupts_held", "main"]  # interrupts_held: importable from here, as before (accelopt.interrupts)

HELP = """accelopt — measure, predict, simulate and optimize compute for AI models.

`accelopt COMMAND --help` gives a command's options; README.md walks through them all."""

# The one-line summary of each command in the Commands panel of `accelopt --help` (the help texts of the
# command modules run over several source lines, which the panel would show broken mid-sentence).
ONE_LINERS = {
    "env": "what a bug report needs: versions, devices, readable energy meters",
    "catalog": "cited accelerator specs: list, show, compare (ridge points, ratios)",
    "probe": "what this machine's accelerators really deliver (matmul FLOP/s, bandwidth)",
    "profile": "where a real PyTorch model's step time, memory and energy go",
    "optimize": "apply optimizations to a real model, measure each, recommend (Pareto front)",
    "plan": "predict training/serving/inference time, memory, energy, cost on any accelerator and layout",
    "validate": "predicted vs published training, serving and inference runs, with the error",
    "simulate": "a custom systolic-array accelerator, layer by layer; design sweeps",
    "history": "recorded runs: list, show (re-render as HTML), compare, prune, import",
    "schema": "the JSON Schema (versioned, with units) of each command's --json document",
}



def first_sentence(text: str | None) -> str | None:
    """The first sentence of a help text on one line: a Commands panel keeps a help's source line breaks."""
    if not text:
        return None
    import re

    words = " ".join(text.split())
    end = re.search(r"\.\s(?=[A-Z`])", words)  # a sentence's end, not the dot of "e.g. x"
    return words if end is None else words[:end.start() + 1]


app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False,
                  context_settings={"help_option_names": ["-h", "--help"]}, pretty_exceptions_enable=False)

for _module in (env, catalog, probe, profile, optimize, plan, validate, simulate, report, schema):
    _module.register(app)
for _cmd in app.registered_commands:
    _cmd.short_help = ONE_LINERS[str(_cmd.name)]
for _group in app.registered_groups:
    _group.short_help = ONE_LINERS[str(_group.name)]
    # `accelopt plan --help` lists serve, infer and explain in its own Commands panel
    for _sub in _group.typer_instance.registered_commands if _group.typer_instance else ():
        _sub.short_help = _sub.short_help or first_sentence(_sub.help or (_sub.callback and _sub.callback.__doc__))


def _help_keeps_words_whole() -> None:
    """`--help` through HelpConsole (report/console.py), whose option tables never cut a word: typer has no
    setting for its tables' layout, so its console factory is wrapped, keeping typer's own console (theme,
    colours, width) and changing only how it prints.

    This wraps a private typer function because no public mechanism does the same (checked on typer 0.29):
    rich_markup_mode=None hands help to click's plain formatter, which keeps words whole but breaks them at
    hyphens ('SCALE-' / 'Sim'), and drops typer's panels and colours; a custom TyperGroup/TyperCommand (cls=) can
    only replace format_help whole, and typer's rich_format_help takes no console (it calls _get_rich_console
    itself), so the subclass would re-implement it from more private helpers (_print_options_panel, ...);
    context_settings' max_content_width / terminal_width set the width, not how rich shrinks a table's columns.
    A typer without the function keeps its own help (words may be cut there) rather than failing to start."""
    from typer import rich_utils

    from accelopt.report.console import HelpConsole

    typer_console = getattr(rich_utils, "_get_rich_console", None)
    if typer_console is None or getattr(typer_console, "keeps_words_whole", False):
        return

    def console(stderr: bool = False) -> Any:
        con = typer_console(stderr=stderr)
        con.__class__ = HelpConsole  # a subclass adding no state: only its print differs
        return con

    console.keeps_words_whole = True  # type: ignore[attr-defined]
    rich_utils._get_rich_console = console


_help_keeps_words_whole()


def _flags_show_no_value_type() -> None:
    """A flag's row in `--help` shows no value type. typer 0.29 printed `--quick <bool>` (its type column, as for
    `--nproc <int>`), which reads as `--quick true`; click then refuses the `true` as an unexpected extra argument.

    typer has no setting for it (checked on 0.29): TyperOption.display_type_rich, which fills the column, is wrapped
    to return None for a flag (a bool option or an --x/--no-x pair; a counting option keeps its type). A typer
    without that method prints no type column and is left as it is."""
    from typer.core import TyperOption

    show = getattr(TyperOption, "display_type_rich", None)
    if show is None or getattr(show, "hides_flag_type", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag and not self.count else show(self, ctx)

    display_type_rich.hides_flag_type = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_value_type()


def _version(value: bool) -> None:
    if value:
        import accelopt

        print(f"accelopt {accelopt.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print accelopt's version and exit")) -> None:
    """Options of `accelopt` itself; each command has its own."""


ASCII_FOR = {"—": "-", "–": "-", "−": "-", "…": "...", "·": "*", "µ": "u", "×": "x", "±": "+/-", "≤": "<=",
             "≥": ">=", "≈": "~", "→": "->", "←": "<-", "²": "^2", "³": "^3", "°": " deg", "‘": "'", "’": "'",
             "“": '"', "”": '"'}
"""Characters accelopt prints (units, dashes, rich's ellipsis) as an ASCII terminal shows them."""


def _to_ascii(e: UnicodeError) -> tuple[str, int]:
    """The codec error handler 'accelopt-ascii': a character the stream's encoding lacks as its ASCII spelling
    (ASCII_FOR), else as a visible escape ('\\u2248'), never an exception."""
    if not isinstance(e, UnicodeEncodeError):
        raise e
    bad = e.object[e.start:e.end]
    return "".join(ASCII_FOR.get(c) or c.encode("ascii", "backslashreplace").decode() for c in bad), e.end


def _streams_that_print_anything() -> None:
    """Let stdout and stderr print every character: under a non-UTF-8 locale (LANG=C with Python's UTF-8 mode off,
    PYTHONIOENCODING=ascii, a latin-1 terminal) the first '—' or '…' raised UnicodeEncodeError, a traceback
    instead of the result. Such a stream now writes those characters in ASCII (_to_ascii); a UTF-8 stream is
    left as it is, and --json documents are ASCII already (json.dumps escapes the rest)."""
    import codecs

    try:
        codecs.lookup_error("accelopt-ascii")
    except LookupError:
        codecs.register_error("accelopt-ascii", _to_ascii)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "—…µ×±·".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="accelopt-ascii")


STOP_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals handled as Ctrl-C (_stop_on_term). SIGHUP: the terminal closed or the ssh session dropped (the shell sends
it to its jobs); by default it killed the process, so a `profile --nproc` run lost every finished step and left its
run folder (/tmp/accelopt-dist-*) behind (utdist, 2026-12-06). Under `nohup` it is ignored and stays so."""


def _stop_on_term() -> Any:
    """SIGTERM (and SIGHUP, STOP_SIGNALS) handled as Ctrl-C (KeyboardInterrupt), so what profile, probe and optimize
    measured is printed and kept:
    `timeout 120 accelopt ...` (TERM is timeout's default) and a batch scheduler's time limit (Slurm sends TERM) killed
    the process with nothing written, where Ctrl-C kept the results. The way to stop a run from a script: a child of
    a non-interactive shell (a job started with `&`, a remote runner) inherits SIGINT ignored, Python then never
    raises KeyboardInterrupt and `timeout -s INT` does nothing, while TERM still arrives. Left as it is where SIGTERM
    is ignored or has a handler already, and off the main thread. Returns the handlers to put back ({} unchanged)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    from accelopt.interrupts import term_as_interrupt

    before = {}
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
            before[sig] = signal.signal(sig, term_as_interrupt)
    return before


def main(argv: list[str] | None = None) -> None:
    """Run the command line (called by accelopt.cli.main.main): user errors print problem + fix and exit 2, never a
    traceback."""
    import signal

    from accelopt.interrupts import forget_stop

    forget_stop()
    before = _stop_on_term()
    try:
        _main(argv)
    finally:
        for sig, handler in before.items():  # main() called in a process of its own (a test): its handlers back
            signal.signal(sig, handler)


def _main(argv: list[str] | None) -> None:
    from accelopt.report.runs import set_command_line

    _streams_that_print_anything()

    set_command_line(sys.argv[1:] if argv is None else list(argv))  # recorded with each run, as typed
    command = _command()
    from accelopt.report import jsonout

    args = sys.argv[1:] if argv is None else list(argv)
    documents_before = jsonout.emitted()
    _COMMANDS_STARTED.clear()
    try:
        # standalone_mode=False: click's own usage errors come here too, to be printed as error + fix
        code = command.main(args=argv, standalone_mode=False)
    except _ReaderGone:
        _stop_for_gone_reader()
    except SystemExit as e:
        if _click_saw_reader_gone():  # help text or a usage line to a reader that left: click exits 1
            _stop_for_gone_reader()
        raise e from None
    except AcceloptError as e:
        _print_error(e.problem, e.fix)
        sys.exit(_error_document(command, args, documents_before, 2))
    except UsageError as e:
        sys.exit(_error_document(command, args, documents_before, _usage_error(e, args)))
    except ClickException as e:  # e.g. a file click could not open
        _print_error(e.format_message(), "check the value and run again")
        sys.exit(_error_document(command, args, documents_before, 2))
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        if e.errno not in _FULL:
            raise
        _output_lost(e)
        sys.exit(2)
    except ImportError as e:
        if (shadow := _shadowing_file(e)) is None:
            raise
        _print_error(f"{shadow} hides the Python package {e.name!r} that accelopt needs: Python imported that file "
                     f"in its place ({e.msg})",
                     f"rename {shadow} (and remove the __pycache__ folder beside it), or run accelopt from another "
                     "folder")
        sys.exit(2)
    if code == 130 and not _COMMANDS_STARTED:  # typer's silent exit 130 for a Ctrl-C while click parsed the options
        raise KeyboardInterrupt  # or printed help: said and exited by accelopt.cli.main, as one before the command
    # typer.Exit(n) and Ctrl-C (130) come back as the status in non-standalone mode; exit as click's own mode did
    sys.exit(code if isinstance(code, int) else 0)


_BUILT: dict[tuple[Any, ...], Any] = {}
"""The click command of `app` (_command), by the app's registrations (_registrations): the last one only."""


def _command() -> Any:
    """What app(...) runs: typer's click command of `app`, its callbacks wrapped (_say_when_interrupted) and its
    options refusing an empty value (`--batch ""`, an unset shell variable, is an error, not the default) and a
    single-valued option typed twice with different values (repeated_options.py). Built
    once per process: typer reads every command's signature and type hints to build it, about half of a `plan
    explain`'s time in process (cProfile, 40 runs-file rows: 10.0 s of 20.3 s), which a process calling main()
    many times (the test suite runs thousands of commands in process) paid on every call. Both wrappers skip what
    they already wrapped, and click makes a new context per run, so the command serves every run alike."""
    key = _registrations(app)
    if key not in _BUILT:
        command = typer.main.get_command(app)
        check_html_first(command)  # --html's path before the work (wrapped inside the Ctrl-C wrapper below)
        _say_when_interrupted(command)
        refuse_empty_values(command)
        refuse_repeated_values(command)  # `--hardware a --hardware b` kept b alone, without a word
        read_dtype_aliases(command)  # `--dtype bfloat16` read as bf16 (said on stderr), on every dtype option
        _BUILT.clear()
        _BUILT[key] = command
    return _BUILT[key]


def _registrations(typer_app: typer.Typer) -> tuple[Any, ...]:
    """What typer builds `typer_app`'s command from: each command's name and callback, each group's name and
    its own registrations (a command registered later, or a callback replaced, is a new command to build)."""
    return (tuple((c.name, c.callback) for c in typer_app.registered_commands),
            tuple((g.name, g.typer_instance and _registrations(g.typer_instance)) for g in typer_app.registered_groups),
            typer_app.registered_callback and typer_app.registered_callback.callback)


def _shadowing_file(e: ImportError) -> str | None:
    """The user's file that an import resolved to in place of a package (`python -m accelopt env` in a folder holding
    a torch.py: 'cannot import name 'nn' from partially initialized module 'torch'' was a traceback), else None: a
    file named after the top-level package it was imported as, in the folder Python searched first (the current
    one under `python -m`, the script's own otherwise), so a source build of a package elsewhere is not blamed."""
    from pathlib import Path

    if not e.path or not e.name:
        return None
    path, top = Path(e.path), e.name.split(".")[0]
    if path.name == f"{top}.py":
        folder = path.parent
    elif path.name == "__init__.py" and path.parent.name == top:
        folder = path.parent.parent
    else:
        return None
    first = [Path(sys.path[0] or ".").resolve()] if sys.path else []
    searched_first = {Path.cwd().resolve(), *first}
    return str(path) if folder.resolve() in searched_first and top != "accelopt" else None


class _ReaderGone(Exception):
    """Standard output's reader closed the pipe (`accelopt catalog list | head -1`). Not an OSError, so click's own
    EPIPE branch (a silent exit 1) lets it through to main."""


SIGPIPE_STATUS = 128 + 13
"""What a shell reports for a Unix tool stopped by its reader (`yes | head -1` under `set -o pipefail`): 128 + SIGPIPE.
Neither 0 (the output was not all delivered) nor 1 or 2 (accelopt's failure and usage-error statuses)."""


def _stop_for_gone_reader(status: int = SIGPIPE_STATUS) -> NoReturn:
    """Exit quietly with `status` (SIGPIPE_STATUS unless an error already set one), stdout pointed at /dev/null first:
    the interpreter's last flush of what it could not write would otherwise print 'Exception ignored ...
    BrokenPipeError'. The run was recorded (and its --html page is written by the command's close) before it was
    printed, so nothing is lost."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(status)


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader closed it: poll reports POLLERR on such a write end (Linux,
    macOS). False where stdout has no file descriptor or poll is not available."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def _click_saw_reader_gone() -> bool:
    """True once click's EPIPE branch (help printed to a reader that left) has wrapped stdout to silence it."""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper"


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
"""Write failures of a full disk or quota: `accelopt catalog list > out.txt` on a full disk was a traceback."""


def _output_lost(e: OSError) -> None:
    """Say that a write failed for lack of space, after pointing stdout at /dev/null: the interpreter's last flush of
    the output it could not write would otherwise add 'Exception ignored ... OSError' at exit."""
    import os

    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - open for the rest of the process's life
    _print_error(f"the output could not be written: {e.strerror or e}",
                 "free space (or quota) where the output goes, standard output or a file option, or send it "
                 "elsewhere; then run again")


_COMMANDS_STARTED: list[str] = []
"""The command (`accelopt plan serve`, not a group) whose callback this run entered: _say_when_interrupted's wrapper
adds it, _main clears it before each run. An exit 130 with none entered was a Ctrl-C before the command ran."""


def _say_when_interrupted(command: Any, name: str = "accelopt") -> None:
    """Wrap the callback of `command` and of every subcommand so that a Ctrl-C the command does not handle itself
    prints a line and exits 130: typer turned it into a silent exit 130 (plan, validate, simulate, or profile
    still importing torch), which a user cannot tell from a crash. Commands that keep what they measured (profile,
    probe, optimize) catch it themselves and print what was kept."""
    import functools

    callback = command.callback
    if callback is not None and not getattr(callback, "_says_interrupted", False):
        leaf = not getattr(command, "commands", None)

        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            if leaf:
                _COMMANDS_STARTED.append(name)
            try:
                return callback(*args, **kwargs)
            except BrokenPipeError:
                if not _stdout_reader_gone():  # another pipe (a child process's): a real error, not a reader gone
                    raise
                raise _ReaderGone from None
            except KeyboardInterrupt:
                from accelopt.interrupts import stopped_by

                print(f"interrupted ({stopped_by()}) before `{name}` finished: nothing to show, save or record",
                      file=sys.stderr)
                raise typer.Exit(130) from None

        run._says_interrupted = True  # type: ignore[attr-defined]
        command.callback = run
    for sub_name, sub in getattr(command, "commands", {}).items():  # a group's (click) subcommands
        _say_when_interrupted(sub, f"{name} {sub_name}")


_LAST_ERROR: list[tuple[str, str]] = []  # (problem, fix) of the last error _print_error printed


def _json_command(command: Any, args: list[str]) -> tuple[str, bool]:
    """(the command path as typed, e.g. 'accelopt plan serve'; whether its options include --json and args give it
    before any '--')."""
    words, cmd = ["accelopt"], command
    for word in args:
        sub = getattr(cmd, "commands", {}).get(word) if not word.startswith("-") else None
        if sub is None:
            break
        words.append(word)
        cmd = sub
    takes_json = any("--json" in getattr(p, "opts", ()) for p in getattr(cmd, "params", ()))
    given = "--json" in (args[:args.index("--")] if "--" in args else args)
    return " ".join(words), takes_json and given


def _error_document(command: Any, args: list[str], documents_before: int, status: int) -> int:
    """`status`, after printing the error _print_error printed last as a JSON document on stdout (report/
    error_document.py) when the command was given --json and printed no document of its own: a script reading
    stdout as JSON got an empty stdout (json.loads: 'Expecting value') beside the exit 2 (a user trial, uthf)."""
    from accelopt.report import jsonout
    from accelopt.report.error_document import ErrorDocument

    path, wants_json = _json_command(command, args)
    if wants_json and _LAST_ERROR and jsonout.emitted() == documents_before:
        problem, fix = _LAST_ERROR[-1]
        try:
            jsonout.emit(ErrorDocument(command=path, error=problem, fix=fix, exit_status=status))
        except BrokenPipeError:  # `... --json | head -1`: the error is on stderr already; its status stands
            _stop_for_gone_reader(status)
    return status


def _print_error(problem: str, fix: str) -> None:
    from accelopt.report.console import printable  # a name in the message may hold control characters

    _LAST_ERROR.append((problem, fix))
    err = "error:" if _no_colour() else typer.style("error:", fg=typer.colors.RED, bold=True)
    typer.echo(f"{err} {printable(problem)}", err=True)  # click strips the colour when stderr is not a tty
    if fix:
        print(f"  fix: {printable(fix)}", file=sys.stderr)


def _no_colour() -> bool:
    """NO_COLOR set and not empty (no-color.org), or a dumb terminal: rich's tables follow both; click's style does
    not, so the red 'error:' of _print_error asks here."""
    import os

    return bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"


def _usage_error(e: UsageError, argv: list[str]) -> int:
    """A flag click could not parse (a word where a number goes, an unknown option): error + fix, status 2.

    A group called without a subcommand prints its help first."""
    where = e.ctx.command_path if e.ctx is not None else _command_path(argv)
    if isinstance(e, NoArgsIsHelpError):
        print(e.format_message(), file=sys.stderr)
        _print_error(f"`{where}` needs a subcommand", f"pick one of the commands above, e.g. `{where} --help`")
        return 2
    number = _number_fix(e, argv)
    if number is not None:
        _print_error(*number)
        return 2
    fix = (_command_fix(e, where) or _flag_value_fix(e, argv) or _missing_argument_fix(e, where)
           or f"see `{where} --help` for the options and their values")
    _print_error(e.format_message(), fix)
    return 2


def _flag_value_fix(e: UsageError, argv: list[str]) -> str | None:
    """The fix for a value given to a flag (`accelopt probe --quick true`: click says only 'Got unexpected extra
    argument(s) (true)'): the flag takes none. None for any other usage error."""
    import re

    extra = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", e.message)
    command = e.ctx.command if e.ctx is not None else None
    if extra is None or command is None:
        return None
    flags = {o for p in command.params if getattr(p, "is_flag", False) and not getattr(p, "count", False)
             for o in (*p.opts, *p.secondary_opts)}
    word = extra.group(1).split(" ")[0]
    after = next((argv[i - 1] for i, w in enumerate(argv) if w == word and i > 0 and argv[i - 1] in flags), None)
    if after is None:
        return None
    return f"{after} is a flag: it takes no value; write `{after}` alone (leave out {word!r})"


def _missing_argument_fix(e: UsageError, where: str) -> str | None:
    """The fix for a missing positional argument, from its own help (`accelopt profile` alone said 'Missing argument
    'model'' and 'see --help', naming no kind of model); None for any other usage error."""
    param = getattr(e, "param", None)  # click's MissingParameter (typer's own copy of click or the package)
    text = getattr(param, "help", None)
    if type(e).__name__ != "MissingParameter" or getattr(param, "param_type_name", None) != "argument" or not text:
        return None
    name = (getattr(param, "name", None) or "argument").upper()
    return f"pass {name}: {text} (`{where} {_arguments_usage(e, name)}`)"


def _arguments_usage(e: UsageError, missing: str) -> str:
    """Every positional argument of the command, in order (`history compare ID_A ID_B`): a usage naming only the
    missing one (`history compare ID_B` for a compare given one id) read as a command that takes one."""
    command = e.ctx.command if e.ctx is not None else None
    names = [(p.name or "").upper() + ("..." if getattr(p, "nargs", 1) == -1 else "")
             for p in getattr(command, "params", ()) if getattr(p, "param_type_name", None) == "argument"]
    return " ".join(names) if missing in (n.rstrip(".") for n in names) else missing


def _command_fix(e: UsageError, where: str) -> str | None:
    """The fix for a word where a group wants a command (`accelopt plan llama2-7b`): the group's commands, and for a
    group that takes its model as --model, that option with the word. None for any other usage error (the fix was
    'see --help for the options and their values', naming neither)."""
    import re
    import shlex

    group = e.ctx.command if e.ctx is not None else None
    word = re.match(r"No such command '(.*?)'\.", e.message, re.S)  # then click's "Did you mean 'list'?", if any
    if word is None or group is None or not hasattr(group, "list_commands"):
        return None
    commands = f"its commands: {', '.join(group.list_commands(e.ctx))} (`{where} --help`)"
    if any("--model" in getattr(p, "opts", ()) for p in group.params):
        return f"give the model as an option, `{where} --model {shlex.quote(word.group(1))}`; or one of {commands}"
    return f"use one of {commands}"


def _number_fix(e: UsageError, argv: list[str]) -> tuple[str, str] | None:
    """(problem, fix) for a number option given a value click could not read, naming the value as typed and how to
    write it: '1,000' (a thousands separator), '2.5' or '1e3' for a count; None for any other usage error.
    (typer said only 'Input should be a valid integer' and pointed at --help.)"""
    import re

    param = getattr(e, "param", None)
    kind = _number_kind(param)
    if kind is None or not getattr(param, "opts", None):
        return None
    names = list(param.opts)  # type: ignore[union-attr]
    typed = next((argv[i + 1] for i, w in enumerate(argv[:-1]) if w in names), None)
    typed = typed or next((w.split("=", 1)[1] for w in argv if w.split("=", 1)[0] in names and "=" in w), None)
    if typed is None:
        return None
    flag, whole = names[0], kind is int
    what = "a whole number" if whole else "a number"
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", typed):
        plain = typed.replace(",", "")
        return (f"{flag} {typed!r} is not {what}: ',' is not read as a thousands separator",
                f"write {flag} {plain} (or {flag} {_grouped(plain)})")
    try:
        value = float(typed.replace("_", ""))
    except ValueError:
        from accelopt.units import unit_in_number

        return unit_in_number(typed, flag) or (f"{flag} {typed!r} is not {what}",
                                               f"give {flag} {what}, e.g. {flag} {8 if whole else 0.5}")
    if whole:
        import math

        near = (f"{flag} {round(value)}" if abs(value) < 1e18 else f"a smaller {flag}") if math.isfinite(value) \
            else f"{flag} 8"
        if math.isfinite(value) and value == round(value) and abs(value) < 1e18:  # '1e3', '1000.0': whole, other form
            form = "an exponent" if "e" in typed.lower() else "a decimal point"
            return (f"{flag} {typed!r} is {round(value)} written in a form this count does not read ({form})",
                    f"write the digits, e.g. {near}")
        return (f"{flag} {typed!r} is not a whole number ({flag} takes a count)",
                f"give a whole number, e.g. {near}")
    return None


def _number_kind(param: Any) -> type | None:
    """int or float for an option that takes one (typer's own parameters carry the annotation, click's a type),
    else None."""
    import typing

    click_type = getattr(getattr(param, "type", None), "name", "")
    if click_type in ("integer", "float"):
        return int if click_type == "integer" else float
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    kinds = {a for a in (annotation, *typing.get_args(annotation)) if a in (int, float)}
    return kinds.pop() if len(kinds) == 1 else None


def _grouped(digits: str) -> str:
    """'1000000' as Python's grouped literal '1_000_000', which every number option reads."""
    whole, dot, frac = digits.partition(".")
    sign = whole[:1] if whole[:1] in "+-" else ""
    return sign + f"{int(whole.lstrip('+-')):_}" + dot + frac


def _command_path(argv: list[str]) -> str:
    """`accelopt plan serve` for argv ['plan', 'serve', '--batch']: the (sub)command the words name, for the errors
    click raises without a context (an option missing its value), whose help is the one to point at."""
    cmd, path = _command(), ["accelopt"]
    for word in argv:
        sub = getattr(cmd, "commands", {}).get(word)
        if sub is None:
            break
        cmd, path = sub, [*path, word]
    return " ".join(path)

if __name__ == "__main__":
    main()
