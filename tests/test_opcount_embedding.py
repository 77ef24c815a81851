"""An embedding lookup reads the looked-up rows, not the whole table (issue 10 review, polish).

nn.Embedding / F.embedding is a gather: "a simple lookup table that stores embeddings of a fixed dictionary and size
... retrieve them using indices" (torch.nn.Embedding docs); ATen computes it as weight.index_select(0, indices)
(pytorch/pytorch aten/src/ATen/native/Embedding.cpp, `embedding`). opcount counted the whole weight as read (every
input tensor read once): a 50k x 64 fp32 table looked up by 16 tokens read 12.8 MB instead of 4 KiB, which put the
op far on the memory side of the roofline and made it the largest activation `plan infer` reserves. Before the fix
these tests fail (bytes_read 12,800,128)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from accelopt.workload import opcount  # noqa: E402
from accelopt.workload.capture import capture_workload  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

VOCAB, DIM, TOKENS = 50_000, 64, 16
FP32, INT64 = 4, 8
ROWS_B = TOKENS * DIM * FP32  # 16 rows of 64 fp32 = 4,096 B
INDICES_B = TOKENS * INT64  # 128 B
TABLE_B = VOCAB * DIM * FP32  # 12,800,000 B


class _Lookup(torch.nn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.tok = torch.nn.Embedding(VOCAB, DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tok(x)


def _bundle() -> ModelBundle:
    idx = torch.arange(TOKENS) * 3_001 % VOCAB  # 16 distinct rows spread over the table

    def batches():  # type: ignore[no-untyped-def]
        yield (idx,), torch.zeros(TOKENS, DIM)

    return ModelBundle(name="lookup", model=_Lookup(), batches=batches,
                       loss_fn=lambda out, y: ((out - y) ** 2).mean(), batch_size=TOKENS)


def _op(ops, name: str, phase: str):  # type: ignore[no-untyped-def]
    return next(o for o in ops if o.name == name and o.phase == phase)


def test_forward_lookup_reads_the_gathered_rows_and_the_indices() -> None:
    wl = capture_workload(_bundle(), mode="train")
    fwd = _op(wl.ops, "aten.embedding", "forward")
    assert fwd.bytes_read == ROWS_B + INDICES_B == 4_224  # not TABLE_B + INDICES_B = 12,800,128
    assert fwd.bytes_written == ROWS_B
    assert fwd.flops == 0  # a gather: no arithmetic


def test_backward_writes_the_dense_gradient_once_and_reads_no_table() -> None:
    """embedding_dense_backward returns a dense (vocab, dim) gradient ATen zero-fills (at::zeros) before adding each
    gradient row into its row: the table is written once, never read; 1 add per gradient element."""
    wl = capture_workload(_bundle(), mode="train")
    bwd = _op(wl.ops, "aten.embedding_dense_backward", "backward")
    assert bwd.bytes_written == TABLE_B
    assert bwd.bytes_read <= ROWS_B + INDICES_B  # the incoming gradient (a smaller broadcast view here) + indices
    assert bwd.flops == TOKENS * DIM


def test_io_bytes_of_a_2d_lookup_and_of_an_embedding_bag() -> None:
    """aten.embedding with (batch, seq) indices and aten._embedding_bag (one row per index, then a reduction per bag)
    read one row per index; a lookup of more indices than rows reads the table at most once."""
    w = torch.randn(VOCAB, DIM)
    idx = torch.randint(0, VOCAB, (2, 8))
    out = torch.ops.aten.embedding.default(w, idx)
    assert opcount.io_bytes(torch.ops.aten.embedding.default, (w, idx), {}, out) == (ROWS_B + INDICES_B, ROWS_B)
    offsets = torch.tensor([0, 8])
    flat = idx.reshape(-1)
    bag_out = torch.ops.aten._embedding_bag.default(w, flat, offsets)
    read, _ = opcount.io_bytes(torch.ops.aten._embedding_bag.default, (w, flat, offsets), {}, bag_out)
    assert read == ROWS_B + INDICES_B + 2 * INT64
    small = torch.randn(10, DIM)
    many = torch.randint(0, 10, (1_000,))
    read, _ = opcount.io_bytes(torch.ops.aten.embedding.default, (small, many), {},
                               torch.ops.aten.embedding.default(small, many))
    assert read == 10 * DIM * FP32 + 1_000 * INT64
