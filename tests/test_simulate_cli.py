"""`accelopt simulate` commands end to end (typer CliRunner), JSON output and bad-input exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app, main

runner = CliRunner()


def _json(args: list[str]) -> object:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_run_resnet50_json() -> None:
    out = _json(["simulate", "run", "--design", "edge-npu", "--model", "resnet50", "--json"])
    assert isinstance(out, dict)
    assert len(out["layers"]) == 54
    tot = out["totals"]
    assert tot["latency_s"] > 0 and 0 < tot["utilization"] <= 1
    assert set(tot["energy_breakdown_j"]) == {"mac", "register", "sram", "dram"}
    assert out["roofline"]["peak_op_per_s"] == pytest.approx(2 * 2048 * 1.3952e9)


def test_run_topology_scalesim_convention(tmp_path: Path) -> None:
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\ng, 20, 6, 5,\n")
    out = _json(["simulate", "run", "-d", "tpu-v1", "--topology", str(topo), "--convention", "scalesim-code",
                 "--json"])
    assert isinstance(out, dict)
    # ws on 256x256: 1 fold of 2R + C + T - 2 cycles, minus 1 (SCALE-Sim code convention)
    assert out["layers"][0]["compute_cycles"] == 2 * 256 + 256 + 20 - 2 - 1


def test_run_transformer_preset_and_table() -> None:
    res = runner.invoke(app, ["simulate", "run", "-d", "tpu-v1", "-m", "bert-base", "--seq-len", "128"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "attn.qk" in res.output and "TOPS/W" in res.output


def test_presets_sweep_export(tmp_path: Path) -> None:
    res = runner.invoke(app, ["simulate", "presets"])
    assert res.exit_code == 0 and "Jouppi" in res.output and "Chen" in res.output
    sweep = _json(["simulate", "sweep", "--model", "resnet50", "--rows", "16,32", "--cols", "16,32",
                   "--sram-kib", "64,256", "--bandwidth-gbps", "10,50", "--dataflow", "os,ws", "--json"])
    assert isinstance(sweep, dict)
    assert sweep["evaluated"] == 32 and 0 < len(sweep["pareto_front"]) < 32
    out = tmp_path / "spec.toml"
    res = runner.invoke(app, ["simulate", "export", "--design", "tpu-v1", "--out", str(out)])
    assert res.exit_code == 0 and out.exists()


@pytest.mark.parametrize("args", [
    ["simulate", "run", "-d", "tpu-v9", "-m", "resnet50"],
    ["simulate", "run", "-d", "tpu-v1"],
    ["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--convention", "spice"],
    ["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--batch", "0"],
    ["simulate", "run", "-d", "tpu-v1", "--topology", "/nonexistent.csv"],
    ["simulate", "sweep", "-m", "resnet50", "--dataflow", "rs"],
    ["simulate", "export", "-d", "eyeriss", "--out", "/tmp/never-written.toml"],
])
def test_bad_inputs_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert "fix:" in capsys.readouterr().err
