"""Bad inputs to `accelopt simulate`, `accelopt probe`: each ends in `error: ... fix: ...` and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.measure import probe

GOOD = """[design]
name = "x"
rows = 8
cols = 8
dataflow = "os"
ifmap_sram_bytes = 8192
filter_sram_bytes = 8192
ofmap_sram_bytes = 8192
dram_bandwidth_byte_per_s = 1e10
clock_hz = 1e9
dtype = "int8"
tech_node_nm = 28
"""
CONV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_main(list(args), capsys)


def _assert_user_error(code: int, err: str, needle: str) -> None:
    assert code == 2, err
    assert "error:" in err and "fix:" in err and "Traceback" not in err
    assert needle in err, err


@pytest.mark.parametrize(("text", "needle"), [
    (GOOD.replace("tech_node_nm = 28\n", ""), "missing tech_node_nm"),
    (GOOD.replace("rows = 8", "rows = -8"), "rows = -8"),
    (GOOD.replace("rows = 8", "rows = 0"), "rows = 0"),
    (GOOD + "warp = 32\n", "unknown field(s) warp"),
    (GOOD.replace("clock_hz", "clock_hx"), "did you mean 'clock_hz' for 'clock_hx'"),  # errors.unknown_fields
    (GOOD.replace("rows = 8", "rows = = 8"), "not valid TOML"),
    (GOOD.replace('"os"', '"xs"'), "dataflow 'xs'"),
    (GOOD.replace("tech_node_nm = 28", "tech_node_nm = 1e6"), "outside 7-180 nm"),
    (GOOD.replace('dtype = "int8"', 'dtype = ["int8"]'), "dtype"),
    ('sources = "x"\n' + GOOD, "[sources] table"),
    ("[other]\nx = 1\n", "no [design] table"),
])
def test_bad_design_toml(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "d.toml"
    path.write_text(text)
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", str(path), "-m", "resnet50")[::2], needle)


@pytest.mark.parametrize(("design", "needle"), [
    ("tpu-v2", "did you mean 'tpu-v1'"),
    ("nowhere.toml", "does not exist"),
])
def test_bad_design_name(capsys: pytest.CaptureFixture[str], design: str, needle: str) -> None:
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", design, "-m", "resnet50")[::2], needle)


def test_design_path_is_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", str(tmp_path), "-m", "resnet50")[::2], "not a file")


@pytest.mark.parametrize(("content", "needle"), [
    ("Layer name, IFMAP Height\nc1, 10\n", "missing column(s)"),
    (CONV_HEADER + "c1, ab, 10, 3, 3, 3, 8, 1,\n", "'ab' is not an integer"),
    ("", "is empty"),
    (CONV_HEADER, "no layer rows"),
    ("Layer, M, N, K,\ng1, 8, 8, 8.5,\n", "8.5"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
])
def test_bad_topology(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | bytes,
                      needle: str) -> None:
    path = tmp_path / "t.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--topology", str(path))[::2], needle)


def test_topology_wrong_path_and_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--topology",
                             str(tmp_path / "no.csv"))[::2], "does not exist")
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--topology", str(tmp_path))[::2],
                       "not a file")


@pytest.mark.parametrize(("text", "needle"), [('{"name": ', "not JSON"), ("[1, 2]", "not a JSON object")])
def test_bad_workload(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(text)
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(path))[::2], needle)


@pytest.mark.parametrize(("args", "needle"), [
    (["-m", "resnet5"], "did you mean 'resnet50'"),
    # the problem line named the library arguments ("batch = 0", "seq_len = 0"), not the flags
    (["-m", "resnet50", "--batch", "0"], "error: --batch 0 must be 1.."),
    (["-m", "bert-base", "--seq-len", "0"], "error: --seq-len 0 must be >= 1"),
    (["-m", "resnet50", "--seq-len", "128"], "--seq-len does not apply"),
    (["-m", "resnet50", "--convention", "foo"], "convention 'foo'"),
    (["-m", "resnet50", "--max-rows", "-1"], "--max-rows -1"),
    (["-m", "resnet50", "--topology", "x.csv"], "exactly one of"),
])
def test_bad_run_flags(capsys: pytest.CaptureFixture[str], args: list[str], needle: str) -> None:
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", *args)[::2], needle)


def test_topology_and_hf_counts_name_the_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    topo = tmp_path / "t.csv"
    topo.write_text(CONV_HEADER + "c1, 10, 10, 3, 3, 4, 8, 1,\n")
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--topology", str(topo),
                             "--batch", "0")[::2], "error: --batch 0 must be 1..")
    pytest.importorskip("transformers")
    # --hf ran a batch of 0 / a sequence of 0 tokens and exited 0
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 1, "n_embd": 32, "n_head": 2,
           "vocab_size": 100, "n_positions": 64}
    (tmp_path / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    for flag in ("--batch", "--seq-len"):
        _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--hf", str(tmp_path), flag,
                                 "0")[::2], f"error: {flag} 0 must be")


def test_workload_batch_is_not_silently_ignored(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--batch other than the file's own is refused (the file's batch is read first: --batch 8 on a workload
    captured at batch 8 runs, see test_simulate_batch_default.py)."""
    from accelopt.workload.types import Gemm, Op, Workload

    path = tmp_path / "w.json"
    op = Op(name="aten.mm.default", kind="matmul", flops=2.0 * 2 * 4 * 4, bytes_read=64.0, bytes_written=32.0,
            phase="forward", gemm=Gemm(m=2, n=4, k=4))
    Workload(name="w", ops=[op], meta={"batch_size": 2}).save(path)
    _assert_user_error(*_run(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(path),
                             "--batch", "8")[::2], "--batch 8")


@pytest.mark.parametrize(("args", "needle"), [
    (["--rows", ""], "--rows"),
    (["--rows", "a,b"], "--rows"),
    (["--rows", "0,8"], "--rows"),
    (["--sram-kib", ""], "--sram-kib"),
    (["--bandwidth-gbps", "x"], "'x' is not a number"),
    (["--bandwidth-gbps", "0"], "positive"),
    (["--bandwidth-gbps", ","], "names no bandwidth"),
    (["--dataflow", "xs"], "dataflow 'xs'"),
    (["--dataflow", ","], "names no dataflow"),
])
def test_bad_sweep_lists(capsys: pytest.CaptureFixture[str], args: list[str], needle: str) -> None:
    base = [w for flag, value in (("--rows", "8"), ("--cols", "8"), ("--sram-kib", "64")) if flag not in args
            for w in (flag, value)]  # an option typed twice is an error of its own
    _assert_user_error(*_run(capsys, "simulate", "sweep", "-m", "alexnet-conv", *base, *args)[::2], needle)


def test_export_to_unwritable_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _assert_user_error(*_run(capsys, "simulate", "export", "-d", "tpu-v1", "--out",
                             str(tmp_path / "no" / "x.toml"))[::2], "does not exist")
    _assert_user_error(*_run(capsys, "simulate", "export", "-d", "tpu-v1", "--out", str(tmp_path))[::2],
                       "is a folder")
    _assert_user_error(*_run(capsys, "simulate", "export", "-d", "nvdla-512", "--out",
                             str(tmp_path / "e.toml"))[::2], "dram_bytes")
    for name in ("x.txt", "x"):  # written as TOML, then "pass the path as a device" said unknown device
        _assert_user_error(*_run(capsys, "simulate", "export", "-d", "tpu-v1", "--out", str(tmp_path / name))[::2],
                           "neither .toml nor .cfg")
        assert not (tmp_path / name).exists()
    _assert_user_error(*_run(capsys, "simulate", "export", "-d", "tpu-v1", "--out", "/dev/null")[::2], ".toml")


# --------------------------------------------------------------------------------------------- probe
@pytest.mark.parametrize(("args", "needle"), [
    (["--device", "cuda:0"], "'cuda:0' was not found"),
    (["--device", ""], "--device '' is empty"),
    (["--device", "cpu", "--dtypes", "fp64x"], "'fp64x' is not measured"),
    (["--device", "cpu", "--compare", "unknown-gpu"], "unknown device 'unknown-gpu'"),
    (["--device", "cpu", "--save", "x.txt"], ".toml"),
])
def test_probe_bad_inputs(capsys: pytest.CaptureFixture[str], tiny_probe: None, args: list[str], needle: str) -> None:
    import torch

    if torch.cuda.is_available() and "cuda:0" in args:
        pytest.skip("this machine has cuda:0")
    code, out, err = _run(capsys, "probe", "--quick", *args)
    _assert_user_error(code, err, needle)
    assert out == ""  # failed before measuring


def test_probe_save_folder_checked_before_measuring(capsys: pytest.CaptureFixture[str], tiny_probe: None,
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_measuring(*a: Any, **k: Any) -> Any:
        raise AssertionError("measured before checking --save")

    monkeypatch.setattr(probe, "run_probe", no_measuring)
    _assert_user_error(*_run(capsys, "probe", "--device", "cpu", "--save",
                             str(tmp_path / "missing" / "x.toml"))[::2], "does not exist")
    (tmp_path / "d.toml").mkdir()
    _assert_user_error(*_run(capsys, "probe", "--device", "cpu", "--save", str(tmp_path / "d.toml"))[::2],
                       "is a folder")


@pytest.mark.parametrize("as_json", [False, True])
def test_probe_results_kept_when_saving_fails(capsys: pytest.CaptureFixture[str], tiny_probe: None, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, as_json: bool) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    # the default save path lies under a regular file: mkdir fails only after measuring
    monkeypatch.setattr(probe, "default_spec_path", lambda result: blocker / "probe" / "cpu.toml")
    code, out, err = _run(capsys, "probe", "--device", "cpu", "--dtypes", "fp32",
                          *(["--json"] if as_json else []))
    _assert_user_error(code, err, "cannot write the measured spec")
    if as_json:
        d = json.loads(out)
        assert d["figures"] and d["saved_spec"] is None and "cannot write" in d["save_error"]
    else:
        assert "matmul.fp32" in out and "stream.triad" in out


def test_find_device_ignores_case_and_spaces() -> None:
    from accelopt.hardware.detect import find_device

    assert find_device(" CPU ").torch_device == "cpu"


def test_a_sram_smaller_than_one_operand_is_refused() -> None:
    """A 1-byte buffer for 2-byte bf16 operands was simulated (stalls and traffic for a buffer holding nothing)."""
    from accelopt.errors import InputError
    from accelopt.simulate.design import Design

    with pytest.raises(InputError, match="filter_sram_bytes = 1 bytes holds no bf16 operand"):
        Design(name="x", rows=4, cols=4, dataflow="ws", ifmap_sram_bytes=64, filter_sram_bytes=1, ofmap_sram_bytes=64,
               dram_bandwidth_byte_per_s=1e9, clock_hz=1e9, dtype="bf16", tech_node_nm=28)
    Design(name="x", rows=4, cols=4, dataflow="ws", ifmap_sram_bytes=1, filter_sram_bytes=1, ofmap_sram_bytes=1,
           dram_bandwidth_byte_per_s=1e9, clock_hz=1e9, dtype="int8", tech_node_nm=28)  # one int8 operand fits
