"""`accelopt probe` and `accelopt env` through the CLI entry point (probe sizes shrunk to keep tests fast)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import machine_cpus, run_main

from accelopt.hardware.catalog import get_device
from accelopt.measure import probe


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_main(list(args), capsys)


def test_probe_json_and_saved_spec(capsys: pytest.CaptureFixture[str], tiny_probe: None, tmp_path: Path) -> None:
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


def test_probe_table(capsys: pytest.CaptureFixture[str], tiny_probe: None) -> None:
    code, out, _ = _run(capsys, "probe", "--device", "cpu", "--no-save")
    assert code == 0 and "matmul.bf16" in out and "ridge point" in out and "n/a" in out


def test_probe_compare_with_catalog_entry(capsys: pytest.CaptureFixture[str], tiny_probe: None) -> None:
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
    (["--device", "cpu", "--nproc", "2"], "--collectives"),  # the default value, given without --collectives
    (["--device", "cpu", "--nproc", "4"], "--collectives"),
])
def test_probe_bad_inputs_exit_2(capsys: pytest.CaptureFixture[str], tiny_probe: None, args: list[str],
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


def test_env_table(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, nvml_by_environment: None
                   ) -> None:
    import sys
    import types

    import torch

    # the driver row shows what NVML reports (older pynvml returns bytes), read through a fake pynvml
    fake = types.ModuleType("pynvml")
    fake.nvmlInit = lambda: None  # type: ignore[attr-defined]
    fake.nvmlSystemGetDriverVersion = lambda: b"580.159.04"  # type: ignore[attr-defined]
    fake.nvmlDeviceGetCount = lambda: 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    code, out, _ = _run(capsys, "env")
    assert code == 0 and "580.159.04" in out and "b'580" not in out
    assert str(torch.__version__) in out  # the installed torch, not a fixed string
    monkeypatch.setitem(sys.modules, "pynvml", None)  # `import pynvml` raises ImportError
    code, out, _ = _run(capsys, "env")
    assert code == 0 and "580.159.04" not in out and "pynvml not installed" in out


def test_probe_collectives_are_in_json_history_and_html(capsys: pytest.CaptureFixture[str], tiny_probe: None,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`probe --collectives` measures 2 gloo ranks for real; its figures are part of the probe's document (JSON,
    history, HTML), not only of the saved spec."""
    from accelopt.report import history, schema

    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    page = tmp_path / "probe.html"
    code, out, err = _run(capsys, "probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--no-save",
                          "--collectives", "--nproc", "2", "--json", "--html", str(page))
    assert code == 0, err
    d = json.loads(out)
    assert d["schema_version"] == 12  # 4: spread of the rates shown (fixb); 5: unit; 6: the ladder; 7: its fit error;
    # 8: the link's ring-model error; 9: a figure's asked_size_bytes; 10: core_share, core_share_note;
    # 11: collectives.link_model_tolerance, other_ops_model_checks; 12: collectives.figures[].model_time_s, model_error
    coll = d["collectives"]
    assert coll["link_model_error_size_bytes"] in {f["size_bytes"] for f in coll["figures"]}
    assert coll["nranks"] == 2 and {f["op"] for f in coll["figures"]} == {"all_reduce", "all_gather",
                                                                          "reduce_scatter", "all_to_all"}
    all_reduce = sorted((f for f in coll["figures"] if f["op"] == "all_reduce"), key=lambda f: f["size_bytes"])
    small, ar = all_reduce[0], all_reduce[-1]
    # the line t = a + b S through the smallest and the largest all-reduce: B = 2(n-1)/n / b (= 1 / b at n = 2), or
    # the busbw at the largest size where a or b is not positive (2026-12-05, utdist: it was that busbw always)
    b = (ar["time_s"] - small["time_s"]) / (ar["size_bytes"] - small["size_bytes"])
    fits = b > 0 and small["time_s"] - b * small["size_bytes"] > 0
    assert coll["link_bandwidth_byte_per_s"] == pytest.approx(1 / b if fits else ar["busbw_byte_per_s"])
    assert ar["busbw_byte_per_s"] == pytest.approx(ar["size_bytes"] / ar["time_s"])  # 2(n-1)/n = 1 at n = 2
    assert ar["p10_s"] <= ar["time_s"] <= ar["p90_s"] and "warnings" in coll["contention"]
    loaded = schema.load("probe", d)
    assert loaded.collectives is not None and loaded.collectives.figures[0].time_s == coll["figures"][0]["time_s"]
    record = history.list_runs()[0]
    assert record.command == "probe" and record.result["collectives"] == coll
    html = page.read_text()
    assert "collectives — gloo over 2 ranks" in html and "busbw" in html


def test_probe_version_1_document_still_loads() -> None:
    """Version 2 only added `collectives` (default None): a stored version-1 record loads, without it."""
    from test_distributed_units import _probe_result

    from accelopt.report import schema

    doc = schema.dump("probe", _probe_result())
    del doc["collectives"]
    doc["schema_version"] = 1
    assert schema.load("probe", doc).collectives is None
    doc["schema_version"] = 13  # a version newer than this accelopt's (12)
    with pytest.raises(schema.OtherVersionError):
        schema.load("probe", doc)


def test_an_unwritable_default_save_folder_is_refused_before_measuring(capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """ACCELOPT_HOME=/proc/x: root passes the permission bits, so the probe ran its ~30 s and only then said it could
    not write the spec; the folder is now created and written to before anything is measured."""
    def measured(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the probe measured before its save folder was checked")

    monkeypatch.setattr(probe, "run_probe", measured)
    monkeypatch.setenv("ACCELOPT_HOME", "/proc/accelopt-test-home")
    code, out, err = _run(capsys, "probe", "--quick")
    assert code == 2 and out == "", err
    assert "the default save folder '/proc/accelopt-test-home/probe' cannot be created or written" in err
    assert "--no-save" in err and "Traceback" not in err


XEON = get_device("xeon-8480plus")


def _threads_below_xeon_cores() -> int:
    import torch

    threads = torch.get_num_threads()
    if XEON.cores is None or threads >= XEON.cores:
        pytest.skip(f"torch runs {threads} threads here: as many as xeon-8480plus's {XEON.cores} cores")
    return threads


def test_probe_compare_cpu_entry_says_the_share_of_cores_in_use(capsys: pytest.CaptureFixture[str],
                                                                tiny_probe: None, tmp_path: Path) -> None:
    """`probe --compare` with a CPU catalog entry: its figures are the whole socket's, so on fewer torch threads than
    the entry has cores the `% of catalog` column read as a share of the machine with no word of the cores in use
    (117 GFLOP/s fp32 on 2 threads: 1.6% of xeon-8480plus, 56 cores, where 2/56 = 3.6% bounds a matmul if the peak
    scales with cores). The share and its note are printed and in the JSON (schema `probe` version 10), from the
    code that gives `profile`'s MFU against a CPU entry the same note (measure.diagnose.socket_share_note)."""
    threads = _threads_below_xeon_cores()
    share = threads / XEON.cores  # type: ignore[operator]
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--compare", "xeon-8480plus",
                               "--no-save", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["core_share"] == pytest.approx(share), d.get("core_share")
    note = d["core_share_note"]
    assert note.startswith("% of catalog divides by the whole xeon-8480plus socket (56 cores)"), note
    assert f"{threads}/56 = {100 * share:.0f}% of its cores" in note and "matmul" in note, note
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--compare", "xeon-8480plus",
                               "--no-save", "--html", str(tmp_path / "p.html")], capsys)
    assert code == 0, err
    assert f"{threads}/56 = {100 * share:.0f}% of its cores" in " ".join(out.split()), out
    assert f"{threads}/56 = {100 * share:.0f}% of its cores" in (tmp_path / "p.html").read_text()


def test_no_share_note_against_a_gpu_entry(capsys: pytest.CaptureFixture[str], tiny_probe: None) -> None:
    """A GPU entry's figures are no socket of cores: nothing to qualify."""
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--compare", "h100-sxm",
                               "--no-save", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["core_share"] is None and d["core_share_note"] is None, d


def test_profile_and_probe_share_one_note(monkeypatch: pytest.MonkeyPatch) -> None:
    """profile's MFU note and probe's come from one function: the same figures in the same words."""
    from accelopt.measure.diagnose import socket_share_note

    threads = _threads_below_xeon_cores()
    share, note = probe.compared_core_share(XEON, threads)
    assert share == pytest.approx(threads / 56)
    assert note == socket_share_note(XEON, threads, "% of catalog", "this probe",
                                     "a matmul's % of catalog is at most {share} here; the stream rows need not stay "
                                     "under it (memory bandwidth is not shared evenly among the cores)")
    machine_cpus(monkeypatch, 56)  # 56 threads on a 56-CPU machine: the whole socket (on fewer CPUs, the CPUs count)
    assert probe.compared_core_share(XEON, 56) == (None, None)
