"""`simulate run --save-topology FILE.csv`: the SCALE-Sim topology writer (simulate/topology.py, which the
scalesim reference runs used) reachable from the CLI. The layers simulated are written in the format scalesim and
`simulate run --topology` read, so a model captured here (a zoo name, --hf, a model file, a workload) runs in
SCALE-Sim, or here again, as the same GEMMs: every MAC and compute cycle read back equals the run that wrote it
(exact: the same integers); only the DRAM stalls may differ, as the notes printed beside the file say (padding,
one first fill per row)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, run_main_expect

from accelopt.simulate import topology
from accelopt.simulate.layers import from_conv
from accelopt.workload.types import Conv

ROOT = Path(__file__).resolve().parents[1]
GEMMS = "Layer, M, N, K,\nfc1, 64, 128, 256,\nfc2, 64, 10, 128,\n"


def _totals(capsys: pytest.CaptureFixture[str], *source: str) -> dict[str, float]:
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", *source, "--json")
    return dict(json.loads(out)["totals"])


def test_a_gemm_topology_round_trips_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(GEMMS, encoding="utf-8")
    text, _ = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--topology", str(src),
                              "--save-topology", str(out))
    assert f"topology written to {out} (SCALE-Sim gemm format, 2 rows)" in text
    assert out.read_text(encoding="utf-8") == GEMMS
    assert _totals(capsys, "--topology", str(out)) == _totals(capsys, "--topology", str(src))


def test_resnet50_is_written_as_conv_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r50.csv"
    text, _ = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--max-rows", "0",
                              "--save-topology", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Layer name, IFMAP Height") and lines[1] == "conv1, 230, 230, 7, 7, 3, 64, 2,"
    back, model = _totals(capsys, "--topology", str(out)), _totals(capsys, "-m", "resnet50")
    assert back["macs"] == model["macs"] and back["compute_cycles"] == model["compute_cycles"]
    # conv1: (230 - 7) / 2 leaves a partial window, which SCALE-Sim's ceil rule counts: said beside the file
    assert "7 strided layer(s) (first 'conv1') leave a partial last window" in " ".join(text.split())
    ceil = _totals(capsys, "--topology", str(out), "--convention", "scalesim-code")
    assert ceil["macs"] > model["macs"]


def test_an_hf_llama_is_written_one_row_per_gemm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, hf = tmp_path / "llama.csv", str(ROOT / "examples/hf_tiny_llama")
    text, _ = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--hf", hf, "--max-rows", "0",
                              "--save-topology", str(out))
    # 4 layers x (q, k, v, o, gate, up, down + 4 heads x (qk, av)) + lm_head = 4 x 15 + 1
    assert "(SCALE-Sim gemm format, 61 rows)" in text and "pays its own first DRAM fill" in text
    assert "model.layers.0.self_attn.qk.3, 128, 128, 32," in out.read_text(encoding="utf-8")
    back, model = _totals(capsys, "--topology", str(out)), _totals(capsys, "--hf", hf)
    assert back["macs"] == model["macs"] and back["compute_cycles"] == model["compute_cycles"]


def test_row_names_read_back_as_written() -> None:
    plain = from_conv("stageDP.conv", Conv(n=1, c_in=8, h_in=10, w_in=10, c_out=16, kh=3, kw=3))
    dw = from_conv("dw", Conv(n=1, c_in=8, h_in=10, w_in=10, c_out=8, kh=3, kw=3, groups=8))
    rows = topology._conv_rows([plain, dw])
    # 'DP' anywhere in a name means depthwise to SCALE-Sim and to parse_topology: kept only on the depthwise row
    assert rows == ["stageDp.conv, 10, 10, 3, 3, 8, 16, 1,", "dw_DP, 10, 10, 3, 3, 8, 1, 1,"]
    back = topology.parse_topology("\n".join([", ".join(topology.CONV_COLUMNS) + ",", *rows]))
    assert [(x.m, x.n, x.k, x.repeats) for x in back] == [(x.m, x.n, x.k, x.repeats) for x in (plain, dw)]


def test_bad_outputs_exit_2_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GEMMS, encoding="utf-8")
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(src), "--save-topology",
                               str(src)], capsys)
    assert code == 2 and out == "" and "is the --topology file being read" in err
    mine = tmp_path / "model.py"
    mine.write_text("import torch\n", encoding="utf-8")
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(src), "--save-topology",
                               str(mine)], capsys)
    assert code == 2 and out == "" and "is not a SCALE-Sim topology" in err
    assert mine.read_text(encoding="utf-8") == "import torch\n"
    monkeypatch.setattr(topology, "MAX_TOPOLOGY_ROWS", 1)
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(src), "--save-topology",
                               str(tmp_path / "big.csv")], capsys)
    assert code == 2 and out == "" and "would write 2 rows" in err and not (tmp_path / "big.csv").exists()


def test_under_json_the_file_is_said_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(GEMMS, encoding="utf-8")
    text, err = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--topology", str(src), "--json",
                                "--save-topology", str(out))
    assert json.loads(text)["totals"]["layers"] == 2  # stdout stays one JSON document
    assert f"topology written to {out} (SCALE-Sim gemm format, 2 rows)" in err


@pytest.mark.parametrize("stop, code, said", [
    (KeyboardInterrupt(), 130, "the topology written to {out} is kept; no result to show or record"),
    (RuntimeError("midway"), None, None),
])
def test_a_run_stopped_midway_says_the_topology_it_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, stop: BaseException,
                                                        code: int | None, said: str | None) -> None:
    """The topology is written before the run (a scalesim-code replay of ResNet-50 takes ~80 s); Ctrl-C there printed
    'interrupted ... nothing to show, save or record' with the file on disk, and a run that failed never said it was
    written (the line came after the result). Now the line comes when the file is written, and the interruption says
    the file is kept (ut4sim, 2026-12-06)."""
    import accelopt.simulate.engine as engine

    def stopped(*_args: object, **_kwargs: object) -> None:
        raise stop

    monkeypatch.setattr(engine, "simulate", stopped)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(GEMMS, encoding="utf-8")
    argv = ["simulate", "run", "-d", "tpu-v1", "--topology", str(src), "--save-topology", str(out)]
    if code is None:
        with pytest.raises(RuntimeError):
            run_main(argv, capsys)
        text = capsys.readouterr().out
    else:
        got, text, err = run_main(argv, capsys)
        assert got == code and said is not None and said.format(out=out) in err, err
        assert "nothing to show, save or record" not in err
    assert out.read_text(encoding="utf-8") == GEMMS
    assert f"topology written to {out} (SCALE-Sim gemm format, 2 rows)" in text


def test_a_stopped_runs_kept_topology_path_is_printed_as_plain_text(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The interruption's line names the user's path with control characters made visible, as 'topology written to'
    does (it printed the path raw: an escape sequence in a file name ran on the terminal; rev3, 2026-12-06)."""
    import accelopt.simulate.engine as engine

    def stopped(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "simulate", stopped)
    src, out = tmp_path / "in.csv", tmp_path / "out\x1b[2J.csv"
    src.write_text(GEMMS, encoding="utf-8")
    code, text, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(src), "--save-topology",
                                str(out)], capsys)
    assert code == 130 and out.read_text(encoding="utf-8") == GEMMS
    assert "\x1b" not in err + text, err
    assert "out\\x1b[2J.csv is kept" in err and "topology written to " in text
