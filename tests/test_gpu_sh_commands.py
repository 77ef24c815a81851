"""Every command line benchmarks/gpu.sh runs parses under the current CLI and the current benchmark scripts, read
from gpu.sh's text, branches included: a renamed or dropped flag fails here, not in a lent GPU's 15 minutes.

tests/test_gpu_sh.py runs gpu.sh with a fake python and one fake GPU, so the commands under `NGPU -ge 2`
(bench_distributed.py over NCCL) never ran there, and gpu_interrupt.py's own `accelopt optimize` line (started on
the GPU only) was not parsed at all. Here nothing is measured: an `accelopt` line is parsed by the real click command
with every command's body replaced by a no-op, and a script's line by its own argparse parser, stopped just after
parsing.
"""

from __future__ import annotations

import argparse
import re
import runpy
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GPU_SH = ROOT / "benchmarks" / "gpu.sh"
NGPU = "2"  # the branch a machine of 2 or more GPUs takes (bench_distributed.py too)


def gpu_sh_commands(dest: Path) -> list[list[str]]:
    """The `"$PY" -m accelopt ...` and `"$PY" benchmarks/X.py ...` command lines of gpu.sh, continuation lines
    joined, as argv lists after "$PY", with gpu.sh's variables filled in as a run on a GPU machine fills them."""
    text = GPU_SH.read_text(encoding="utf-8").replace("\\\n", " ")
    values = {'"$NGPU"': NGPU, '"${PROBE_SAVE[@]}"': f"--save {dest / 'probe_spec.toml'}"}
    commands = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        found = re.search(r'"\$PY" (-m accelopt|benchmarks/\S+\.py)(\s.*)?$', line)
        if found is None:
            continue
        rest = found.group(0).removeprefix('"$PY" ')
        for var, value in values.items():
            rest = rest.replace(var, value)
        assert "$" not in rest, f"gpu.sh: {rest!r} holds a variable this test does not fill: add it to `values`"
        commands.append(shlex.split(rest))
    return commands


def _stubbed_cli() -> Any:
    """accelopt's click command with its option checks (empty and repeated values, dtype aliases) and every
    command's body a no-op: parsing and type conversion run, nothing else."""
    import typer

    from accelopt.cli.dtype_aliases import read_dtype_aliases
    from accelopt.cli.empty_values import refuse_empty_values
    from accelopt.cli.main import app
    from accelopt.cli.repeated_options import refuse_repeated_values

    cli = typer.main.get_command(app)
    refuse_empty_values(cli)
    refuse_repeated_values(cli)
    read_dtype_aliases(cli)

    def stub(cmd: Any) -> None:
        for sub in getattr(cmd, "commands", {}).values():
            stub(sub)
        if not hasattr(cmd, "commands"):
            cmd.callback = lambda **kw: None

    stub(cli)
    return cli


def parse_accelopt(argv: list[str]) -> None:
    """Raises (click's UsageError, accelopt's InputError) where the current CLI refuses `accelopt *argv`."""
    _stubbed_cli().main(argv, prog_name="accelopt", standalone_mode=False)


class _Parsed(Exception):
    def __init__(self, namespace: argparse.Namespace) -> None:
        super().__init__("parsed")
        self.namespace = namespace


def parse_script(script: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> argparse.Namespace:
    """The namespace `python script *args` parses, run as __main__ and stopped right after its parse_args; a bad
    flag or value ends in argparse's SystemExit(2)."""
    real = argparse.ArgumentParser.parse_args

    def parse_then_stop(self: argparse.ArgumentParser, *a: Any, **k: Any) -> Any:
        raise _Parsed(real(self, *a, **k))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.setattr(sys, "argv", [str(ROOT / script), *args])
    try:
        runpy.run_path(str(ROOT / script), run_name="__main__")
    except _Parsed as done:
        return done.namespace
    raise AssertionError(f"{script} returned without parsing its arguments")


def test_gpu_sh_commands_are_found(tmp_path: Path) -> None:
    """The extraction itself: each step's command, the NGPU >= 2 branch's included."""
    commands = gpu_sh_commands(tmp_path)
    accelopt = [c[2] for c in commands if c[:2] == ["-m", "accelopt"]]
    scripts = sorted(c[0] for c in commands if c[0].startswith("benchmarks/"))
    assert accelopt == ["env", "probe", "profile", "optimize"], commands
    assert scripts == sorted([*(str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("gpu_*.py")),
                              "benchmarks/bench_distributed.py"]), commands
    (probe,) = [c for c in commands if c[2:3] == ["probe"]]
    assert "--save" in probe


_LISTED = gpu_sh_commands(Path("DEST"))  # at collection, for the ids: 'accelopt probe', 'benchmarks/gpu_profile.py'


@pytest.mark.parametrize("index", range(len(_LISTED)),
                         ids=[" ".join(c[1:3]) if c[0] == "-m" else c[0] for c in _LISTED])
def test_each_gpu_sh_command_parses_under_the_current_cli(index: int, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    argv = gpu_sh_commands(tmp_path)[index]
    if argv[:2] == ["-m", "accelopt"]:
        parse_accelopt(argv[2:])
    else:
        parse_script(argv[0], argv[1:], monkeypatch)


def test_gpu_interrupts_own_optimize_line_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gpu_interrupt.py starts `accelopt optimize gpt --size realistic --device cuda ...` on the GPU only: the line
    gpu.sh's arguments give it is parsed here."""
    (args,) = [c[1:] for c in gpu_sh_commands(tmp_path) if c[0] == "benchmarks/gpu_interrupt.py"]
    namespace = parse_script("benchmarks/gpu_interrupt.py", args, monkeypatch)
    module = runpy.run_path(str(ROOT / "benchmarks" / "gpu_interrupt.py"))
    argv = module["optimize_argv"](namespace)
    assert argv[0] == "optimize" and "--json" in argv
    parse_accelopt(argv)


def test_a_renamed_flag_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks can fail: a flag the CLI lacks, and one a script lacks."""
    try:  # typer >= 0.17 carries its own copy of click (as accelopt.cli.main imports it)
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover
        from click.exceptions import UsageError  # type: ignore[no-redef]

    with pytest.raises(UsageError, match="--no-such-flag"):
        parse_accelopt(["profile", "gpt", "--no-such-flag"])
    with pytest.raises(SystemExit) as stop:
        parse_script("benchmarks/gpu_profile.py", ["--no-such-flag"], monkeypatch)
    assert stop.value.code == 2


def test_bench_distributed_writes_where_gpu_sh_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """gpu.sh sets ACCELOPT_RESULTS_DIR to the folder it packs into $OUT (the only files a lent machine brings
    back); bench_distributed.py wrote its report and spec into benchmarks/results/ regardless, left on the machine."""
    monkeypatch.setenv("ACCELOPT_RESULTS_DIR", str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    assert runpy.run_path(str(ROOT / "benchmarks" / "bench_distributed.py"))["RESULTS"] == tmp_path
    assert 'export ACCELOPT_RESULTS_DIR="$DEST"' in GPU_SH.read_text(encoding="utf-8")
