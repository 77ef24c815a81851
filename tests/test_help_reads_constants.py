"""Help texts read the defaults they state from the constants the code runs with (utcode, 2026-12-05): probe's
--nproc 'default 2', --timeout-s 'default 300' and 'at least 120 s', and profile's --timeout-s 'default 600' and
'at least 120 s' were typed, and would have gone on saying so after the constants changed."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner


def _help(command: str) -> str:
    from accelopt.cli import probe, profile

    app = typer.Typer()
    probe.register(app)
    profile.register(app)
    out = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    return " ".join(out.replace("│", " ").split())


def test_the_help_says_the_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import probe
    from accelopt.cli.profile import DistOptions
    from accelopt.distributed import limits

    monkeypatch.setattr(limits, "COLLECTIVES_TIMEOUT_S", 450.0)
    monkeypatch.setattr(limits, "STARTUP_S", 90.0)
    monkeypatch.setattr(probe, "COLLECTIVES_RANKS", 3)
    monkeypatch.setitem(DistOptions.DEFAULTS, "timeout_s", 700.0)
    said = _help("probe")
    assert "(cuda: GPUs; default 3)" in said and "(default 450)" in said and "at least 90 s" in said, said
    said = _help("profile")
    assert "(default 700)" in said and "at least 90 s" in said, said


def test_the_constants_are_the_ones_the_runs_use() -> None:
    from accelopt.cli.probe import COLLECTIVES_RANKS, ProbeOptions
    from accelopt.distributed import collectives, launch, limits

    assert launch.STARTUP_S is limits.STARTUP_S and collectives.COLLECTIVES_TIMEOUT_S is limits.COLLECTIVES_TIMEOUT_S
    assert ProbeOptions(device=None, quick=True).ranks == COLLECTIVES_RANKS


def test_the_help_figures_of_lazily_imported_constants_agree() -> None:
    """The predictors' defaults stay typed in the help (reading them would import numpy and the predictors at every
    start-up, which the CLI avoids); each typed figure is checked against its constant here."""
    import dataclasses
    import re

    from accelopt.cli import plan
    from accelopt.predict.cost import DEFAULT_PUE
    from accelopt.predict.query import DEFAULT_TOKENS
    from accelopt.predict.serving import ServingCalibration

    app = typer.Typer()
    plan.register(app)
    runner = CliRunner()
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    said = " ".join(runner.invoke(app, ["plan", "--help"], env=env).output.replace("│", " ").split())
    pue = re.search(r"--pue .*?\(default ([0-9.]+),", said)
    tokens = re.search(r"--tokens .*?\(default ([0-9.e]+),", said)
    assert pue and float(pue.group(1)) == DEFAULT_PUE and tokens and float(tokens.group(1)) == DEFAULT_TOKENS, said
    said = " ".join(runner.invoke(app, ["plan", "serve", "--help"], env=env).output.replace("│", " ").split())
    cal = {f.name: f.default for f in dataclasses.fields(ServingCalibration)}
    assert f"(default {cal['max_prefill_chunk_tokens']}, TensorRT-LLM's max_num_tokens)" in said, said
    assert f"(default {cal['max_batch_size']}, TensorRT-LLM's LLM API)" in said, said
