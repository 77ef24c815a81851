"""`plan --recompute LIST`: the recompute modes the layout search takes (ut3plan, 2026-12-06).

`plan explain` took every recompute mode the model has (torchtitan's op, MaxText's minimal, Megatron-Core's mlp,
...), while `plan` searched none / selective / full only, with no flag to say otherwise: a torchtitan user planning
Llama 3.1 8B with selective op checkpointing (torchtitan benchmarks/llama3_h100_202412_torchtitan.md, Table 1) could
not search it, and `plan --stack torchtitan` ranked Megatron's selective (attention-core) recompute, which torchtitan
does not have. `--recompute auto` keeps the old set."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

COMMON = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--seq-len", "8192", "--global-batch", "16seq",
          "--tokens", "1e12", "--stack", "torchtitan", "--json"]
ARGS = [*COMMON, "--devices", "8,16"]


def _rows(doc: dict) -> list[dict]:
    return doc["best"] + doc["pareto_front"]


def test_plan_searches_the_listed_recompute_modes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGS, "--recompute", "op"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["axes"]["recompute"] == ["op"]
    assert _rows(doc) and {r["layout"]["recompute"] for r in _rows(doc)} == {"op"}
    code, out, err = run_main([*ARGS, "--recompute", "none,full"], capsys)
    assert code == 0, err
    assert {r["layout"]["recompute"] for r in _rows(json.loads(out))} <= {"none", "full"}


def test_auto_is_the_former_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*ARGS, "--top", "200"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["axes"]["recompute"] is None
    assert {r["layout"]["recompute"] for r in _rows(doc)} <= {"none", "selective", "full"}


def test_a_searched_op_layout_is_what_plan_explain_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The console / JSON of `plan` and the explain page agree on a layout the new flag found."""
    code, out, err = run_main([*COMMON, "--recompute", "op", "--devices", "8"], capsys)
    assert code == 0, err
    best = json.loads(out)["best"][0]
    lo = best["layout"]
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                               "--seq-len", "8192", "--global-batch", "16seq", "--tokens", "1e12", "--stack",
                               "torchtitan", "--tp", str(lo["tp"]), "--pp", str(lo["pp"]), "--cp", str(lo["cp"]),
                               "--vp", str(lo["vp"]), "--mbs", str(lo["mbs"]), "--zero", str(lo["zero"]),
                               "--hsdp", str(lo["hsdp"]), "--recompute", "op", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["prediction"]["step_time_s"] == pytest.approx(best["step_time_s"], rel=1e-12)


def test_a_mode_the_model_cannot_take_is_an_error_or_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    moe = ["plan", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64", "--seq-len", "4096",
           "--global-batch", "256seq", "--tokens", "1e12", "--json"]
    code, _, err = run_main([*moe, "--recompute", "op"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "--recompute op" in err and "fix:" in err and "full" in err
    code, out, err = run_main([*moe, "--recompute", "full,op"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["layout"]["recompute"] for r in _rows(doc)} == {"full"}
    assert any(n.startswith("--recompute op:") for n in doc["notes"])


@pytest.mark.parametrize("text", ["bogus", "Full", ",", "none,,x"])
def test_an_unknown_mode_names_the_modes(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*ARGS, "--recompute", text], capsys)
    assert code == 2 and "Traceback" not in err
    assert "--recompute" in err and "fix:" in err and "op" in err and "auto" in err


def test_recompute_modules_help_says_what_plan_searches_with_it(capsys: pytest.CaptureFixture[str]) -> None:
    """--recompute-modules' help said plan's 'recompute axis stays none / selective / full', which --recompute LIST
    made untrue: with --recompute-modules the axis is --recompute's, another framework's policy left out with a note
    (rev1, session 35)."""
    from accelopt.cli.plan import RECOMPUTE_MODULES_HELP

    assert "stays none / selective / full" not in RECOMPUTE_MODULES_HELP
    assert "--recompute's modes" in RECOMPUTE_MODULES_HELP
    code, out, err = run_main([*ARGS, "--recompute", "minimal,none", "--recompute-modules", "mlp"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {r["layout"]["recompute"] for r in _rows(doc)} == {"none"}
    assert any("--recompute minimal" in n and "another framework's policy" in n for n in doc["notes"])
