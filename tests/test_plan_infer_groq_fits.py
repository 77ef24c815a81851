"""`plan infer` on the Groq LPU charged the default family's 1 GB runtime workspace (a GPU's CUDA context and engine
workspace, predict/data/inference.toml) to the GroqChip's 230 MB of on-chip SRAM, so no model ever fit one chip:
ResNet-50 at fp16 (51 MB of weights) was printed 'fits NO' at 1007 MiB. The TSP has no runtime allocator (the compiler
places every tensor in SRAM ahead of time; Abts et al., ISCA 2020), so its family charges no workspace."""

from __future__ import annotations

from accelopt.hardware.catalog import get_device
from accelopt.predict.inference import load_runtimes, plan_inference, runtime_for
from accelopt.workload.inference_zoo import build_example, capture_inference


def test_groq_lpu_has_its_own_family_without_a_gpu_workspace() -> None:
    runtime = runtime_for(get_device("groq-lpu"), load_runtimes())
    assert runtime.workspace_bytes == 0
    assert "ISCA 2020" in runtime.source


def test_resnet50_fits_one_groq_chip_at_batch_1_and_not_at_64() -> None:
    spec = get_device("groq-lpu")
    loads = {b: capture_inference(build_example("resnet50", b, None, meta=True)) for b in (1, 64)}
    p1, p64 = plan_inference(loads, [spec], dtype="fp16").devices[0].points
    assert p1.weights_bytes < 60e6  # 25.6 M parameters x 2 bytes
    assert p1.memory_total_bytes == p1.weights_bytes + p1.activations_bytes  # nothing else claims the SRAM
    assert p1.fits and p1.memory_total_bytes <= spec.memory_bytes
    assert not p64.fits  # batch 64's activations (343 MiB) exceed 230 MB: still refused, not waved through
