"""onnx-* on a model returning a tuple, the (logits, aux) output the user-model contract names: its graph outputs
were named '0', '1' (their place in the tuple), names the TorchScript exporter refuses ('Invalid name: 0'), so every
such model was exported by the slower torch.export path ('EXPORTED BY THE FALLBACK PATH ... Invalid name', 14.8 s
of setup for a 2-layer LSTM language model on the shared 2-core machine), or lost the onnx-* techniques where
that path failed too. The outputs are now out0, out1 (out1.0 for an item nested in the second)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu")


class _LogitsAndState(nn.Module):
    """(B, 6) -> ((B, 4) logits, ((B, 4) hidden, (B,) norm)): a tuple with a tuple inside, as an RNN returns."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(6, 4)
        self.head = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> Any:
        h = torch.tanh(self.body(x))  # (B, 4)
        return self.head(h), (h, h.norm(dim=-1))


def _bundle() -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(4, 6, generator=g), torch.randint(0, 4, (4,), generator=g)) for _ in range(3)]
    return ModelBundle(name="tuple-out", model=_LogitsAndState().eval(), batches=lambda: iter(data[:2]),
                       loss_fn=lambda out, y: F.cross_entropy(out[0], y), batch_size=4,
                       eval_batches=lambda: iter(data[2:]), metric="accuracy")


def test_a_tuple_output_exports_by_the_torchscript_path_with_named_outputs(tmp_path: Any) -> None:
    import onnxruntime as ort

    torch.manual_seed(0)
    b = _bundle()
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert not any("FALLBACK" in n for n in v.notes), v.notes
    assert any(n.startswith("exported with torch.onnx.export (TorchScript exporter)") for n in v.notes), v.notes
    assert any("its outputs out0, out1.0, out1.1 (their place in the model's output)" in n for n in v.notes), v.notes
    assert v.save is not None
    session = ort.InferenceSession(str(v.save(tmp_path)))
    assert [o.name for o in session.get_outputs()] == ["out0", "out1.0", "out1.1"]
    x = next(iter(b.eval_batches()))[0]  # type: ignore[misc]
    got, want = v.forward(x), b.model(x)
    assert isinstance(got, tuple) and isinstance(got[1], tuple)  # the structure comes back as the model returns it
    torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(got[1][1], want[1][1], rtol=1e-5, atol=1e-5)


def test_a_dict_key_of_digits_is_a_name_the_exporter_takes() -> None:
    from accelopt.optimize.onnx_runtime import output_layout

    t = torch.zeros(1)
    assert output_layout({"logits": t, "7": t}).names == ["logits", "out7"]
    assert output_layout((t, t)).names == ["out0", "out1"]
