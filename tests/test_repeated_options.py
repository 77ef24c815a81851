"""A single-valued option typed twice with different values exits 2 naming the option and both values.

Before: click kept the last value without a word (`plan infer resnet50 --hardware edge-tpu --hardware h100-sxm`
planned h100-sxm alone, exit 0). Enforced for every command at once (cli/repeated_options.py, wired in
cli/commands.py); repeatable options (--catalog, --row, optimize's --only) keep every occurrence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.cli.repeated_options import LIST_VALUED

CASES = [  # (argv, flag as the error names it, first value, second value, whether the fix shows one list)
    (["plan", "--model", "llama2-7b", "--devices", "8", "--devices", "16"], "--devices", "8", "16", True),
    (["plan", "--model", "llama2-7b", "--hardware", "h100-sxm", "--hardware=a100-sxm-80gb"], "--hardware",
     "h100-sxm", "a100-sxm-80gb", True),
    (["plan", "--model", "llama2-7b", "--model", "llama3-8b"], "--model", "llama2-7b", "llama3-8b", False),
    (["plan", "serve", "-m", "llama2-7b", "--model", "llama3-8b"], "--model", "llama2-7b", "llama3-8b", False),
    (["plan", "serve", "-m", "llama2-7b", "--batch", "1", "--batch", "8"], "--batch", "1", "8", True),
    (["plan", "infer", "resnet50", "--hardware", "edge-tpu", "--hardware", "h100-sxm"], "--hardware", "edge-tpu",
     "h100-sxm", True),
    (["plan", "infer", "resnet50", "--dtype", "int8", "--dtype", "fp16"], "--dtype", "int8", "fp16", False),
    (["plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8", "--tp", "2", "--tp",
      "4"], "--tp", "2", "4", False),
    (["profile", "mlp", "--batch-size", "2", "--batch-size", "4"], "--batch-size", "2", "4", False),
    (["validate", "--config-dir", "a", "--config-dir", "b"], "--config-dir", "a", "b", False),
    (["simulate", "run", "-d", "tpu-v1", "-m", "mlp", "--design", "eyeriss"], "--design", "tpu-v1", "eyeriss",
     False),
    (["simulate", "sweep", "-m", "mlp", "--rows", "16", "--rows", "32"], "--rows", "16", "32", True),
]


@pytest.mark.parametrize(("argv", "flag", "first", "second", "listed"), CASES,
                         ids=[" ".join(c[0][:2]) + " " + c[1] for c in CASES])
def test_an_option_typed_twice_is_refused(argv: list[str], flag: str, first: str, second: str, listed: bool,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2, (out, err)
    assert f"{flag} is given twice, {first!r} and {second!r}" in err
    assert f"give {flag} once" in err
    # where the option takes a list, the fix writes the one that holds both
    assert (f"{flag} {first},{second}" in err) is listed, err
    assert out == "" and "Traceback" not in err  # nothing computed


def test_a_flag_and_its_opposite_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "llama2-7b", "--flash", "--no-flash"], capsys)
    assert code == 2 and out == ""
    assert "--flash and --no-flash are both given" in err and "give one of them" in err


def test_a_range_is_not_joined_into_a_list(capsys: pytest.CaptureFixture[str]) -> None:
    """`--devices 8 --devices 8..64`: '8,8..64' is not a value --devices reads, so the fix does not write it."""
    code, _, err = run_main(["plan", "--model", "llama2-7b", "--devices", "8", "--devices", "8..64"], capsys)
    assert code == 2 and "--devices is given twice, '8' and '8..64'" in err
    assert "8,8..64" not in err and "one list or one range" in err


def test_with_json_the_error_is_a_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", "llama2-7b", "--batch", "1", "--batch", "8", "--json"], capsys)
    assert code == 2 and "--batch is given twice" in err
    doc = json.loads(out)
    assert "--batch is given twice" in doc["error"] and doc["exit_status"] == 2


def test_the_same_value_twice_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    once = run_main(["catalog", "list", "--kind", "tpu", "--json"], capsys)
    twice = run_main(["catalog", "list", "--kind", "tpu", "--kind", "tpu", "--json"], capsys)
    assert once[0] == twice[0] == 0, twice[2]
    assert json.loads(twice[1]) == json.loads(once[1])


def test_repeatable_options_keep_every_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = ["maxtext-v4-22b-x1", "maxtext-v4-22b-x2"]
    code, out, err = run_main(["validate", "--row", rows[0], "--row", rows[1], "--json"], capsys)
    assert code == 0, err
    assert [r["result"]["id"] for r in json.loads(out)["runs"]] == rows
    files = []
    for name in ("npu-a", "npu-b"):
        files += ["--catalog", str(tmp_path / f"{name}.toml")]
        (tmp_path / f"{name}.toml").write_text(
            f'[sources]\nds = "datasheet"\n\n[[device]]\nname = "{name}"\nkind = "npu"\nvendor = "Me"\n'
            'peak_flop_per_s = { int8 = [100e12, "ds"] }\nmemory_bytes = [16e9, "ds"]\n'
            'memory_bandwidth_byte_per_s = [400e9, "ds"]\ntdp_w = [40, "ds"]\n', encoding="utf-8")
    code, out, err = run_main(["catalog", "list", "--kind", "npu", *files, "--json"], capsys)
    assert code == 0, err
    assert {"npu-a", "npu-b"} <= {d["name"] for d in json.loads(out)["devices"]}


def test_list_valued_options_exist() -> None:
    """Each LIST_VALUED entry names a single-valued option of that command (a renamed flag would leave the fix
    without its list silently)."""
    import typer

    from accelopt.cli.main import app

    root = typer.main.get_command(app)
    for path, flags in LIST_VALUED.items():
        command = root
        for word in path.split()[1:]:
            command = command.commands[word]  # type: ignore[attr-defined]
        options = {o: p for p in command.params for o in getattr(p, "opts", ())}
        for flag in flags:
            assert flag in options, f"{path} has no {flag}"
            assert not options[flag].multiple and not options[flag].is_flag, f"{path} {flag}"
