"""`accelopt probe` and `accelopt env` through the CLI entry point (probe sizes shrunk to keep tests fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.cli.main import main
from accelopt.hardware import probe
from accelopt.units import MiB


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return int(e.value.code or 0), out.out, out.err


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    def settings_for(device: Any, quick: bool, llc: float | None) -> probe.ProbeSettings:
        return probe.ProbeSettings(shapes={"fp32": [(64, 64, 64)], "bf16": [(32, 32, 32)]}, shape_budget_s=0.02,
                                   max_call_s=1.0, stream_bytes=2 * MiB, stream_budget_s=0.03)

    monkeypatch.setattr(probe, "settings_for", settings_for)


def test_probe_json_and_saved_spec(capsys: pytest.CaptureFixture[str], tiny: None, tmp_path: Path) -> None:
    path = tmp_path / "cpu.toml"
    code, out, err = _run(capsys, "probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--save", str(path),
                          "--json")
    assert code == 0
    d = json.loads(out)
    assert [f["metric"] for f in d["figures"]] == ["matmul.fp32", "stream.copy", "stream.triad"]
    assert d["saved_spec"] == str(path) and path.exists() and d["ridge_flop_per_byte"] > 0
    assert "estimate" in err  # the duration estimate goes to stderr, never stdout
    code, out, _ = _run(capsys, "catalog", "show", str(path))
    assert code == 0 and "measured" in out


def test_probe_table(capsys: pytest.CaptureFixture[str], tiny: None) -> None:
    code, out, _ = _run(capsys, "probe", "--device", "cpu", "--no-save")
    assert code == 0 and "matmul.bf16" in out and "ridge point" in out and "n/a" in out


def test_probe_compare_with_catalog_entry(capsys: pytest.CaptureFixture[str], tiny: None) -> None:
    code, out, _ = _run(capsys, "probe", "--device", "cpu", "--dtypes", "fp32", "--compare", "epyc-9654",
                        "--no-save", "--json")
    d = json.loads(out)
    assert code == 0 and d["catalog_name"] == "epyc-9654" and d["figures"][0]["fraction_of_peak"] > 0


@pytest.mark.parametrize(("args", "needle"), [
    (["--device", "cpu", "--dtypes", "tf32"], "tf32"),
    (["--device", "cpu", "--dtypes", ","], "names no dtype"),
    (["--device", "cuda:7"], "cuda:7"),
    (["--device", "cpu", "--compare", "h100-sxn"], "h100-sxm"),
    (["--device", "cpu", "--save", "out.txt"], ".toml"),
])
def test_probe_bad_inputs_exit_2(capsys: pytest.CaptureFixture[str], tiny: None, args: list[str],
                                 needle: str) -> None:
    code, _, err = _run(capsys, "probe", *args)
    assert code == 2 and needle in err


def test_env_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "env", "--json")
    d = json.loads(out)
    assert code == 0 and d["python"] and d["torch"]["version"]
    assert d["devices"][0]["torch_device"] == "cpu"
    assert {m["name"] for m in d["energy_meters"]} == {"nvml", "rapl", "estimate"}
    assert all(m["why"] for m in d["energy_meters"])


def test_env_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "env")
    assert code == 0 and "energy meters" in out and "NVIDIA driver" in out
