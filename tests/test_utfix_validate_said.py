"""utfix (2026-12-05): what validate and plan say about a row, as the user wrote it and as plan says it.

Each test failed before its fix (utval's and utmisc's notes, /work/wt/notes):
- a serving row's model cell showed the path joined to the runs file's folder, not the cell as written;
- a tflops_per_gpu row's published utilization read n/a though the figure gives it;
- validate --serving left out plan serve's per-forward overhead line of a host-launched engine (trtllm-session);
- --fp8-recipe tensorwise was echoed as 'current' (its canonical name) in the error about it;
- the default distributed-optimizer bucket note came out one line per bucket value;
- a --calibration family whose curve equals another family's fit by value was labelled as carried from it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_main, write_csv

from accelopt.units import fmt_pct

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _serving_row(row_id: str) -> dict[str, str]:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    row = dict(next(r for r in rows if r["id"] == row_id))
    return {**row, "source": sources.get(row["source"], row["source"])}


def test_the_serving_model_cell_is_shown_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.serving_validation import read_serving_runs

    rows, sources = read_serving_runs()
    base = dict(next(r for r in rows if r["metric"] == "ttft_ms" and r["model"] == "llama3-8b"
                     and r["weight_dtype"] == "bf16" and not r["int4_group_size"]))
    shutil.copytree(EXAMPLES / "hf_tiny_llama", tmp_path / "sub" / "tiny")
    row = {**base, "id": "tiny-run", "model": "tiny/config.json", "role": "test", "note": "",
           "source": sources.get(base["source"], base["source"])}
    runs = write_csv(tmp_path / "sub" / "serving.csv", [row])
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    (got,) = json.loads(out)["runs"]
    assert got["model"] == "tiny/config.json"  # was <tmp>/sub/tiny/config.json
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    assert code == 0, err
    # the joined path is not shown (the last line's `--runs FILE --row RUN_ID` hint names the runs file itself)
    assert "tiny/config.json" in out and str(tmp_path / "sub" / "tiny") not in out


TFLOPS_HEADER = ("id,source,hardware,devices,layers,hidden,heads,kv_heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,zero,"
                 "mbs,recompute,tflops_per_gpu,flash,overlap")
GPT = "gpt-1.7b,{source},a100-sxm-80gb,32,24,2304,24,,9216,51200,2048,gelu,512,1,1,32,0,1,full,137,0,0"


@pytest.mark.parametrize("source", ["Narayanan2021 our copy", "our notes"])
def test_a_tflops_row_shows_its_published_utilization(source: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{TFLOPS_HEADER}\n{GPT.format(source=source)}\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["published_mfu"] is not None  # was null: 'n/a' in the table
    if source.startswith("Narayanan"):  # HFU: the figure over the A100's 312 TFLOP/s 16-bit peak
        assert run["utilization"] == "HFU" and run["published_mfu"] == pytest.approx(137 / 312, rel=1e-9)
    else:  # MFU: the model's FLOPs in the published step, as the predicted MFU counts them in the predicted one
        assert run["utilization"] == "MFU"
        assert run["published_mfu"] == pytest.approx(
            run["predicted_mfu"] * run["predicted_step_s"] / run["published_step_s"], rel=1e-9)
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    assert fmt_pct(run["published_mfu"]) in out  # the table's 'pub. util.' cell


def test_validate_serving_says_plan_serves_per_forward_overhead(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    row = _serving_row("trt09-ttft-h100-70b-tp4-128")  # trtllm-session, Llama 2 70B: 80 layers
    runs = write_csv(tmp_path / "serving.csv", [row])
    code, out, err = run_main(["plan", "serve", "--model", "llama2-70b", "--hardware", "h100-sxm", "--tp", "4",
                               "--batch", "1", "--prompt", "128", "--output", "1", "--weight-dtype", "fp8",
                               "--kv-dtype", "fp8", "--tp-allreduce", "nccl", "--engine", "trtllm-session"], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    said = "h100-sxm: per-forward overhead 11.25 ms: per_step_overhead_s 4.5 ms x 80 layers / 32"
    assert said in flat
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    lines = json.loads(out)["input_warnings"]
    (line,) = [ln for ln in lines if "per-forward overhead" in ln]
    assert line.startswith(said) and "in 1 serving run(s) (trt09-ttft-h100-70b-tp4-128)" in line


def test_an_fp8_recipe_alias_is_echoed_as_typed(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                             "--dtype", "bf16", "--fp8-recipe", "tensorwise"], capsys)
    assert code == 2
    flat = " ".join(err.split())
    assert "--fp8-recipe tensorwise with --dtype bf16" in flat and "current" not in flat


def test_an_fp8_recipe_cell_alias_is_echoed_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("id,source,hardware,devices,layers,hidden,heads,kv_heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,"
                    "zero,mbs,recompute,step_s,flash,overlap,dtype,fp8_recipe\n"
                    "r1,our notes,h100-sxm,8,32,4096,32,8,14336,128256,8192,swiglu,16,1,1,8,1,1,selective,3,1,1,bf16,"
                    "tensorwise\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "run 'r1': --fp8-recipe tensorwise with --dtype bf16" in flat, flat
    assert "current" not in flat


def test_the_default_bucket_is_one_line_for_all_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = "default used: distributed-optimizer bucket of Megatron-Core's default max(40M, 1M x dp x cp) = "
    header = TFLOPS_HEADER.replace("tflops_per_gpu", "step_s")
    rows = [f"gpt-dp{dp},our notes,a100-sxm-80gb,{dp},24,2304,24,,9216,51200,2048,gelu,{8 * dp},1,1,{dp},1,1,full,"
            f"{1.5 + dp / 100},0,0" for dp in (32, 64, 128)]  # buckets max(40M, 1M x dp): 40M, 64M, 128M
    runs = tmp_path / "runs.csv"
    runs.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    lines = [ln for ln in json.loads(out)["input_notes"] if head in ln]
    assert len(lines) == 1, lines  # was one line per bucket value
    assert lines[0].startswith("note: 3 run(s) (gpt-dp32, gpt-dp64, gpt-dp128): ")
    assert "= 40,000,000, 64,000,000, 128,000,000 parameters" in lines[0]


def test_a_calibration_table_equal_to_another_familys_fit_is_not_carried_from_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.calibration import bundled_text, load_calibrations

    hopper = load_calibrations(None)["nvidia-hopper"]
    text = bundled_text()
    start = text.index("[family.nvidia-ampere]\n")
    table = text[start:text.index("\n[family.", start + 1)].splitlines()
    edited = {"matmul_eff_max": f"matmul_eff_max = {hopper.matmul_eff_max!r}",
              "matmul_half_flop": f"matmul_half_flop = {hopper.matmul_half_flop!r}", "fitted_on": ""}  # not fitted
    table = [edited.get(ln.split(" = ")[0], ln) for ln in table if not ln.startswith("#")]
    path = tmp_path / "cal.toml"
    path.write_text("\n".join(table) + "\n", encoding="utf-8")
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "a100-sxm-80gb", "--devices",
                               "8", "--zero", "3", "--calibration", str(path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    basis = doc["calibration_basis"]
    assert basis["from_family"] == "" and basis["kind"] == "unfitted", basis  # was carried from nvidia-hopper


@pytest.mark.parametrize("command", [["profile", "mlp", "--device", "cpu", "--steps", "3", "--warmup", "0"],
                                     ["optimize", "mlp", "--device", "cpu", "--only", "no-such-technique"]])
def test_threads_past_the_quota_are_said_before_the_run(command: list[str], monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """profile and optimize take --threads as one check (cli/profile.check_threads): past the machine's CPUs
    refused with a fix inside the quota; past a cgroup CPU quota a warning naming it before anything runs (optimize
    stops at its unknown --only name after the check: nothing is measured)."""
    from conftest import machine_cpus

    machine_cpus(monkeypatch, 64, quota_cpus=2.0)
    code, _, err = run_main([*command, "--threads", "65"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "--threads 65 is not a count from 1 to this machine's 64 logical CPUs" in flat, flat
    assert "fix: pass --threads 1 to 2, the 2 usable cores (cgroup CPU quota 2 CPUs" in flat, flat  # was 1 to 64
    code, _, err = run_main([*command, "--threads", "8", "--json"], capsys)
    flat = " ".join(err.split())
    assert "warning: --threads 8 is more than the 2 usable cores (cgroup CPU quota 2 CPUs" in flat, flat
    assert "pass --threads 1 to 2" in flat


def test_predict_notes_write_microseconds_as_the_units_formatter_does() -> None:
    """The notes printed beside a prediction wrote 'us' where units.fmt_seconds writes 'µs' (utmisc's list: comm,
    compute, inference, launch_floor, serving's custom all-reduce assumption)."""
    import re

    from accelopt.hardware.catalog import get_device
    from accelopt.predict import comm, launch_floor
    from accelopt.units import fmt_seconds

    assert fmt_seconds(2.4e-6).endswith("µs")
    spec = get_device("l4")
    link = comm.MeasuredLink(bandwidth_byte_per_s=450e9, latency_s=2.4e-6, ranks=8, device="l4", path="l4.toml",
                             source="probe")
    for t in (launch_floor.bound_note(spec, "nvidia-ada", False, 0.002, 32, "the prefill"),
              launch_floor.no_floor_note(spec, "nvidia-ada", 1e-6, 32), link.text()):
        assert "µs" in t and not re.search(r"[0-9] us\b", t), t
