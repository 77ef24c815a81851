"""`plan infer`'s built-in examples are captured on the meta device inputs included (ut_readme2).

README: built-ins are "captured per batch on PyTorch's meta device (shapes only, a second or two)". Their weights
were, but each input batch was drawn with torch.randn / randint on the CPU (and the labels made on the CPU), so a
large batch cost this machine's memory: `plan infer kws-dscnn --batch 2147483647 --hardware h100-sxm` stopped with
'one batch of inputs ... does not fit in the memory of cpu' (exit 2) instead of predicting an H100, and
`plan infer resnet50 --batch 65536` drew 39 GB of random floats first. Under meta=True the inputs are meta tensors
now; the CPU build (the fallback capture, `profile`) keeps its seeded values."""

from __future__ import annotations

import pytest
import torch

from accelopt.workload.inference_zoo import build_example, capture_inference, list_examples


@pytest.mark.parametrize("name", ["resnet50", "kws-dscnn", "bert-base"])
def test_meta_build_makes_meta_inputs(name: str) -> None:
    bundle = build_example(name, 2, meta=True)
    (x,), y = bundle.first_batch()
    assert x.device.type == "meta" and y.device.type == "meta", (x.device, y.device)
    assert x.shape[0] == 2 and y.shape == (2,)


def test_a_batch_past_this_machines_memory_is_captured_on_meta() -> None:
    b = 2**31 - 1  # kws-dscnn's input at this batch: 4.2 TB of fp32
    wl = capture_inference(build_example("kws-dscnn", b, meta=True))
    assert wl.meta["capture_device"] == "meta"
    assert wl.meta["input_bytes"] == b * 1 * 49 * 10 * 4


def test_cpu_build_keeps_the_seeded_inputs() -> None:
    for name in list_examples():
        (x,), _ = build_example(name, 1).first_batch()
        assert x.device.type == "cpu"
    (x,), _ = build_example("resnet50", 1).first_batch()
    g = torch.Generator().manual_seed(0)
    assert torch.equal(x, torch.randn(1, 3, 224, 224, generator=g))
