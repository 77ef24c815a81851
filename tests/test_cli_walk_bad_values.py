"""Every option of every command, walked from typer's click tree, given the values a user mistypes.

The tree (accelopt.cli.main's app) is walked, not listed: a new command or option is checked the day it is added.
Each value-taking option gets, by what it reads (its annotation, or the tables NUMBER_TEXT of text options that read
a number, NAME_OR_PATH, FILE_IN / FILE_OUT / FOLDER_OUT of options that read or write a file):
  a number     whitespace, -1, 0, nan, inf, 1e400, rich markup, a forgotten value (the next flag, '--json');
  a name/text  whitespace, '[red]x[/red]', '[/]', '--json'; a name or a path (--hardware, --model): also a folder;
  a size       '10 GB' where GiB is read (--stage-memory-gib), '1kib' (a size with a unit spelled wrongly);
  a file read  a path that does not exist, a folder, a binary file, a file of another kind (CSV where TOML is read,
               TOML where CSV/JSON is read), markup;
  a file made  a folder, a path whose folder does not exist; a folder made: an existing file, a new name, markup.
The command's other arguments are sane (BASE: the built-in example models and hardware of the README and --help),
with the options an option applies with (CONTEXT), so that the value is what is checked, not a missing context.
An empty value ("") is walked by tests/test_empty_option_values.py, and typed-twice options by
tests/test_repeated_options.py; hand-picked hostile files, names and numbers by tests/test_bad_inputs.py: this
module does not repeat them.

The contract: exit status 2 with one `error:` naming the option or the value, a `fix:`, no Python traceback, and
markup printed as typed, a fix that does not suggest the refused number again, a folder said to be one, a size's
unit said; or exit 0 where ACCEPTED says why the value is legitimate and a reference value's output differs (used).

Long work is never started: `profile`, `optimize` and `probe` run up to the call that would measure
(profile_step, profile_distributed, run_optimize, run_probe, measure_collectives are replaced by a stub that stops
the command), and reaching it counts as accepting the value. Skipped: `env` and `simulate presets` (no options
with a value); `history import FOLDER` (an argument, checked by tests/test_history_store_errors.py); the root
`history` group's --limit/--offset (the same options as `history list`, walked there); positional arguments
(profile MODEL, catalog show NAME, history show ID: tests/test_bad_inputs.py's NAME_SLOTS give them hostile names).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MARKUP = ("[red]x[/red]", "[/]")
FORGOTTEN = "--json"  # the value left out: the next word, a flag, is read as the value
NUMBER_VALUES = (" ", "-1", "0", "nan", "inf", "1e400", "[red]x[/red]", FORGOTTEN)
TEXT_VALUES = (" ", *MARKUP, FORGOTTEN)
FILE_IN_KINDS = ("missing", "folder", "binary", "wrong_kind")
FILE_OUT_KINDS = ("out_folder", "out_missing_parent")
SIZE_VALUES = ("10 GB", "1kib")

PLAN = ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e9"]
BASE: dict[tuple[str, ...], list[str]] = {  # a command that runs (exit 0) with these arguments
    ("probe",): ["probe", "--no-save"],
    ("profile",): ["profile", "mlp"],
    ("optimize",): ["optimize", "mlp"],  # a zoo model: digits trains itself first (35 s)
    ("validate",): ["validate", "--row", "maxtext-v4-22b-x1"],
    ("catalog", "list"): ["catalog", "list"],
    ("catalog", "show"): ["catalog", "show", "h100-sxm"],
    ("catalog", "compare"): ["catalog", "compare", "h100-sxm", "a100"],
    ("plan",): PLAN,
    ("plan", "explain"): ["plan", "explain", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8"],
    ("plan", "serve"): ["plan", "serve", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--batch", "1"],
    ("plan", "infer"): ["plan", "infer", "-m", "resnet50", "--hardware", "h100-sxm", "--batch", "1"],
    ("simulate", "run"): ["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv"],
    ("simulate", "sweep"): ["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16", "--cols", "16",
                            "--sram-kib", "64", "--dataflow", "os"],
    ("simulate", "published"): ["simulate", "published"],
    ("simulate", "export"): ["simulate", "export", "-d", "tpu-v1", "--out", "{tmp}/export.toml"],
    ("history", "list"): ["history", "list"],
    ("history", "show"): ["history", "show", "latest"],
    ("history", "compare"): ["history", "compare", "latest", "latest"],
    ("history", "prune"): ["history", "prune", "--keep", "5"],
}
MOE_SERVE = {"--model": "mixtral-8x7b", "--ep": "2", "--attention-dp": "2"}
CONTEXT: dict[tuple[str, str], dict[str, str | None]] = {
    # (command, option) -> the other options it applies with (None: left out; "": a flag), so that its value is
    # what is checked, not its context ("--nproc applies to --collectives only" said before the value was read)
    **{("probe", f): {"--collectives": ""} for f in ("--nproc", "--sizes", "--timeout-s")},
    **{("profile", f): {"--nproc": "2"} for f in ("--parallel", "--nnodes", "--node-rank", "--rdzv-endpoint",
                                                  "--timeout-s", "--profile-steps")},
    **{("profile", f): {"--nproc": "2", "--parallel": "pipeline"} for f in ("--schedule", "--microbatches",
                                                                            "--stage-memory-gib")},
    **{(c, f): {"--model": None} for c in ("run", "sweep") for f in ("--hf", "--topology", "--workload")},
    ("probe", "--catalog"): {"--compare": "h100-sxm"},
    ("profile", "--catalog"): {"--catalog-device": "h100-sxm"},
    ("optimize", "--quality-steps"): {"--mode": "train"},
    ("infer", "--size"): {"--model": "resnet"},
    ("plan", "--vocab-tiling"): {"--stack": "maxtext"},
    ("explain", "--vocab-tiling"): {"--stack": "maxtext"},
    ("explain", "--recompute-layers"): {"--recompute": "full"},
    ("explain", "--vp"): {"--pp": "2"},
    ("explain", "--edge-stage-layers"): {"--pp": "4"},
    ("plan", "--edge-stage-layers"): {"--devices": "8..16"},
    ("serve", "--concurrency"): {"--batch": None},
    ("serve", "--rate"): {"--batch": None},
    ("serve", "--lengths"): {"--batch": None},
    ("serve", "--requests"): {"--batch": "max"},
    ("serve", "--pp-microbatches"): {"--pp": "2"},
    ("serve", "--int4-group-size"): {"--weight-dtype": "int4"},
    **{("serve", f): MOE_SERVE for f in ("--ep", "--attention-dp", "--redundant-experts", "--expert-imbalance",
                                         "--expert-weight-dtype")},
    **{(c, f): {"--model": f"{EXAMPLES}/my_model.py:SmallConvNet", "--input-shape": "3,32,32"} for c in ("run", "sweep")
       for f in ("--input-shape", "--input-dtype")},
}
HISTORY_SEEDED = {"show", "compare", "prune"}  # a run to show or delete: made first
SKIPPED_COMMANDS = {("history",)}  # the group's own --limit/--offset: `history list`'s, walked there

NUMBER_TEXT = {  # text options that read a number (or a list or range of numbers)
    "--tokens", "--devices", "--global-batch", "--budget-usd", "--dp-bucket-params", "--batch", "--concurrency",
    "--rate", "--rows", "--cols", "--sram-kib", "--bandwidth-gbps", "--dram-bytes", "--tdp-w", "--older-than",
    "--sizes", "--hsdp", "--etp", "--recompute-layers", "--deadline",
}
SIZE_OPTIONS = {"--stage-memory-gib", "--dram-bytes", "--sizes", "--sram-kib"}
FILE_IN = {  # option -> the kind of file it reads (for the wrong kind of file)
    "--catalog": "toml", "--calibration": "toml", "--runs": "csv", "--apply": "json", "--probed": "toml",
    "--lengths": "csv", "--collectives": "toml", "--hf": "json", "--topology": "csv", "--workload": "json",
}
NAME_OR_PATH = {"--hardware", "--host", "--compare", "--catalog-device", "--design", "--model"}  # a name, or a file
FILE_OUT = {"--html", "--save", "--trace", "--save-workload", "--out", "--save-topology"}
FOLDER_OUT = {("optimize", "--save"), ("validate", "--config-dir")}  # a folder made: a file there is refused
FOLDER_OUT_KINDS = ("out_file",)

ACCEPTED: dict[tuple[str, str, str], tuple[str | None, str]] = {
    # (command, option, value) -> (another value whose output must differ: the value is used, not dropped; None
    # where the value is the option's default), why exit 0 is right
    ("profile", "--warmup", "0"): ("3", "no warm-up step: the first step is timed"),
    ("profile", "--node-rank", "0"): (None, "the first node: the default"),
    ("optimize", "--warmup", "0"): ("2", "no warm-up step"),
    ("optimize", "--quality-steps", "0"): ("8", "quality scored without training steps first"),
    ("optimize", "--quality-tolerance", "0"): ("0.5", "no quality loss accepted"),
    ("optimize", "--combinations", "0"): ("3", "no pairs of techniques (the help: '0: none')"),
    ("plan", "--offload-layers", "0"): (None, "the default: no layer offloaded"),
    ("explain", "--offload-layers", "0"): (None, "the default: no layer offloaded"),
    ("plan", "--optimizer-bytes", "0"): ("12", "no optimizer state (SGD without momentum)"),
    ("explain", "--optimizer-bytes", "0"): ("12", "no optimizer state (SGD without momentum)"),
    ("plan", "--grid-kg-per-kwh", "0"): ("0.4", "a carbon-free grid"),
    ("explain", "--grid-kg-per-kwh", "0"): ("0.4", "a carbon-free grid"),
    ("plan", "--host-w", "0"): ("300", "host power left out of the energy"),
    ("explain", "--host-w", "0"): ("300", "host power left out of the energy"),
    ("plan", "--hsdp", "0"): ("auto", "no HSDP (the help: 0 = off)"),
    ("plan", "--etp", "0"): ("auto", "expert TP off"),
    ("plan", "--recompute-layers", "0"): ("auto", "every layer recomputed as --recompute says"),
    ("plan", "--slice-devices", "0"): (None, "the default: one slice"),
    ("explain", "--zero", "0"): ("1", "ZeRO stage 0: no sharding"),
    ("explain", "--hsdp", "0"): (None, "the default: no HSDP"),
    ("explain", "--etp", "0"): (None, "the default"),
    ("explain", "--recompute-layers", "0"): (None, "the default"),
    ("explain", "--slice-devices", "0"): (None, "the default"),
    ("serve", "--redundant-experts", "0"): (None, "the default: no redundant expert"),
    ("run", "--max-rows", "0"): ("60", "no table, the totals only (the help)"),
    ("sweep", "--bandwidth-gbps", "inf"): ("10", "SCALE-Sim's unlimited bandwidth"),
    ("list", "--offset", "0"): (None, "the default"),
    ("prune", "--keep", "0"): ("5", "delete every run"),
    ("prune", "--older-than", "0"): (None, "delete every run: tests/test_report_history.py checks it"),
    ("validate", "--config-dir", "[red]x[/red]"): (".", "a folder of that name, made and printed as typed"),
    ("validate", "--config-dir", "[/]"): (".", "a folder '[' holding a folder ']', made and printed as typed"),
    ("validate", "--config-dir", "missing"): (".", "the folder is made"),
    # optimize --save writes its folder after measuring, which the stub stops: the folder is checked before
    ("optimize", "--save", "[red]x[/red]"): (None, "a folder of that name (after the run)"),
    ("optimize", "--save", "[/]"): (None, "a folder '[' holding a folder ']' (after the run)"),
    ("optimize", "--save", "missing"): (None, "the folder is made (after the run)"),
}


class Started(BaseException):
    """Raised by the stub of a call that would start measuring: the command accepted its inputs; the call's
    arguments (args, kwargs) as repr text, to tell whether a value reached it."""


def _stop(*args: Any, **kwargs: Any) -> Any:
    raise Started(repr((args, sorted(kwargs.items()))))


@pytest.fixture
def no_long_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import collectives, run
    from accelopt.measure import probe, profiler
    from accelopt.optimize import runner

    for module, name in ((profiler, "profile_step"), (run, "profile_distributed"), (runner, "run_optimize"),
                         (probe, "run_probe"), (collectives, "measure_collectives")):
        monkeypatch.setattr(module, name, _stop)


def _value_options() -> list[tuple[tuple[str, ...], str, str]]:
    """(command path, long flag, what it reads) of every value option in the `accelopt` tree."""
    import typer

    from accelopt.cli.main import app

    found: list[tuple[tuple[str, ...], str, str]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for p in command.params:
            if p.param_type_name != "option" or p.is_flag or getattr(p, "count", False):
                continue
            flag = max(p.opts, key=len)
            annotation = getattr(p.type_descriptor, "annotation", str)
            if (path[-1], flag) in FOLDER_OUT:
                reads = "folder_out"
            elif flag in FILE_OUT:
                reads = "file_out"
            elif flag in FILE_IN or annotation is Path:
                reads = "file_in"
            elif flag in NAME_OR_PATH:
                reads = "name_or_path"
            elif annotation in (int, float) or flag in NUMBER_TEXT:
                reads = "number"
            else:
                reads = "text"
            found.append((path, flag, reads))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return [f for f in found if f[0] not in SKIPPED_COMMANDS]


def _values(flag: str, reads: str) -> list[str]:
    if reads == "file_in":
        return [*FILE_IN_KINDS, *MARKUP, FORGOTTEN]
    if reads == "file_out":
        return list(FILE_OUT_KINDS)
    if reads == "name_or_path":
        return [*TEXT_VALUES, "folder"]
    if reads == "folder_out":
        return [*FOLDER_OUT_KINDS, "missing", *MARKUP]
    values = list(NUMBER_VALUES if reads == "number" else TEXT_VALUES)
    return values + list(SIZE_VALUES) if flag in SIZE_OPTIONS else values


def _file(kind: str, flag: str, tmp_path: Path) -> str:
    """The path of `kind` for `flag` (a file read or made)."""
    wanted = FILE_IN.get(flag, "toml")
    if kind == "missing":
        return str(tmp_path / (f"nope.{wanted}" if flag in FILE_IN else "made"))
    if kind in ("folder", "out_folder"):
        # not named 'folder': the error must say it is one; a name or a path: no suffix (as a folder is named)
        d = tmp_path / ("given" if flag in NAME_OR_PATH else f"given.{wanted}")
        d.mkdir(exist_ok=True)
        return str(d)
    if kind == "out_file":
        p = tmp_path / "recipe.json"
        p.write_text("{}", encoding="utf-8")
        return str(p)
    if kind == "out_missing_parent":
        return str(tmp_path / "no" / "such" / "out.html")
    p = tmp_path / f"input.{wanted if wanted != 'folder' else 'toml'}"
    if kind == "binary":
        p.write_bytes(b"\x00\xa4\xff\xfe\x89PNG\r\n" * 64)
    else:  # wrong_kind: a CSV where TOML or JSON is read, TOML where CSV is read
        p.write_text('[device]\nname = "x"\n' if wanted == "csv" else "Layer, M, N, K,\nfc1, 64, 64, 64,\n",
                     encoding="utf-8")
    return str(p)


def _argv(path: tuple[str, ...], flag: str, value: str, tmp_path: Path) -> list[str]:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in BASE[path]]
    for other, other_value in {**CONTEXT.get((path[-1], flag), {}), flag: value}.items():
        argv = _with(argv, other, other_value)
    return argv


def _with(argv: list[str], flag: str, value: str | None) -> list[str]:
    """`argv` with `flag` given `value` (None: left out; "": a flag without a value)."""
    short = {"--model": "-m", "--design": "-d", "--out": "-o"}.get(flag)
    for name in (flag, short):
        if name in argv:  # the option in the sane arguments: its value replaced
            i = argv.index(name)
            argv = [*argv[:i], *argv[i + 2:]]
            break
    return argv + ([] if value is None else [flag] if value == "" else [flag, value])


def _problem(key: tuple[str, str, str], value: str, code: int, out: str, err: str) -> str | None:
    """What breaks the contract, or None; `key`: (command, option, value or kind of file as walked)."""
    flag, kind = key[1], key[2]
    if "Traceback" in out + err:
        return "a Python traceback"
    if code == 0:
        return None if key in ACCEPTED else "accepted (exit 0), not in ACCEPTED"
    if code != 2:
        return f"exit status {code}"
    flat = " ".join(err.split())
    if flat.count("error:") != 1:
        return f"{flat.count('error:')} 'error:' lines"
    if "fix:" not in flat:
        return "no fix:"
    if flag not in flat and (value.strip() == "" or value not in flat):
        return "the error names neither the option nor the value"
    fix = flat.split("fix:", 1)[1]
    if value in NUMBER_VALUES[1:6] and re.search(rf"(?<![\w.'-]){re.escape(value)}(?![\d.'])", fix):
        return f"the fix suggests {value} again"
    if kind in SIZE_VALUES and flag.endswith(("-gib", "-kib", "-bytes")) and "has a unit" not in flat:
        return "a size with a unit where the option's name gives the unit: the unit is not said"
    if kind == "folder" and "folder" not in flat and "directory" not in flat:
        return "a folder is not said to be one"
    if value in MARKUP and value not in flat and ("'x'" in flat or "''" in flat):
        return "markup interpreted"
    return None


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """run_main; a command stopped where it would start measuring exits 0 with the call's arguments as stdout."""
    try:
        return run_main(argv, capsys)
    except Started as started:
        return 0, str(started), capsys.readouterr().err


CASES = [pytest.param(path, flag, reads, id=f"{' '.join(path)} {flag}") for path, flag, reads in _value_options()
         if path in BASE]


def test_the_walk_reaches_every_command() -> None:
    walked = {path for path, _, _ in _value_options()}
    assert walked <= set(BASE), walked - set(BASE)  # a new command: give it sane arguments in BASE
    assert len(CASES) > 200


@pytest.mark.usefixtures("no_long_work")
@pytest.mark.parametrize(("path", "flag", "reads"), CASES)
def test_every_option_refuses_a_mistyped_value(path: tuple[str, ...], flag: str, reads: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # a folder an accepted value makes (validate --config-dir) is made here
    if path[0] == "history" and path[-1] in HISTORY_SEEDED:
        run_main(["catalog", "compare", "h100-sxm", "a100", "--json"], capsys)
    broken = []
    for value in _values(flag, reads):
        is_file = value in (*FILE_IN_KINDS, *FILE_OUT_KINDS, *FOLDER_OUT_KINDS, "folder") or (
            value == "missing" and reads == "folder_out")
        typed = _file(value, flag, tmp_path) if is_file else value
        key = (path[-1], flag, value)
        code, out, err = _run(_argv(path, flag, typed, tmp_path), capsys)
        problem = _problem(key, typed, code, out, err)
        if problem is None and code == 0 and ACCEPTED[key][0] is not None:  # used, not silently dropped
            other = _run(_argv(path, flag, str(ACCEPTED[key][0]), tmp_path), capsys)
            if other[0] != 0 or other[1] == out:
                problem = f"the same output as {flag} {ACCEPTED[key][0]} (exit {other[0]}): the value is dropped"
        if problem is not None:
            broken.append(f"{flag} {typed!r}: {problem}\n    {' '.join(err.split())[-300:]}")
    assert not broken, "\n".join(broken)


def test_every_accepted_value_is_walked() -> None:
    walked = {(path[-1], flag, v) for path, flag, reads in _value_options() for v in _values(flag, reads)}
    assert set(ACCEPTED) <= walked, set(ACCEPTED) - walked  # an entry no case reaches is stale


@pytest.mark.parametrize(("args", "problem"), [
    (["--nproc", "-1"], "--nproc -1: collectives need 2 or more ranks"),
    (["--nproc", "1"], "--nproc 1: collectives need 2 or more ranks"),
    (["--sizes", "-1"], "--sizes '-1': '-1' is -1 bytes"),
    (["--timeout-s", "nan"], "--timeout-s nan is not a number of seconds"),
])
def test_probe_reads_a_value_before_its_context(args: list[str], problem: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Without --collectives, `probe --nproc -1` said "applies to --collectives only", fix: "add --collectives to
    benchmark collectives across -1 ranks", a fix refused in turn: a value wrong in itself is named first."""
    code, out, err = run_main(["probe", "--no-save", *args], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and f"error: {problem}" in flat, flat
    assert "applies to --collectives only" not in flat and "across -1" not in flat


@pytest.mark.parametrize(("argv", "fix"), [
    (["profile", "mlp", "--nproc", "2", "--parallel", "pipeline", "--stage-memory-gib", "10 GB"],
     "write --stage-memory-gib 9.31323 (10 GB = 9.31323 GiB"),
    (["simulate", "export", "-d", "tpu-v1", "-o", "{tmp}/x.toml", "--dram-bytes", "8GB"],
     "write --dram-bytes 8000000000 (8GB = 8000000000 B"),
    (["simulate", "export", "-d", "tpu-v1", "-o", "{tmp}/x.toml", "--dram-bytes", "1kib"], "write --dram-bytes 1024"),
    (["simulate", "sweep", "-m", "alexnet-conv", "--sram-kib", "1 MiB"], "write --sram-kib 1024 (1 MiB = 1024 KiB"),
])
def test_a_size_typed_with_a_unit_is_converted_in_the_fix(argv: list[str], fix: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """'--stage-memory-gib 10 GB' was "not a number", fix "e.g. 0.5": the option's unit (its name) and the number
    in it are said (units.unit_in_number); GB = 1e9 B, GiB = 2**30 B (DESIGN.md's conventions)."""
    code, out, err = run_main([a.replace("{tmp}", str(tmp_path)) for a in argv], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "has a unit" in flat and fix in flat.split("fix:", 1)[1], flat


@pytest.mark.parametrize(("argv", "fix"), [
    (["plan", "serve", "-m", "gpt3-125m", "--batch", "8\u201364"], "write it in ASCII: --batch 8..64 (8, 16, 32, 64)"),
    (["plan", "--model", "gpt3-125m", "--devices", "8 \u2014 16"], "write it in ASCII: --devices 8..16"),
    (["simulate", "sweep", "-m", "alexnet-conv", "--rows", "\uff11\uff16"], "write it in ASCII: --rows 16"),
])
def test_a_list_copied_with_typographic_characters_is_said(argv: list[str], fix: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """'--batch 8–64' (an en dash, as a document copies it) was "cannot read", the dash unsaid (units._int_range)."""
    code, out, err = run_main(argv, capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "typographic characters" in flat and fix in flat, flat


def test_a_copied_minus_sign_is_refused_as_the_negative_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "-m", "gpt3-125m", "--batch", "\u22121"], capsys)
    assert code == 2 and "every value must be >= 1" in err and "ASCII" not in err
