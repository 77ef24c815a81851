"""Shared fixtures. Tests run on CPU; GPU-only tests carry @pytest.mark.gpu and skip without CUDA."""

from __future__ import annotations

import pytest


def _cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (run benchmarks/gpu.sh on one)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
