"""`accelopt simulate` commands end to end (typer CliRunner), JSON output and bad-input exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
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
    tot, layers = out["totals"], out["layers"]
    # ResNet-50 conv1 (He et al. 2016, Table 1): 7x7x3 filters, 64 of them, 112x112 outputs -> GEMM M,N,K
    assert (layers[0]["m"], layers[0]["n"], layers[0]["k"]) == (112 * 112, 64, 7 * 7 * 3)
    # totals are the sums of the layers, and MACs follow from each layer's GEMM shape
    assert tot["macs"] == sum(x["m"] * x["n"] * x["k"] * x["repeats"] for x in layers)
    assert tot["latency_s"] == pytest.approx(sum(x["latency_s"] for x in layers))
    assert tot["latency_s"] == pytest.approx(tot["total_cycles"] / 1.3952e9)  # cycles at the design's clock
    # utilization = MACs done / MACs the 2048-PE array could do in those cycles
    assert tot["utilization"] == pytest.approx(tot["macs"] / (2048 * tot["total_cycles"]))
    assert 0 < tot["utilization"] <= 1
    assert set(tot["energy_breakdown"]) == {"mac_j", "register_j", "sram_j", "dram_j"}
    assert tot["energy_j"] == pytest.approx(sum(tot["energy_breakdown"].values()))
    assert tot["energy_j"] == pytest.approx(sum(x["energy_j"] for x in layers))
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
    # BERT-base (Devlin et al. 2019): 12 layers, H=768, FFN 4H=3072, 12 heads of 64; per layer at S=128 the
    # projections are 4 x S*H*H, the MLP 2 x S*H*4H, and per head QK^T and AV are S*S*64 each
    s, h, layers, heads = 128, 768, 12, 12
    macs = layers * (4 * s * h * h + 2 * s * h * 4 * h) + layers * heads * 2 * s * s * 64
    assert f"{macs:,} MACs" in res.output  # the exact count, thousands separated
    assert "128x128x64" in res.output and "attn.qk" in res.output  # the per-head score GEMM row
    assert "roofline: peak 91.8 TOP/s" in res.output  # 2 x 65536 MACs x 700 MHz (Jouppi et al. 2017: 92 TOPS)


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
    # the exported catalog entry carries the design's peak: TPU v1 (Jouppi et al. 2017, Table 1) has 256x256
    # int8 MACs at 700 MHz = 2 x 65536 x 7e8 = 91.75 TOP/s ("92 TOPS"), and 34 GB/s of DRAM bandwidth
    import tomllib

    (dev,) = tomllib.loads(out.read_text())["device"]
    assert dev["name"] == "tpu-v1" and dev["kind"] == "asic"
    assert dev["peak_flop_per_s"]["int8"][0] == pytest.approx(2 * 256 * 256 * 700e6)
    assert dev["memory_bandwidth_byte_per_s"][0] == pytest.approx(34e9)


@pytest.mark.parametrize(("args", "needle"), [
    (["simulate", "run", "-d", "tpu-v9", "-m", "resnet50"], "did you mean 'tpu-v1'"),
    (["simulate", "run", "-d", "tpu-v1"], "exactly one of --model"),
    (["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--convention", "spice"], "'spice'"),
    (["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--batch", "0"], "error: --batch 0 must be"),
    (["simulate", "run", "-d", "tpu-v1", "--topology", "/nonexistent.csv"], "/nonexistent.csv does not exist"),
    (["simulate", "sweep", "-m", "resnet50", "--dataflow", "xs"], "dataflow 'xs'"),
    (["simulate", "export", "-d", "nvdla-512", "--out", "/tmp/never-written.toml"], "no dram_bytes"),
    # a stray 'x' or an empty item was dropped: '3,x,32' ran as (3, 32) and the model then failed on its input
    (["simulate", "run", "-d", "tpu-v1", "-m", "examples/my_model.py:SmallConvNet", "--input-shape", "3,x,32"],
     "--input-shape '3,x,32' is not a list of integers"),
    (["simulate", "run", "-d", "tpu-v1", "-m", "examples/my_model.py:SmallConvNet", "--input-shape", "3,,32"],
     "--input-shape '3,,32' is not a list of integers"),
])
def test_bad_inputs_exit_2(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "fix:" in err and needle in err, err  # refused for the reason the case names


def test_export_a_preset_without_dram_size_with_dram_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """nvdla-* and eyeriss give no DRAM capacity; the export said 'set dram_bytes in the [design] table', which a
    built-in preset does not let you edit. --dram-bytes gives it, cited as given on the command line."""
    from conftest import run_main

    out = tmp_path / "n.toml"
    code, _, err = run_main(["simulate", "export", "-d", "nvdla-512", "--out", str(out)], capsys)
    assert code == 2 and "--dram-bytes" in err and not out.exists()
    code, _, err = run_main(["simulate", "export", "-d", "nvdla-512", "--out", str(out), "--dram-bytes", "8e9"],
                            capsys)
    assert code == 0, err
    dev = tomllib.loads(out.read_text(encoding="utf-8"))["device"][0]
    assert dev["memory_bytes"][0] == 8e9 and "--dram-bytes" in dev["memory_bytes"][1]
    for args, needle in ((["--dram-bytes", "0"], "--dram-bytes 0 must be a finite number of bytes >= 1"),
                         (["--dram-bytes", "0.5"], "--dram-bytes 0.5 must be a finite number of bytes >= 1"),
                         (["--dram-bytes", "1e400"], "--dram-bytes 1e400 is not finite"),
                         (["--dram-bytes", "nan"], "--dram-bytes nan is not finite"),
                         (["--dram-bytes", "8e9", "--out", str(tmp_path / "n.cfg")], "a SCALE-Sim config has no")):
        base = ["simulate", "export", "-d", "nvdla-512"]  # --out once (a second --out is refused, utcli)
        code, _, err = run_main([*base, *args] if "--out" in args else [*base, "--out", str(out), *args], capsys)
        assert code == 2 and needle in err, err


def test_an_int16_design_is_not_sent_to_dram_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """eyeriss (row-stationary, int16) was told to add --dram-bytes, then with it to 'use one of int8, fp16'
    (a preset cannot): the dtype is checked first, and the error says why no flag can export it."""
    from conftest import run_main

    out = tmp_path / "e.toml"
    for extra in ([], ["--dram-bytes", "8e9"]):
        code, _, err = run_main(["simulate", "export", "-d", "eyeriss", "--out", str(out), *extra], capsys)
        assert code == 2 and not out.exists(), err
        assert "row-stationary int16 design" in err and "no catalog peak key" in err and "--dram-bytes" not in err
    code, text, _ = run_main(["simulate", "export", "--help"], capsys)
    assert code == 0 and "eyeriss" not in text


def test_sweep_console_prints_its_grid_note_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    """The console printed data.notes[1] as the grid: a note added before it would have been printed instead."""
    from types import SimpleNamespace

    from accelopt.cli.simulate import _show_sweep

    data = SimpleNamespace(source="m", notes=["grid: rows 16", "NOTE B"], interrupted=False)
    _show_sweep(data, [], [], SimpleNamespace(name="base"), ("grid: rows 16", []), False)
    out = capsys.readouterr().out
    assert "0 designs on m (base base)" in out and "grid: rows 16" in out and "NOTE B" not in out


def test_console_dram_figures_read_as_on_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The console printed DRAM traffic in MB (7.64 MB) where the --html page and `history` show the same bytes
    in MiB (7.28 MiB): the two views of one run did not read alike."""
    from conftest import run_main

    page = tmp_path / "s.html"
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--max-rows", "3",
                               "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    cells = [line.split("│")[7].strip() for line in out.splitlines() if line.startswith("│")]
    total = out.split("\nDRAM* ")[1].split(" (")[0]
    assert len(cells) == 3 and all(c.endswith("iB") and f">{c}<" in text for c in [*cells, total]), (cells, total)


def test_sweep_prints_the_grid_with_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """A sweep given only --rows swept columns, SRAM sizes and the base design's bandwidth without printing them:
    the front's rows were the only trace of the defaults used."""
    from conftest import run_main

    code, out, err = run_main(["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16,32", "--dataflow", "ws"],
                              capsys)
    assert code == 0, err
    assert ("grid: rows 16,32 x cols 16,32,64 (default) x SRAM KiB each 64,256,1024 (default) x DRAM GB/s 137 "
            "(edge-npu's) x dataflow ws") in out
    code, out, err = run_main(["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16", "--cols", "8",
                               "--sram-kib", "64", "--bandwidth-gbps", "10,inf", "--dataflow", "os", "--json"], capsys)
    assert "grid: rows 16 x cols 8 x SRAM KiB each 64 x DRAM GB/s 10,inf x dataflow os" in json.loads(out)["notes"]


@pytest.mark.parametrize("extra", [["--unlimited-bandwidth"], ["-d", "unlimited.toml"]])
def test_an_unlimited_bandwidth_run_shows_again_from_the_history(
        extra: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """JSON writes the infinite DRAM bandwidth of an unlimited design (SCALE-Sim's CALC mode) as null; reading
    the record back took null for NaN, the design refused it, and `history list` called every such run damaged
    and `history show` refused it (exit 2)."""
    from conftest import run_main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "unlimited.toml").write_text(
        '[design]\nname = "u"\nrows = 8\ncols = 8\ndataflow = "os"\nifmap_sram_bytes = 65536\n'
        'filter_sram_bytes = 65536\nofmap_sram_bytes = 65536\ndram_bandwidth_byte_per_s = inf\n'
        'clock_hz = 1e9\ndtype = "int8"\ntech_node_nm = 45\n', encoding="utf-8")
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 100, 70, 50,\n", encoding="utf-8")
    design = [] if "-d" in extra else ["-d", "tpu-v1"]  # -d typed twice is an error of its own
    args = ["simulate", "run", *design, "--topology", "g.csv", *extra]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    code, out, err = run_main(["history", "show", "latest"], capsys)
    assert code == 0, err
    assert "total cycles" in out
    code, out, err = run_main(["history", "show", "latest", "--html", "page.html"], capsys)
    assert code == 0, err
    assert ">unlimited (no bandwidth stalls)</td>" in (tmp_path / "page.html").read_text(encoding="utf-8")
    code, out, err = run_main(["history", "show", "latest", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["result"]["design"]["dram_bandwidth_byte_per_s"] is None  # JSON has no inf
    code, out, err = run_main(["history", "list"], capsys)
    assert code == 0 and "damaged" not in err, err


def test_a_training_workload_says_its_backward_layers_are_simulated(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`profile --save-workload` writes a train step by default; `simulate run --workload` ran its forward and
    backward GEMMs (3x the forward work) under the bare line 'workload w.json', where every other model source
    reads as one inference forward pass. The source line now names the step and the phases simulated."""
    from conftest import run_main

    from accelopt.workload.types import Gemm, Op, Workload

    def mm(phase: str, m: int, n: int, k: int) -> Op:
        return Op(name="aten.mm.default", kind="matmul", flops=2.0 * m * n * k, bytes_read=4.0 * (m * k + k * n),
                  bytes_written=4.0 * m * n, phase=phase, gemm=Gemm(m=m, n=n, k=k))

    ops = [mm("forward", 8, 16, 32), mm("backward", 8, 32, 16), mm("backward", 32, 16, 8)]
    Workload(name="w", ops=ops, meta={"mode": "train", "batch_size": 8}).save(tmp_path / "train.json")
    Workload(name="w", ops=ops[:1], meta={"mode": "inference", "batch_size": 8}).save(tmp_path / "inf.json")
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(tmp_path / "train.json"),
                               "--json"], capsys)
    assert code == 0, err
    source = json.loads(out)["source"]
    assert "train step" in source and "1 forward + 2 backward" in source, source
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(tmp_path / "inf.json")], capsys)
    assert code == 0, err
    assert "inference step" in out.splitlines()[0] and "backward" not in out.splitlines()[0], out


def test_a_sweep_skips_designs_the_model_cannot_run_on(capsys: pytest.CaptureFixture[str]) -> None:
    """An rs point whose global buffer no mapping fits (--sram-kib 1 on AlexNet) stopped the whole sweep with
    exit 2, losing every other point, and its fix named a TOML field the user never wrote. It is now skipped and
    named in the notes; only a sweep where no design fits is an error, and that fix names the flags."""
    from conftest import run_main

    base = ["simulate", "sweep", "-m", "alexnet-conv", "-d", "eyeriss", "--rows", "12", "--cols", "14",
            "--dataflow", "rs"]
    code, out, err = run_main([*base, "--sram-kib", "1,108", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["evaluated"] == 1 and [p["sram_bytes_each"] for p in doc["pareto_front"]] == [108 * 1024]
    assert any("1 of 2 designs cannot run this model" in n and "12x14-rs-1KiB" in n for n in doc["notes"])
    code, out, err = run_main([*base, "--sram-kib", "1"], capsys)
    assert code == 2 and "no design of the sweep can run this model" in err and "--sram-kib" in err, err


@pytest.mark.parametrize(("flag", "value", "limit"), [("--rows", "1..100000", "65,536"), ("--cols", "70000", "65,536"),
                                                      ("--sram-kib", "1e12", "1,073,741,824")])
def test_a_sweep_axis_past_a_designs_bounds_is_named_by_its_flag_before_the_model_is_captured(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flag: str, value: str,
        limit: str) -> None:
    """--rows 1..100000 was refused by the design's own check ('set rows to at most 65,536', a TOML field's
    words) after the model had been captured, which takes minutes for a large one."""
    from conftest import run_main

    from accelopt.cli import simulate

    def no_capture(src: object) -> object:
        raise AssertionError("the model was captured before the grid's flags were checked")

    monkeypatch.setattr(simulate, "_layers", no_capture)
    code, _, err = run_main(["simulate", "sweep", "-m", "resnet50", flag, value], capsys)
    assert code == 2 and f"error: {flag} {value!r}" in err and limit in err and "Traceback" not in err, err


def test_a_sweep_of_one_design_says_design(capsys: pytest.CaptureFixture[str]) -> None:
    """It printed '1 designs on ...'."""
    from conftest import run_main

    code, out, err = run_main(["simulate", "sweep", "-m", "alexnet-conv", "--rows", "8", "--cols", "8",
                               "--sram-kib", "64", "--dataflow", "os"], capsys)
    assert code == 0 and out.lstrip().startswith("1 design on "), err + out


def test_console_totals_read_as_the_page_shows_them(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the console printed TOPS/W and the DRAM intensity with its own '.3g' (0.124 TOPS/W, 21.5 OP/B) where the
    # --html page and `history` show 4 digits (0.1243 TOPS/W, 21.52 OP/B)
    from _pages import key_figures_in
    from conftest import run_main

    page = tmp_path / "p.html"
    code, out, _ = run_main(["simulate", "run", "-d", "edge-npu", "-m", "alexnet-conv", "--html", str(page)], capsys)
    assert code == 0
    tops_w = dict(key_figures_in(page.read_text()))["TOPS/W"]
    assert f"; {tops_w}*" in out
    text = page.read_text()
    intensity = text.split("intensity (OP/B)</td>", 1)[1].split("</td>", 1)[0].rsplit(">", 1)[1]
    assert f"intensity {intensity}" in " ".join(out.split()), intensity


def test_sweep_console_tops_per_w_reads_as_the_page_shows_it(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    # the sweep's front printed TOPS/W with '.3g' (1.39, 0.0685) where its --html table said 1.386 TOPS/W
    import re

    from conftest import run_main

    page = tmp_path / "s.html"
    code, out, _ = run_main(["simulate", "sweep", "-m", "alexnet-conv", "--rows", "8", "--cols", "8", "--sram-kib",
                             "1,64", "--dataflow", "os", "--html", str(page)], capsys)
    assert code == 0
    shown = re.findall(r"<td[^>]*>([\d.]+ TOPS/W)</td>", page.read_text())
    assert len(shown) == 2 and all(f" {s} │" in out for s in shown), (shown, out)


def test_published_console_frames_per_s_read_as_the_page_shows_them(capsys: pytest.CaptureFixture[str],
                                                                     tmp_path: Path) -> None:
    # the NVDLA table printed predicted frames/s as '.1f' (5.7, 235.4) where the page's key figures and table say
    # 5.67 Hz and 235 Hz
    from _pages import key_figures_in
    from conftest import run_main

    page = tmp_path / "p.html"
    code, out, _ = run_main(["simulate", "published", "--html", str(page)], capsys)
    assert code == 0
    figures = dict(key_figures_in(page.read_text()))
    for name in ("nvdla-2048", "nvdla-32"):
        row = next(line for line in out.splitlines() if f"│ {name} " in line)
        assert f" {figures[f'{name}: frames/s']} │" in row, (row, figures)


def test_max_rows_zero_prints_no_empty_table(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`--max-rows 0` (accepted: 'layers shown in the table') printed the table's header and rules with no row under
    them, then '... 5 more layers'. Now it prints no table and says how many layers it did not list; the totals
    are those of the run with the table."""
    from conftest import run_main

    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "alexnet-conv", "--max-rows", "0"], capsys)
    assert code == 0, err
    assert "┃ layer" not in out and "┏" not in out and "└" not in out, out
    assert "5 layers, not listed (use --max-rows" in out
    code, full, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "alexnet-conv"], capsys)
    assert code == 0, err
    assert out.split("\ntotal: ")[1] == full.split("\ntotal: ")[1]
