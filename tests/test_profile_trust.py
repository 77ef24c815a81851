"""profile on a busy machine, with non-finite losses, and its energy window (issue 13 / 12).

Thresholds are the module's stated constants (measure/contention.py, measure/profiler.py); the fake
/proc/stat files give known CPU times so the arithmetic is checked exactly."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from conftest import run_main
from torch import nn

from accelopt.errors import MeasurementError
from accelopt.measure import contention as ct
from accelopt.measure.profiler import ENERGY_WINDOW_S, check_passes, profile_step
from accelopt.measure.roofline import Ceilings
from accelopt.workload.userfile import ModelBundle

ROOFS = Ceilings(peak_flop_per_s=1e10, memory_bandwidth_byte_per_s=1e10, dtype="fp32", source="test",
                 is_measured=False)


def _bundle(poison: bool = False) -> ModelBundle:
    def gen() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(0)
        for _ in range(3):
            x = torch.randn(4, 16, generator=g)
            if poison:
                x[0, 0] = float("nan")
            yield x, torch.randint(0, 3, (4,), generator=g)

    return ModelBundle(name="local-mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 3)),
                       batches=gen, loss_fn=nn.functional.cross_entropy, batch_size=4)


# ---- samples --------------------------------------------------------------------------------------

def test_bimodal_finds_two_clusters() -> None:
    samples = [0.035] * 10 + [0.052] * 8  # the 35 ms / 52 ms per process
    lo, hi = ct.bimodal(samples) or (0, 0)
    assert lo == pytest.approx(0.035) and hi == pytest.approx(0.052)


def test_unimodal_noise_is_not_bimodal() -> None:
    samples = [0.010 + 0.0002 * ((i * 7) % 11) for i in range(30)]  # +-1% jitter
    assert ct.bimodal(samples) is None
    report = ct.ContentionReport()
    ct.check_samples(report, "step time", samples)
    assert not report.busy


def test_one_outlier_is_not_a_cluster() -> None:
    assert ct.bimodal([0.010] * 19 + [0.5]) is None  # 5% of samples: below BIMODAL_CLUSTER_MIN


def test_wide_spread_is_flagged() -> None:
    report = ct.ContentionReport()
    ct.check_samples(report, "fp32 matmul", [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08])
    assert report.busy and "spread" in report.warnings[0] and "fp32 matmul" in report.disturbed


# ---- /proc/stat arithmetic ------------------------------------------------------------------------

def _stat(path: Path, user: int, idle: int, steal: int = 0) -> None:
    path.write_text(f"cpu  {user} 0 0 {idle} 0 0 0 {steal} 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n")


def test_others_busy_cores_from_proc_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stat = tmp_path / "stat"
    hz = ct._clock_ticks()
    _stat(stat, user=0, idle=0)
    monkeypatch.setattr(ct.os, "cpu_count", lambda: 2)
    watch = ct.Watch(stat)
    # 10 s of wall time on 2 CPUs = 20 CPU-seconds; 15 busy, of which this process used ~0 -> 1.5 other cores
    _stat(stat, user=15 * hz, idle=5 * hz)
    report = ct.ContentionReport()
    watch.finish(report, ["step time"])
    own_s = (watch.start.self_s if watch.start else 0.0)
    assert own_s >= 0
    assert report.others_busy_cores == pytest.approx(1.5, abs=0.1)  # minus our own CPU time since start
    assert report.busy and "step time" in report.disturbed


def test_steal_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stat = tmp_path / "stat"
    hz = ct._clock_ticks()
    _stat(stat, user=0, idle=0)
    monkeypatch.setattr(ct.os, "cpu_count", lambda: 2)
    watch = ct.Watch(stat)
    _stat(stat, user=0, idle=18 * hz, steal=2 * hz)  # 10% steal
    report = ct.ContentionReport()
    watch.finish(report, ["step time"])
    assert report.steal_fraction == pytest.approx(0.10)
    assert any("steal" in w for w in report.warnings)


def test_no_proc_stat_means_no_claim(tmp_path: Path) -> None:
    watch = ct.Watch(tmp_path / "missing")
    report = ct.ContentionReport()
    watch.finish(report, ["step time"])
    assert report.others_busy_cores is None and not report.busy


def test_oversubscribed_threads() -> None:
    report = ct.ContentionReport()
    ct.check_setup(report, threads=ct.usable_cores() * 4, load_1min=None)
    assert any("oversubscribed" in w for w in report.warnings)


# ---- passes that disagree -------------------------------------------------------------------------

def test_passes_that_agree_are_not_flagged() -> None:
    report = ct.ContentionReport()
    check_passes(report, headline_s=0.010, phases_sum_s=0.011, profiled_s=0.020)
    assert not report.busy


def test_profiled_pass_20x_slower_withholds_the_diagnosis() -> None:
    report = ct.ContentionReport()
    check_passes(report, headline_s=0.010, phases_sum_s=0.010, profiled_s=0.200)  # the 20x
    assert {"roofline", "diagnosis"} <= set(report.disturbed)


def test_breakdown_off_by_11x_is_flagged() -> None:
    report = ct.ContentionReport()
    check_passes(report, headline_s=0.010, phases_sum_s=0.110, profiled_s=0.010)
    assert report.disturbed == ["breakdown"]


# ---- non-finite values ----------------------------------------------------------------------------

def test_nan_loss_is_an_error() -> None:
    with pytest.raises(MeasurementError, match="not finite"):
        profile_step(_bundle(poison=True), steps=3, warmup=1, ceilings=ROOFS)


def test_nan_loss_allowed_is_flagged() -> None:
    r = profile_step(_bundle(poison=True), steps=3, warmup=1, ceilings=ROOFS, allow_nonfinite=True)
    assert r.nonfinite is not None and "loss" in r.nonfinite
    from accelopt.report.schema import dump

    assert dump("profile", r)["nonfinite"] == r.nonfinite


def test_nan_output_in_inference_is_an_error() -> None:
    with pytest.raises(MeasurementError, match="output"):
        profile_step(_bundle(poison=True), mode="inference", steps=3, warmup=1, ceilings=ROOFS)


def test_nan_loss_cli_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "nanmodel.py"
    f.write_text(
        "import torch\nfrom torch import nn\nfrom accelopt.workload.userfile import ModelBundle\n"
        "def build(batch_size=4):\n"
        "    def gen():\n"
        "        yield torch.full((batch_size, 8), float('nan')), torch.zeros(batch_size, dtype=torch.long)\n"
        "    return ModelBundle(name='nan', model=nn.Linear(8, 2), batches=gen,\n"
        "                       loss_fn=nn.functional.cross_entropy, batch_size=batch_size)\n")
    code, out, err = run_main(["profile", f"{f}:build", "--steps", "3"], capsys)
    assert code == 2 and "not finite" in err and "fix:" in err
    code, out, err = run_main(["profile", f"{f}:build", "--steps", "3", "--allow-nonfinite"], capsys)
    assert code == 0 and "NOT FINITE" in out


# ---- energy window --------------------------------------------------------------------------------

def test_energy_window_is_filled_by_measured_time() -> None:
    from accelopt.hardware.catalog import get_device

    # an earlier median far too small (1 ns) must not shrink the window: run until the clock says so
    from accelopt.measure.profiler import StepRunner, measure_energy

    runner = StepRunner(_bundle(), mode="train", dtype="fp32", device="cpu")
    spec = get_device("xeon-8480+")
    e = measure_energy(runner, step_time_s=1e-9, batch_size=4, spec=spec)
    if e.window_s is None:  # RAPL unreadable and the estimate refused: nothing to check
        pytest.skip(e.note)
    assert e.window_s >= ENERGY_WINDOW_S


# ---- a competing busy process ---------------------------------------------------------------------

def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


def test_busy_machine_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """Two spinning processes on this machine's cores: profile must say the machine was busy."""
    if ct.read_cpu_times() is None:
        pytest.skip("no /proc/stat here: the CPU-time check cannot run")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_spin, args=(20.0,), daemon=True) for _ in range(max(2, ct.usable_cores()))]
    for p in procs:
        p.start()
    try:
        time.sleep(0.5)  # let them start spinning
        # resnet: warm-up + 400 steps + breakdown span > 0.5 s, the shortest window /proc/stat is judged over (60
        # steps took 0.2 s on an idle 2-core machine: a spinner that started late left the window too short to judge)
        code, out, err = run_main(["profile", "resnet", "--steps", "400", "--json"], capsys)
    finally:
        for p in procs:
            p.terminate()
            p.join(5)
    assert code == 0, err
    import json

    doc = json.loads(out)
    assert doc["contention"]["warnings"], doc["contention"]
    assert "step time" in doc["contention"]["disturbed"]


# ---- probe ------------------------------------------------------------------------------------------

def test_probe_ctrl_c_keeps_what_was_measured(capsys: pytest.CaptureFixture[str], tiny_probe: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from accelopt.measure import probe

    real = probe.measure_stream

    def interrupted(*args: object, **kwargs: object) -> probe.Figure:
        raise KeyboardInterrupt

    monkeypatch.setattr(probe, "measure_stream", interrupted)
    code, out, _ = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--no-save", "--json"], capsys)
    assert code == 130
    doc = json.loads(out)
    assert doc["interrupted"] and [f["metric"] for f in doc["figures"]] == ["matmul.fp32"]
    assert any("interrupted" in why for _metric, why in doc["skipped"])  # [metric, why] pairs
    code, out, _ = run_main(["history", "list"], capsys)  # and it was recorded
    assert code == 0 and "probe" in out
    monkeypatch.setattr(probe, "measure_stream", real)


def test_probe_noisy_figure_is_flagged(tiny_probe: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.hardware.detect import find_device
    from accelopt.measure import probe

    def noisy(*args: object, **kwargs: object) -> probe.Figure:  # the fp32 p10 at 1% of its median
        return probe.Figure(metric="stream.copy", unit="B/s", median=1e10, p10=1e8, p90=2e10, spread=62.65,
                            n=10, detail="fake")

    monkeypatch.setattr(probe, "measure_stream", noisy)
    r = probe.run_probe(find_device("cpu"), dtypes=["fp32"])
    assert "stream.copy" in r.contention.disturbed
    assert any("6265.0%" in w for w in r.contention.warnings)  # the spread column's precision (fmt_pct)


def test_probe_default_save_folder_checked_before_measuring(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ACCELOPT_HOME", str(blocker / "home"))  # under a file: cannot be created
    from accelopt.measure import probe

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("measured before checking the save folder")

    monkeypatch.setattr(probe, "run_probe", never)
    code, _, err = run_main(["probe", "--device", "cpu"], capsys)
    assert code == 2 and "ACCELOPT_HOME" in err


# ---- probe's duration estimate follows time_fn's own stop rule -----------------------------------

@pytest.mark.parametrize(("call_s", "budget_s"), [(0.001, 0.5), (0.06, 0.5), (0.17, 0.5), (0.4, 0.5), (2.0, 0.5),
                                                  (0.01, 2.0)])
def test_sampling_time_model_matches_time_fn(call_s: float, budget_s: float, monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.measure import probe, timing

    clock = [0.0]
    monkeypatch.setattr(timing.time, "perf_counter", lambda: clock[0])

    def call() -> None:
        clock[0] += call_s

    timing.time_fn(call, warmup=0, repeats=5, min_time_s=budget_s / 2, max_time_s=budget_s)
    assert probe.sampling_time_s(call_s, budget_s) == pytest.approx(clock[0])


def test_quick_cpu_sweep_reaches_2048_for_bf16() -> None:
    from accelopt.hardware.detect import find_device
    from accelopt.measure import probe

    settings = probe.settings_for(find_device("cpu"), quick=True, llc_bytes=None)
    assert (2048, 2048, 2048) in settings.shapes["bf16"] and (2048, 2048, 2048) in settings.shapes["fp32"]


def test_matmul_prediction_stops_like_the_sweep() -> None:
    from accelopt.measure import probe

    # 1 ms at 128^3 -> 64 ms at 512^3 -> 4.1 s at 2048^3: the last exceeds max_call_s 0.5 and is skipped
    t = probe.predict_matmul_s(lambda sh: 1e-3 * (sh[0] / 128) ** 3, [(128,) * 3, (512,) * 3, (2048,) * 3],
                               shape_budget_s=0.5, max_call_s=0.5)
    first = 1e-3 * (1 + 3) + probe.sampling_time_s(1e-3, 0.5)
    second = 0.064 * (1 + 1) + probe.sampling_time_s(0.064, 0.5)
    assert t == pytest.approx(first + second)


def test_a_window_of_a_few_clock_ticks_is_not_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """5 ms on an idle machine once read as 'other processes used 0.9 cores': one tick of accounting skew."""
    stat = tmp_path / "stat"
    _stat(stat, user=0, idle=0)
    monkeypatch.setattr(ct.os, "cpu_count", lambda: 2)
    watch = ct.Watch(stat)
    _stat(stat, user=1, idle=1)  # 2 ticks in all = 10 ms of wall time on 2 CPUs at 100 Hz
    report = ct.ContentionReport()
    watch.finish(report, ["step time"])
    assert not report.busy and report.others_busy_cores is None
