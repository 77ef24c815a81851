"""`accelopt catalog list | show | compare`, table and --json output, and the exit-2 error path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app, main

RUNNER = CliRunner()
EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml")


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _exit2(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    return capsys.readouterr().err


def test_list_json_and_kind_filter() -> None:
    data = _json(["catalog", "list", "--json"])
    assert data["count"] >= 30
    fpgas = _json(["catalog", "list", "--kind", "fpga", "--json"])["devices"]
    assert fpgas and all(d["kind"] == "fpga" for d in fpgas)


def test_list_table_and_user_catalog() -> None:
    result = RUNNER.invoke(app, ["catalog", "list", "--catalog", EXAMPLE])
    assert result.exit_code == 0
    assert "h100-sxm" in result.stdout and "my-asic" in result.stdout


def test_show_prints_every_number_with_its_source() -> None:
    result = RUNNER.invoke(app, ["catalog", "show", "h100-sxm"])
    assert result.exit_code == 0
    assert "memory_bandwidth_byte_per_s" in result.stdout and "datasheet" in result.stdout
    data = _json(["catalog", "show", "h100", "--json"])
    assert data["device"]["name"] == "h100-sxm"
    assert all(n["source"] for n in data["numbers"])
    assert data["ridge_flop_per_byte"]["bf16"] == pytest.approx(989.5e12 / 3.35e12)


def test_compare_ratios_against_first() -> None:
    data = _json(["catalog", "compare", "h100-sxm", "a100", "mi300x", "--json"])
    rows = {r["path"]: r for r in data["rows"]}
    bf16 = rows["peak_flop_per_s.bf16"]
    assert bf16["ratio_vs_first"][0] == pytest.approx(1.0)
    assert bf16["ratio_vs_first"][1] == pytest.approx(312e12 / 989.5e12)
    ridge = rows["ridge_flop_per_byte.bf16"]["values"]
    assert ridge[2] == pytest.approx(1307.4e12 / 5.3e12)
    table = RUNNER.invoke(app, ["catalog", "compare", "tpu-v5e", "l4", "--dtype", "int8"])
    assert table.exit_code == 0 and "ridge int8" in table.stdout


def test_compare_with_user_device() -> None:
    data = _json(["catalog", "compare", "my-asic", "l4", "--catalog", EXAMPLE, "--dtype", "int8", "--json"])
    assert data["devices"] == ["my-asic", "l4"]


def test_show_reads_a_measured_spec_file(tmp_path: Path) -> None:
    spec = tmp_path / "probed.toml"
    spec.write_text(
        '[[device]]\nname = "local-gpu"\nkind = "gpu"\nmeasured = true\n'
        'peak_flop_per_s = { bf16 = [300e12, "accelopt probe, matmul sweep"] }\n'
        'memory_bytes = [24e9, "torch.cuda.mem_get_info"]\n'
        'memory_bandwidth_byte_per_s = [900e9, "accelopt probe, copy kernel"]\n', encoding="utf-8")
    data = _json(["catalog", "show", str(spec), "--json"])
    assert data["device"]["measured"] is True
    assert data["ridge_flop_per_byte"]["bf16"] == pytest.approx(300e12 / 900e9)


def test_errors_exit_2_with_fix(capsys: pytest.CaptureFixture[str]) -> None:
    err = _exit2(["catalog", "show", "mi300"], capsys)
    assert "unknown device" in err and "mi300x" in err
    err = _exit2(["catalog", "list", "--kind", "xpu"], capsys)
    assert "--kind" in err and "fix:" in err
    err = _exit2(["catalog", "compare", "h100-sxm"], capsys)
    assert "at least two" in err
    err = _exit2(["catalog", "compare", "h100-sxm", "a100", "--dtype", "fp128"], capsys)
    assert "fp128" in err and "bf16" in err
    err = _exit2(["catalog", "list", "--catalog", "/no/such/file.toml"], capsys)
    assert "does not exist" in err


def test_a_path_without_toml_is_named_as_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A spec file is read as a device only by a .toml name; another path used to be an 'unknown device' with
    the list of names, as if the user had misspelled one."""
    spec = tmp_path / "spec.txt"
    spec.write_text(Path(EXAMPLE).read_text("utf-8"), encoding="utf-8")
    for argv in (["catalog", "show", str(spec)], ["catalog", "compare", "h100-sxm", str(spec)],
                 ["catalog", "show", "/dev/null"]):
        err = _exit2(argv, capsys)
        assert "is a path, not a device name" in err and ".toml" in err and "unknown device" not in err
    err = _exit2(["catalog", "compare", "h100-sxm", str(tmp_path)], capsys)
    assert "is a folder, not a device name" in err and "fix:" in err
    assert "my-asic" in _json(["catalog", "show", "my-asic", "--catalog", str(spec), "--json"])["device"]["name"]


def test_compare_takes_comma_separated_names() -> None:
    """`catalog compare h100-sxm,mi300x,gaudi3` said 'compare needs at least two devices, got 1' (exit 2), though
    --hardware everywhere else takes that list: it now compares the three, as the space-separated form does."""
    data = _json(["catalog", "compare", "h100-sxm,mi300x,gaudi3", "--json"])
    assert data["devices"] == ["h100-sxm", "mi300x", "gaudi3"]
    assert _json(["catalog", "compare", "h100-sxm,", "mi300x", "--json"])["devices"] == ["h100-sxm", "mi300x"]


def test_show_says_the_idle_draw_used_in_place_of_a_missing_idle_w(tmp_path: Path) -> None:
    # `catalog show l4` listed tdp_w and no idle_w, and said nothing of the 7.2 W (10% of TDP, an estimate) that
    # `plan`, `plan serve` and `plan infer` draw for its idle time (2026-12-05, cpupower)
    from accelopt.hardware.power import IDLE_FRACTION_SOURCE

    out = " ".join(RUNNER.invoke(app, ["catalog", "show", "l4"]).stdout.split())
    assert f"energy predictions count idle time at 7.2 W, {IDLE_FRACTION_SOURCE}" in out
    spec = tmp_path / "idle.toml"
    spec.write_text('[[device]]\nname = "idle-chip"\nkind = "gpu"\npeak_flop_per_s = { bf16 = [1e14, "sheet"] }\n'
                    'memory_bytes = [1e10, "sheet"]\nmemory_bandwidth_byte_per_s = [1e11, "sheet"]\n'
                    'tdp_w = [100, "sheet"]\nidle_w = [15, "my meter"]\n', encoding="utf-8")
    result = RUNNER.invoke(app, ["catalog", "show", str(spec)])
    assert result.exit_code == 0, result.output
    assert "10% of TDP" not in result.stdout and "my meter" in result.stdout
