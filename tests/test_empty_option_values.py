"""An option typed with an empty value (`--batch ""`, an unset shell variable) is refused with exit status 2 naming
the flag; it was read as "not given" (`plan serve --batch ""` swept the default batches, exit 0)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main


@pytest.mark.parametrize("argv", [
    ["plan", "serve", "-m", "llama2-7b", "--batch", ""],
    ["plan", "serve", "-m", "llama2-7b", "--rate", ""],
    ["plan", "serve", "-m", "llama2-7b", "--concurrency", " "],
    ["plan", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8", "--tp-overlap-cfg", ""],
    ["plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8", "--recompute-modules="],
    ["simulate", "sweep", "-m", "mlp", "--bandwidth-gbps", ""],
    ["plan", "serve", "-m", "llama2-7b", "--batch", "8", "--catalog", ""],
])
def test_empty_value_is_refused_naming_the_flag(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    flag = next(w for w in reversed(argv) if w.startswith("--")).split("=")[0]
    assert code == 2, (out, err)
    assert f"{flag} {argv[-1].partition('=')[2] if '=' in argv[-1] else argv[-1]!r} is empty" in err
    assert f"give {flag} a value" in err and "leave" in err  # the fix: a value, or the default by leaving it out
    assert out == ""  # nothing computed


def _value_options(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """(command path, long flag) of every option that takes a value, in the whole `accelopt` tree."""
    found = [(path, max(p.opts, key=len)) for p in command.params
             if p.param_type_name == "option" and not p.is_flag and not getattr(p, "count", False)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _value_options(sub, (*path, name))
    return found


def test_every_value_option_refuses_an_empty_value(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from accelopt.cli.main import app

    options = _value_options(typer.main.get_command(app))
    assert len(options) > 100  # the walk reached the subcommands
    missed = []
    for path, flag in options:
        code, _, err = run_main([*path, flag, ""], capsys)
        if code != 2 or f"{flag} '' is empty" not in err:
            missed.append(f"{' '.join(path)} {flag}: {code} {err[-200:]}")
    assert not missed, "\n".join(missed)


def test_a_value_is_still_read(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, err = run_main(["plan", "serve", "-m", "llama2-7b", "--batch", "8", "--json"], capsys)
    assert code == 0, err
    assert "is empty" not in err and json.loads(out)  # the prediction was printed
