"""Memory accounting: tensor bytes once per storage, optimizer state, saved activations, peak meters."""

from __future__ import annotations

import mmap
from typing import Any

import pytest
import torch
from torch import nn

from accelopt.measure import memory
from accelopt.measure.memory import (
    SavedTensorMeter,
    measure_memory,
    measure_peak,
    optimizer_state_bytes,
    parameter_bytes,
    tensor_bytes,
)


def test_tensor_bytes_counts_a_shared_storage_once() -> None:
    w = torch.zeros(10, 10)  # 400 bytes
    assert tensor_bytes([w, w.t(), w[:5]]) == 400
    assert tensor_bytes([w, torch.zeros(3), None]) == 412


def test_tied_weights_are_not_double_counted() -> None:
    emb = nn.Embedding(16, 8)
    head = nn.Linear(8, 16, bias=False)
    head.weight = emb.weight  # weight tying (GPT-2 style)
    model = nn.ModuleList([emb, head])
    assert parameter_bytes(model) == 16 * 8 * 4


def test_adamw_state_is_two_moments_plus_step_counters() -> None:
    model = nn.Linear(8, 4)  # weight 32 + bias 4 params
    opt = torch.optim.AdamW(model.parameters())
    assert optimizer_state_bytes(opt) == 0
    model(torch.randn(2, 8)).sum().backward()
    opt.step()
    # exp_avg and exp_avg_sq per parameter (fp32) + a 0-dim fp32 'step' tensor per parameter
    assert optimizer_state_bytes(opt) == 2 * 36 * 4 + 2 * 4
    assert optimizer_state_bytes(None) == 0


def test_saved_tensor_meter_counts_activations_not_weights() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU())
    x = torch.randn(3, 8)
    meter = SavedTensorMeter(exclude=model.parameters())
    with meter.track():
        y = model(x)
    # addmm saves its input (3x8 fp32 = 96 B) and the weight's transpose (excluded: a parameter's storage);
    # relu saves its output (3x4 fp32 = 48 B)
    assert meter.saved_bytes == 96 + 48
    y.sum().backward()  # the unpack hook returns the tensors intact


def test_cuda_peak_uses_allocator_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda d=None: calls.append("sync"))
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda d=None: calls.append("reset"))
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda d=None: 1000)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda d=None: 5000)
    peak, base, kind, how = measure_peak(lambda: calls.append("step"), "cuda:0")
    assert (peak, base, kind) == (5000.0, 1000.0, "cuda-allocator")
    assert calls == ["sync", "reset", "step", "sync"]  # reset before, synchronize before reading
    assert "max_memory_allocated" in how


def test_cuda_inference_activations_are_peak_minus_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "synchronize", lambda d=None: None)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda d=None: None)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda d=None: 0)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda d=None: 10_000)
    model = nn.Linear(10, 10)  # 110 params = 440 B
    m = measure_memory(model=model, optimizer=None, step=lambda: None, device="cuda:0", train=False, saved=None)
    assert m.activations_bytes == 10_000 - 440
    assert m.gradients_bytes == 0 and m.optimizer_state_bytes == 0


def test_cpu_peak_sees_an_allocation_inside_the_step() -> None:
    if not memory.reset_rss_hwm():
        pytest.skip("this kernel does not allow resetting VmHWM")
    held: list[Any] = []
    rss_in_step: list[float] = []

    def step() -> None:
        # 64 MiB of fresh anonymous pages, each written so it is resident. An mmap of its own, not a tensor: a tensor
        # may reuse pages the allocator already holds (CI saw the step add nothing to RSS), which no RSS peak can see.
        block = mmap.mmap(-1, 64 * 2**20)
        for offset in range(0, len(block), mmap.PAGESIZE):
            block[offset] = 1
        rss_in_step.append(memory.rss_bytes() or 0.0)
        held.append(block)

    peak, base, kind, _ = measure_peak(step, "cpu")
    for block in held:
        block.close()
    assert kind == "process-rss-hwm-reset"
    assert peak is not None and base is not None
    if rss_in_step[0] - base < 48 * 2**20:
        pytest.skip("this kernel's VmRSS did not show the 64 MiB written inside the step (no RSS peak can)")
    assert peak - base >= 48 * 2**20  # most of the 64 MiB shows up in the high-water mark
    assert peak >= rss_in_step[0]  # the high-water mark is at least the RSS seen inside the step


def test_cpu_falls_back_to_lifetime_high_water(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "reset_rss_hwm", lambda: False)
    peak, _, kind, how = measure_peak(lambda: None, "cpu")
    assert kind == "process-rss-lifetime-hwm" and peak is not None and peak > 0
    assert "ru_maxrss" in how


# ---- inference activations vs the allocator (issue 13: within 10%) -------------------------------

INFERENCE_TOLERANCE = 0.10  # stated before measuring (issue 13's bound)


def _allocator_transient_peak_bytes(step: Any) -> int:
    """Independent measure: the CPU allocator's own allocation (+) and free (-) events during `step`
    (torch.profiler, profile_memory=True), summed in time order; the peak of the running sum."""
    from torch.profiler import ProfilerActivity, profile

    from accelopt.measure.roofline import quiet_profiler_log

    with quiet_profiler_log(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted((e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"),
                    key=lambda e: e.start_ns())
    current = peak = 0
    for e in events:
        current += e.nbytes()
        peak = max(peak, current)
    return peak


def _bundle_for(name: str) -> Any:
    if name == "my_model":
        from pathlib import Path

        from accelopt.workload.userfile import load_user_factory

        root = Path(__file__).resolve().parents[1]
        return load_user_factory(f"{root}/examples/my_model.py:build")
    from accelopt.workload import zoo

    return zoo.build(name, "tiny", batch_size=None, seq_len=None, dtype="fp32")


def _compare_in_a_fresh_process(name: str) -> tuple[float, float, str]:
    """(reported activations, allocator peak, method) for `name`, measured in this process."""
    import gc

    from accelopt.measure.profiler import StepRunner

    runner = StepRunner(_bundle_for(name), mode="inference", dtype="fp32", device="cpu")
    runner.step()
    live = memory.LiveTensorMeter(exclude=[*runner.model.parameters(), *runner.model.buffers()])
    m = measure_memory(model=runner.model, optimizer=None, step=lambda: runner.step(live=live), device="cpu",
                       train=False, saved=None, live=live)
    runner.step()  # the same step as the allocator sees it: a fresh batch, the previous output released
    inputs, _ = runner.to_device(runner.next_batch())

    def forward() -> None:
        runner.last_value = runner.forward(inputs, None)

    # The previous output is released BEFORE the profiler starts. Released inside the window, its free showed up
    # as a -64 KiB "[memory]" event whenever its address had been used by a block allocated in an earlier
    # profiled window and freed outside one: the reporter keeps that stale size entry (reproduced: a block
    # allocated in a window, freed outside, a same-address block allocated outside and freed in a window reports
    # -65,536 B). That lowered bert's running sum to 163,840 B against 229,376 B in some full-suite runs and in
    # CI, depending only on where the allocator put the output.
    runner.last_value = None
    gc.collect()
    reference = _allocator_transient_peak_bytes(forward)
    return float(m.activations_bytes or 0.0), float(reference), m.methods["activations"]


INFERENCE_MODELS = ["mlp", "gpt", "bert", "resnet", "my_model"]


@pytest.fixture(scope="module")
def fresh_process_measurements() -> dict[str, list[Any]]:
    """Both measurements for every model, in one fresh process as the CLI runs: torch's global state left by
    other tests (kernel choices) must not decide what is compared."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    code = (f"import json, sys; sys.path.insert(0, {str(here)!r}); import test_profile_memory as t; "
            f"print(json.dumps({{n: t._compare_in_a_fresh_process(n) for n in {INFERENCE_MODELS!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", INFERENCE_MODELS)
def test_inference_activations_match_the_allocator(name: str, fresh_process_measurements: dict[str, Any]) -> None:
    reported, reference, method = fresh_process_measurements[name]
    assert reference > 0 and reported > 0
    assert reported == pytest.approx(reference, rel=INFERENCE_TOLERANCE)
    assert "TorchDispatchMode" in method


def test_live_meter_releases_freed_tensors() -> None:
    live = memory.LiveTensorMeter()
    with live.track():
        a = torch.ones(1000)  # 4000 B
        b = a * 2  # +4000 B, peak 8000
        del a
        c = b + 1  # a freed: 8000 live again, peak stays 8000
    assert live.peak_bytes == 8000
    assert live.current_bytes == 8000
    del b, c
    assert live.current_bytes == 0
