"""tt-wormhole-n150 listed fp16 and fp8 peaks only, so `plan --dtype bf16` (training's usual precision) refused the
device. Tenstorrent's ISA documentation gives the Matrix Unit's rate per fidelity phase (tenstorrent/
tt-isa-documentation@585749d, WormholeB0/TensixTile/TensixCoprocessor/MatrixUnit.md, 'Performance'): an exact BF16 x
BF16 matmul takes 4 phases, 1.024 TFLOP/s per tile at 1 GHz, and an n150 has 72 tiles."""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device


def test_bf16_peak_is_the_four_phase_rate_of_72_tiles() -> None:
    spec = get_device("tt-wormhole-n150")
    assert spec.peak("bf16") == pytest.approx(72 * 1.024e12)
    assert "MatrixUnit.md" in spec.sources["peak_flop_per_s.bf16"]
    assert spec.peak("bf16") == pytest.approx(spec.peak("fp16"), rel=0.01)  # the spec page's 74 TFLOPS FP16
