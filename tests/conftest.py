"""Shared fixtures. Tests run on CPU; GPU-only tests carry @pytest.mark.gpu and skip without CUDA."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _accelopt_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run history and other per-user files go to a temporary ACCELOPT_HOME, never the real home."""
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path_factory.mktemp("accelopt_home")))
    monkeypatch.delenv("ACCELOPT_NO_HISTORY", raising=False)


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
