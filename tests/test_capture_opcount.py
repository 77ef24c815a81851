"""Per-op work model: bytes of in-place, overwrite, broadcast and view ops; the per-element FLOP table."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from accelopt.workload import opcount  # noqa: E402

aten = torch.ops.aten


def test_inplace_add_reads_both_writes_self() -> None:
    a, b = torch.zeros(10), torch.ones(10)
    out = aten.add_.Tensor(a, b)
    assert opcount.io_bytes(aten.add_.Tensor, (a, b), {}, out) == (80.0, 40.0)
    w = opcount.classify(aten.add_.Tensor, (a, b), {}, out)
    assert (w.kind, w.flops) == ("elementwise", 10.0)


def test_copy_does_not_read_its_destination() -> None:
    dst, src = torch.zeros(8, dtype=torch.float64), torch.ones(8, dtype=torch.float64)
    out = aten.copy_.default(dst, src)
    assert opcount.io_bytes(aten.copy_.default, (dst, src), {}, out) == (64.0, 64.0)


def test_broadcast_input_counts_its_storage_once() -> None:
    x, bias = torch.zeros(4, 16), torch.ones(16)
    wide = bias.expand(4, 16)  # stride-0 view: 16 floats in memory, 64 logical
    out = aten.add.Tensor(x, wide)
    assert opcount.io_bytes(aten.add.Tensor, (x, wide), {}, out) == (4 * (64 + 16), 4 * 64)


def test_views_and_allocations_move_nothing() -> None:
    x = torch.zeros(4, 4)
    assert opcount.io_bytes(aten.t.default, (x,), {}, x.t()) == (0.0, 0.0)
    assert opcount.io_bytes(aten.empty_like.default, (x,), {}, torch.empty_like(x)) == (0.0, 0.0)
    parts = x.split(2)
    assert opcount.io_bytes(aten.split.Tensor, (x, 2), {}, parts) == (0.0, 0.0)


def test_foreach_counts_every_tensor() -> None:
    xs, ys = [torch.zeros(3), torch.zeros(5)], [torch.ones(3), torch.ones(5)]
    aten._foreach_add_.List(xs, ys)
    w = opcount.classify(aten._foreach_add_.List, (xs, ys), {}, None)
    assert (w.kind, w.flops) == ("elementwise", 8.0)
    assert opcount.io_bytes(aten._foreach_add_.List, (xs, ys), {}, None) == (64.0, 32.0)


def test_softmax_and_layer_norm_table() -> None:
    x = torch.randn(2, 3, 8)
    sm = aten._softmax.default(x, -1, False)
    assert opcount.classify(aten._softmax.default, (x, -1, False), {}, sm).flops == 5 * 48
    ln = aten.native_layer_norm.default(x, [8], None, None, 1e-5)
    w = opcount.classify(aten.native_layer_norm.default, (x, [8], None, None, 1e-5), {}, ln)
    assert (w.kind, w.flops) == ("norm", 7 * 48)


def test_mv_not_in_flop_registry_still_counted() -> None:
    m, v = torch.randn(6, 4), torch.randn(4)
    w = opcount.classify(aten.mv.default, (m, v), {}, aten.mv.default(m, v))
    assert (w.kind, w.flops) == ("matmul", 2 * 6 * 4)
    assert w.gemm is not None and (w.gemm.m, w.gemm.n, w.gemm.k) == (6, 1, 4)


def test_unknown_op_is_flagged_unmodeled() -> None:
    x = torch.randn(5)
    w = opcount.classify(aten.special_airy_ai.default, (x,), {}, aten.special_airy_ai.default(x))  # no formula
    assert (w.kind, w.flops, w.modeled) == ("other", 0.0, False)
