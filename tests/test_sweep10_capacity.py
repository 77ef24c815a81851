"""The RTX 4090's capacity is what its driver reports (issue 10, 'Memory capacity units'): nvidia-smi shows
24,564 MiB (vllm-project/vllm#15617), 24.0 GiB; the catalog held the whitepaper's '24 GB' as 24e9 B (22.4 GiB), 1.6 GB
short, so a model or batch that fits on the card was reported as not fitting. The other NVIDIA capacities with a
published driver figure are pinned in tests/test_plan_memory_capacity.py."""

from __future__ import annotations

from accelopt.hardware.catalog import get_device


def test_rtx_4090_capacity_is_the_driver_figure() -> None:
    spec = get_device("rtx-4090")
    assert spec.memory_bytes == 24564 * 2**20
    assert "nvidia-smi" in spec.sources["memory_bytes"] and "vllm-project/vllm#15617" in spec.sources["memory_bytes"]
