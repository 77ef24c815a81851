"""onnx-* on a user's nn.TransformerEncoder that passes an attention mask (the usual causal-LM pattern): the
TorchScript exporter failed on the fused fast-path op (no ONNX symbolic for aten::_transformer_encoder_layer_fwd)
and the fallback torch.export failed on the causal-mask check inside torch (data-dependent `.item()`), so
onnx-fp32, onnx-int8 and onnx-int8-static were "not applicable" with a page of exporter text. When both fail on a
model holding nn.MultiheadAttention, the TorchScript exporter runs again with torch's MHA fast path switched off
(torch.backends.mha.set_fastpath_enabled: the unfused ops compute the same function), said in the notes, and the
switch is restored after."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.onnx_runtime import export_onnx  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

VOCAB, WIDTH, T = 11, 16, 6
CPU = Target(mode="inference", device="cpu")


class _CausalLM(nn.Module):
    """ids (B, T) -> logits (B, T, V): tied embeddings, a causal mask buffer passed to nn.TransformerEncoder."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, WIDTH)
        layer = nn.TransformerEncoderLayer(WIDTH, 2, 32, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2)
        self.out = nn.Linear(WIDTH, VOCAB, bias=False)
        self.out.weight = self.emb.weight
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), 1))  # (T, T)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(self.enc(self.emb(ids), mask=self.mask))  # (B, T, V)


def _bundle() -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randint(0, VOCAB, (3, T), generator=g), torch.randint(0, VOCAB, (3, T), generator=g))
            for _ in range(2)]

    def loss(out: Any, y: Any) -> Any:
        return F.cross_entropy(out.reshape(-1, VOCAB), y.reshape(-1))

    return ModelBundle(name="causal", model=_CausalLM().eval(), batches=lambda: iter(data), batch_size=3,
                       eval_batches=lambda: iter(data), loss_fn=loss, metric="loss")


def test_a_masked_transformer_encoder_exports_and_matches_the_model() -> None:
    """The exported graph gives the model's logits within 1e-4 (float32 reordering; stated before running), on
    the export batch and on a batch of another size."""
    torch.manual_seed(0)
    b = _bundle()
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert any("fast path off" in n for n in v.notes), v.notes  # how it was exported is said
    for ids in (next(iter(b.batches()))[0], torch.randint(0, VOCAB, (5, T))):
        with torch.no_grad():
            want = b.model(ids)
        assert torch.allclose(v.forward(ids), want, atol=1e-4)


def test_the_fast_path_switch_is_restored(tmp_path: Any) -> None:
    """The export leaves torch's MHA fast path as it found it, on or off."""
    model = _CausalLM().eval()
    ids = torch.zeros(2, T, dtype=torch.long)
    assert torch.backends.mha.get_fastpath_enabled()
    export_onnx(model, (ids,), tmp_path / "a.onnx")
    assert torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        export_onnx(model, (ids,), tmp_path / "b.onnx")
        assert not torch.backends.mha.get_fastpath_enabled()
    finally:
        torch.backends.mha.set_fastpath_enabled(True)


def test_the_exporters_log_records_stay_off_the_terminal(tmp_path: Any) -> None:
    """torch's own loggers (a handler of their own, and levels of their own, so the root level did not reach
    them) printed ~110 lines per export of this model: 'torchvision is not installed. Skipping torchvision::nms'
    x4 per dynamo export, and symbolic_shapes' 'Unable to find user code' with the whole FX graph. The export's
    notes already say what failed; the records are torch's internals. Levels are restored after the export."""
    import logging

    seen: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage()[:80])

    # the exporter's registry propagates to "torch" (whose handler prints it); symbolic_shapes has a handler of its
    # own and does not propagate: each gets one that keeps what reaches it
    names = ("torch", "torch.fx.experimental.symbolic_shapes")
    before = {n: logging.getLogger(n).level for n in names}
    keep = _Keep(logging.WARNING)
    for n in names:
        logging.getLogger(n).addHandler(keep)
    try:
        export_onnx(_CausalLM().eval(), (torch.zeros(2, T, dtype=torch.long),), tmp_path / "m.onnx")
    finally:
        for n in names:
            logging.getLogger(n).removeHandler(keep)
    assert not [m for m in seen if "torchvision" in m or "Unable to find user code" in m], seen
    assert {n: logging.getLogger(n).level for n in before} == before
