"""benchmarks/gpu.sh, the one command a session with a lent GPU runs first, checked here on the CPU with the GPU
boundary faked: `nvidia-smi` names an H200, and the python it calls is a stand-in that parses every `accelopt`
command line with the real CLI (stubbed commands: a flag the CLI lacks fails), runs each gpu_*.py for real (they
parse their flags, find no CUDA and stop), records pytest's and pip's arguments and answers torch's GPU count.

Before these tests, gpu.sh wrote 10 files into $OUT, of which the device tool brings back 8; collected every test
file for `pytest -m gpu` (one file importing jsonschema or tomli_w, which the GPU image lacks, stops collection and
no test runs); ran the power-limit test and gpu_compress.py's power-limit sweep, which set the card's power limit
(a lent machine's rules forbid it); and `probe --save` there died on the missing tomli_w after measuring.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEVICE_FILE_LIMIT = 8  # files the device tool brings back from $OUT (/work/.library/device/README.md, Limits)

FAKE_PYTHON = '''#!{python}
"""Stand-in for the GPU machine's python3 (see tests/test_gpu_sh.py)."""
import json, os, subprocess, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["-c"] and "device_count" in args[1]:
    print(os.environ.get("FAKE_NGPU", "1"))
elif args[:1] == ["-c"] and "find_spec" in args[1] and "FAKE_MISSING" in os.environ:
    print(os.environ["FAKE_MISSING"])
elif args[:1] == ["-c"]:
    sys.exit(subprocess.call([{python!r}, *args]))
elif args[:2] == ["-m", "accelopt"]:
    if args[2] in os.environ.get("FAKE_SLOW", "").split(","):
        import signal
        def stop(signum, frame):  # as accelopt's main does: SIGTERM is Ctrl-C
            raise KeyboardInterrupt
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a child of the device tool's shell may inherit it
        try:
            time.sleep(60)
        except KeyboardInterrupt:  # as probe does on Ctrl-C: what it measured so far, then exit 130
            print('{{"interrupted": true}}')
            sys.exit(130)
    import typer
    from accelopt.cli.main import app
    def stub(cmd):
        for sub in getattr(cmd, "commands", {{}}).values():
            stub(sub)
        if not hasattr(cmd, "commands"):
            cmd.callback = lambda **kw: None
    cli = typer.main.get_command(app)
    stub(cli)
    cli.main(args[2:], prog_name="accelopt", standalone_mode=False)  # a flag the CLI lacks raises: exit 1
    print("{{}}")
elif args[:2] in (["-m", "pytest"], ["-m", "pip"]):
    pass
else:  # a benchmark script: run for real (no CUDA here: it parses its flags and stops)
    sys.exit(subprocess.call([{python!r}, *args]))
'''


def _run_gpu_sh(tmp_path: Path, **env_extra: str) -> tuple[subprocess.CompletedProcess[str], Path, list[list[str]]]:
    if shutil.which("tar") is None or shutil.which("timeout") is None:
        pytest.skip("tar and timeout (coreutils) are needed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text('#!/bin/sh\ncase "$1" in --query-gpu=name) echo "NVIDIA H200" ;;\n'
                   '*) echo "NVIDIA H200, 580.159.03, 143771 MiB" ;; esac\n')
    fake = bin_dir / "python3"
    fake.write_text(FAKE_PYTHON.format(python=sys.executable))
    for f in (smi, fake):
        f.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    log = tmp_path / "calls.jsonl"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "OUT": str(out), "FAKE_LOG": str(log),
           "PYTHON": str(fake), "PYTHONPATH": str(ROOT / "src"), "ACCELOPT_NO_HISTORY": "1",
           "WHEELS_DIR": str(tmp_path / "no-wheels"), **env_extra}
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return proc, out, calls


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path,
                                                                   list[list[str]]]:
    folder = tmp_path_factory.mktemp("gpu_sh")
    (folder / "tmp").mkdir()  # the run's $TMPDIR, where its staging folder is made
    before = set(Path("/tmp").glob("accelopt-gpu.*"))  # where it was made before, whatever $TMPDIR said
    run = _run_gpu_sh(folder, TMPDIR=str(folder / "tmp"))
    left = sorted(str(p) for p in set(Path("/tmp").glob("accelopt-gpu.*")) - before)
    (folder / "left_in_tmp.json").write_text(json.dumps(left))
    return run


def test_with_out_set_no_staging_folder_is_left_behind(full_run: tuple) -> None:
    """uttools (2026-12-05): with $OUT set the results were staged in /tmp/accelopt-gpu.XXXXXX, packed into $OUT and
    the folder left behind; it is made in $TMPDIR and removed at the end, the archive holding all of it."""
    proc, out, _ = full_run
    tmp = out.parent / "tmp"
    assert not list(tmp.glob("accelopt-gpu.*")), list(tmp.iterdir())
    assert json.loads((out.parent / "left_in_tmp.json").read_text()) == []
    assert "results: packed in $OUT/gpu_results.tar.gz" in proc.stdout
    with tarfile.open(out / "gpu_results.tar.gz") as tar:
        assert "gpu_nvidia-h200/gpu_summary.txt" in tar.getnames()


def test_every_step_runs_and_parses_in_the_current_cli(full_run: tuple) -> None:
    proc, _, calls = full_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = proc.stdout[proc.stdout.index("gpu.sh on "):]
    steps = [line for line in summary.splitlines() if re.match(r"^\S.*: (ok|FAILED|TIMED OUT|SKIPPED)", line)]
    assert steps and all(": ok in " in line for line in steps), summary
    # whether the steps could be stopped by SIGINT: this process's disposition, which gpu.sh's shell inherited
    ignored = int(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
    assert f"SIGINT ignored in this shell (inherited by every step): {ignored} (SigIgn " in summary
    accelopt = [c[2] for c in calls if c[:2] == ["-m", "accelopt"]]
    # profile: the DDP run over NCCL, 1 GPU here; optimize: the factory file's quantized and compiled variants
    assert accelopt == ["env", "probe", "profile", "optimize"], accelopt
    scripts = sorted(c[0] for c in calls if c[0].startswith("benchmarks/"))
    assert scripts == sorted(str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("gpu_*.py"))


def test_out_holds_no_more_files_than_the_device_tool_brings_back(full_run: tuple) -> None:
    _, out, _ = full_run
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) <= DEVICE_FILE_LIMIT, files
    assert (out / "gpu_summary.txt").is_file()
    with tarfile.open(out / "gpu_results.tar.gz") as tar:
        names = set(tar.getnames())
    for name in ("env.json", "probe.json", "pytest_gpu.log", "gpu_summary.txt",
                 "distributed_ddp_cuda.json"):
        assert f"gpu_nvidia-h200/{name}" in names, sorted(names)


def test_pytest_runs_only_the_gpu_test_files_and_never_the_power_limit_test(full_run: tuple) -> None:
    _, _, calls = full_run
    (args,) = [c[2:] for c in calls if c[:2] == ["-m", "pytest"]]
    files = sorted(a for a in args if a.startswith("tests/"))
    holding = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py")
                     if "pytest.mark.gpu" in p.read_text(encoding="utf-8"))
    assert files == holding
    assert "--continue-on-collection-errors" in args
    expr = args[args.index("-k") + 1]
    test = expr.removeprefix("not ")
    assert expr.startswith("not ") and f"def {test}(" in (ROOT / "tests" / "test_optimize_power.py").read_text()


def test_no_step_changes_the_gpu_power_limit(full_run: tuple) -> None:
    _, _, calls = full_run
    assert not any("--power-limit" in c for c in calls)
    src = (ROOT / "benchmarks" / "gpu.sh").read_text(encoding="utf-8")
    assert not re.search(r"nvidia-smi\s+(-pl|-pm|-r|-lgc|-ac|-c|-mig)\b", src)


def test_gpu_compress_leaves_the_power_limit_alone_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --power-limit nothing reaches the technique (which sets the limit through NVML)."""
    module = _script("gpu_compress", monkeypatch)
    touched: list[str] = []
    monkeypatch.setattr(module, "get_technique", lambda name: touched.append(name))
    result = module.power_limit(None, "cuda", allowed=False)
    assert touched == [] and "not run" in result["not_run"]


def test_a_missing_tomli_w_still_brings_the_probe_back(tmp_path: Path) -> None:
    """The image lacks tomli-w unless its wheel is carried: probe runs with --no-save (its figures come back as
    JSON) instead of dying on the import after measuring, and the summary names the fix."""
    proc, _, calls = _run_gpu_sh(tmp_path, FAKE_MISSING="tomli-w", BUDGET_S="60")
    (probe,) = [c for c in calls if c[2:3] == ["probe"]]
    assert "--no-save" in probe and "--save" not in probe
    assert "missing Python packages: tomli-w" in proc.stdout and "gpu_wheels.sh" in proc.stdout
    assert "no wheels in" in proc.stdout  # the summary says none were carried


def test_carried_wheels_are_installed_offline_beside_the_images_packages(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "tomli_w-1.2.0-py3-none-any.whl").write_bytes(b"")
    proc, _, calls = _run_gpu_sh(tmp_path, WHEELS_DIR=str(wheels), BUDGET_S="1")
    (pip,) = [c for c in calls if c[:2] == ["-m", "pip"]]
    assert {"--no-index", "--no-deps", "--target"} <= set(pip) and pip[-1].endswith("tomli_w-1.2.0-py3-none-any.whl")
    assert "wheels installed from" in proc.stdout


def test_a_hung_step_is_cut_and_the_rest_is_still_packed(tmp_path: Path) -> None:
    """The timeout sends SIGTERM, which accelopt answers as Ctrl-C, so a probe cut short still prints what it
    measured (SIGINT, sent before, does nothing to a child that inherited it ignored: the H200 run of 2026-12-04)."""
    proc, out, _ = _run_gpu_sh(tmp_path, FAKE_SLOW="probe", BUDGET_S="12")
    assert "accelopt probe: TIMED OUT after" in proc.stdout
    assert "SKIPPED (time budget of 12s spent)" in proc.stdout
    with tarfile.open(out / "gpu_results.tar.gz") as tar:
        assert "gpu_nvidia-h200/env.json" in tar.getnames()
        probe = tar.extractfile("gpu_nvidia-h200/probe.json")
        assert probe is not None and json.loads(probe.read()) == {"interrupted": True}


def _script(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    import importlib.util

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_profile_rows_run_against_the_current_api_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """gpu_profile.py has never run on a GPU: its row (profile_step, diagnose, the plain loop) runs here on the CPU
    so a renamed field fails in CI, not in the lent GPU's minutes."""
    bench = _script("gpu_profile", monkeypatch)
    row = bench.one("mlp", "tiny", "fp32", 3, None, device="cpu")
    json.dumps(row)  # the JSON it writes
    assert row["step_time_s"]["median"] > 0 and row["plain_loop_median_s"] > 0
    assert row["ratio_reported_over_plain"] == pytest.approx(row["step_time_s"]["median"] / row["plain_loop_median_s"])


def test_gpu_profile_gap_probe_runs_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures a row outside the 3% tolerance adds (the H200's gpt-realistic bf16 gap of 2026-12-04), run here so
    that the lent GPU's minutes do not find a renamed API; and its line names each of them."""
    from accelopt.workload import zoo

    bench = _script("gpu_profile", monkeypatch)
    gap = bench.gap_probe(zoo.build("mlp", "tiny", dtype="fp32"), "fp32", 3, "cpu")
    assert set(gap) == {"runner_no_capture_s", "plain_after_capture_s", "plain_gc_off_s"}
    assert all(v > 0 for v in gap.values())
    text = bench._gap_text(gap)
    assert all(k.removesuffix("_s") in text for k in gap) and bench._gap_text({}) == ""


def test_gpu_optimize_writes_each_mode_as_it_finishes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Run on the CPU with a small trained model: techniques that need CUDA say why; the JSON holds both modes and
    was written after the first (a timeout in the second keeps it)."""
    from digits_bundle import digits_bundle

    bench = _script("gpu_optimize", monkeypatch)
    monkeypatch.setenv("ACCELOPT_RESULTS_DIR", str(tmp_path))
    # 2026-12-04 (int): train names bf16 beside tf32: an --only of which nothing applies (tf32 alone on the CPU) is
    # refused before anything is measured since utopt (tests/test_optimize_only_not_applicable.py)
    monkeypatch.setattr(bench, "ONLY", {"inference": ["bf16", "cuda-graphs"], "train": ["tf32", "bf16"]})
    monkeypatch.setattr(bench.examples, "build", lambda name: digits_bundle("mlp"))
    writes: list[int] = []
    real_write = bench.write_json

    def counting_write(path: Path, doc: dict[str, Any]) -> None:
        writes.append(len(doc["runs"]))
        real_write(path, doc)

    monkeypatch.setattr(bench, "write_json", counting_write)
    bench.main(budget_s=30, rounds=1, device="cpu")
    assert writes == [1, 2]
    doc = json.loads((tmp_path / "optimize_gpu.json").read_text())
    assert [r["mode"] for r in doc["runs"]] == ["inference", "train"]
    out = capsys.readouterr().out
    assert "cuda-graphs" in out and "not-applicable" in out and "recommended:" in out


def test_gpu_compress_runs_against_the_current_api_on_cpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """gpu_compress.py on the CPU with a small MLP: int8-dynamic runs, the GPU-only techniques say why they do not
    apply, the timing rows and the power-limit line (not run) reach compress_gpu.json."""
    bench = _script("gpu_compress", monkeypatch)
    monkeypatch.setattr(bench, "DIM", 64)
    monkeypatch.setenv("ACCELOPT_RESULTS_DIR", str(tmp_path))
    real_interleave = sys.modules["bench_quantize"].interleave
    monkeypatch.setattr(bench, "interleave", lambda fns, rounds, reps: real_interleave(fns, rounds=2, reps=1))
    bench.main(device="cpu")
    doc = json.loads((tmp_path / "compress_gpu.json").read_text())
    assert doc["bf16-eager"]["speedup_median"] == 1.0
    assert doc["int8-dynamic"]["max_rel_output_diff"] < 0.1 and "speedup_median" in doc["int8-dynamic"]
    assert "not_applicable" in doc["float8-dynamic"] and "not_run" in doc["power-limit"]


def test_the_factory_of_the_recorded_optimize_run_loads_and_agrees_with_itself() -> None:
    """examples/mlp4096.py:build, the model of the H200 optimize run in results/gpu_nvidia-h200: a user's
    factory file the CLI loads; its held-out labels are the model's own top-1, so the unchanged model scores 100%."""
    import torch

    from accelopt.optimize.compress import evaluate
    from accelopt.workload.userfile import load_user_factory

    bundle = load_user_factory(str(ROOT / "examples" / "mlp4096.py") + ":build", batch_size=4)
    assert bundle.metric == "accuracy" and bundle.eval_batches is not None
    with torch.no_grad():
        assert evaluate(bundle.model, bundle, "cpu") == 1.0


def test_the_mlp_factory_refuses_a_sequence_length_by_name() -> None:
    """An MLP has no sequence: `profile examples/mlp4096.py:build --seq-len 512` took seq_len into **_ and ran batch
    2 unchanged, saying nothing (2026-12-05, uttools). The factory takes no seq_len, so the option is refused by
    name."""
    from accelopt.errors import InputError
    from accelopt.workload.userfile import load_user_factory

    with pytest.raises(InputError, match="takes no seq_len argument"):
        load_user_factory(str(ROOT / "examples" / "mlp4096.py") + ":build", batch_size=2, seq_len=512)
