"""plan infer and validate --inference capture built-in models on PyTorch's meta device (shapes only); the counts
must be those of a capture on the CPU. Two ways they differed (metabytes, 2026-12-03): every meta tensor's
data_ptr() is 0, so opcount keyed two different same-size inputs of one op (a residual add's branches) as one
tensor and counted their bytes once (resnet50 b1: 405.3 MB on meta vs 427.6 MB on the CPU, -5.2%); and meta ran
F.scaled_dot_product_attention on the math path (bmm, softmax, bmm) where the CPU runs one fused kernel
(bert-base: 22.41 vs 22.39 GFLOP, 574.9 vs 523.6 MB, 573 vs 381 ops)."""

from __future__ import annotations

import pytest

from accelopt.workload import zoo
from accelopt.workload.capture import capture_workload
from accelopt.workload.inference_zoo import build_example, capture_inference, last_token_logits, list_examples
from accelopt.workload.types import Workload


def _totals(wl: Workload) -> tuple[float, float, float, int]:
    """(FLOPs, bytes read, bytes written, ops) of one forward, compacted ops weighted by their count."""
    return (sum(o.flops * o.count for o in wl.ops), sum(o.bytes_read * o.count for o in wl.ops),
            sum(o.bytes_written * o.count for o in wl.ops), sum(o.count for o in wl.ops))


def _meta_and_cpu(name: str) -> tuple[Workload, Workload]:
    on_meta = capture_inference(build_example(name, 1, meta=True))
    on_cpu = capture_workload(build_example(name, 1), mode="inference", device="cpu", compact=True)
    return on_meta, on_cpu


@pytest.mark.parametrize("name", list_examples())
def test_meta_capture_counts_what_the_cpu_counts(name: str) -> None:
    """Every built-in inference example at batch 1 (each builds and runs on the CPU in seconds)."""
    on_meta, on_cpu = _meta_and_cpu(name)
    assert on_meta.meta["capture_device"] == "meta"
    assert _totals(on_meta) == _totals(on_cpu)


def test_resnet50_bytes_on_meta_are_the_cpus() -> None:
    """The residual add reads both branches: 427,601,472 B at batch 1, as on the CPU (405,311,552 B before)."""
    on_meta, on_cpu = _meta_and_cpu("resnet50")
    assert _totals(on_meta)[1] + _totals(on_meta)[2] == _totals(on_cpu)[1] + _totals(on_cpu)[2] == 427_601_472


def test_bert_attention_on_meta_is_the_cpus_fused_kernel() -> None:
    """The CPU picks the fused flash kernel for BERT's attention; the meta capture counts that op, not bmm+softmax."""
    on_meta, on_cpu = _meta_and_cpu("bert-base")
    fused = "aten._scaled_dot_product_flash_attention_for_cpu"
    assert sum(o.count for o in on_meta.ops if o.name == fused) == 12
    assert [(o.name, o.count) for o in on_meta.ops] == [(o.name, o.count) for o in on_cpu.ops]


@pytest.mark.parametrize("name", zoo.list_models())
@pytest.mark.parametrize("size", ["tiny", "small"])
def test_zoo_models_count_on_meta_what_the_cpu_counts(name: str, size: str) -> None:
    """`plan infer gpt --size small` etc. capture the zoo model on meta too (tiny and small build on the CPU fast)."""
    on_meta = capture_inference(zoo.build(name, size, batch_size=1, meta=True))
    cpu = zoo.build(name, size, batch_size=1)
    with last_token_logits(cpu):  # as capture_inference runs a causal LM's head: on its last position
        on_cpu = capture_workload(cpu, mode="inference", device="cpu", compact=True)
    assert on_meta.meta["capture_device"] == "meta"
    assert _totals(on_meta) == _totals(on_cpu)
