"""onnx-* variants of a model whose forward branches on a Tensor's value (Python `if` / a loop count from `.item()`).

utopt4's trial (2026-12-05): the TorchScript exporter traced `if h.mean() > 0.2` and `for _ in range(int(h.abs().sum()
.item()) % 3)` at the export batch's values, its TracerWarnings silenced; the graph scaled the hidden state by the
export batch's loop count on every input, and onnx-int8 was recommended (loss 2.295 vs 2.294, top-1 agreement 92%),
its --save'd .onnx computing another function than the model. The exporter's TracerWarnings now make the fp32 graph
be compared with the model on the training and held-out batches read for shapes: a disagreement beyond
TRACE_TOLERANCE of the largest |output| is not applicable, naming the model's line and the batch; agreement is
said in the notes, with what it does not cover."""

from __future__ import annotations

import inspect

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from torch import nn  # noqa: E402

from accelopt.errors import UnsupportedError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu")


class _Branchy(nn.Module):
    """Doubles its hidden state when the input's mean is positive: the branch depends on the data."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.head = nn.Linear(4, 8), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        if x.mean() > 0:  # a Python bool from a Tensor: the trace keeps the export batch's branch
            h = 2 * h
        return self.head(h)


class _AlwaysTrue(_Branchy):
    """The same warning, but the branch is taken on every input: the graph is right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        if x.abs().sum() >= 0:
            h = 2 * h
        return self.head(h)


def _bundle(model: nn.Module) -> ModelBundle:
    torch.manual_seed(0)
    pos, neg = torch.rand(4, 4) + 0.5, -torch.rand(4, 4) - 0.5  # means of either sign: both branches
    y = torch.zeros(4, dtype=torch.long)
    return ModelBundle(name="branchy", model=model.eval(), batches=lambda: iter([(pos, y), (neg, y)]),
                       loss_fn=nn.functional.cross_entropy, batch_size=4, eval_batches=lambda: iter([(neg, y)]),
                       metric="accuracy")


@pytest.mark.parametrize("name", ["onnx-fp32", "onnx-int8"])
def test_a_branch_the_trace_fixed_is_refused_naming_the_line_and_batch(name: str) -> None:
    with pytest.raises(UnsupportedError) as e:
        get_technique(name).apply(_bundle(_Branchy()), CPU, {})
    line = inspect.getsourcelines(_Branchy.forward)[1] + 2  # its `if x.mean() > 0:`
    assert f"test_optimize_onnx_traced_branch.py:{line}: Converting a tensor to a Python boolean" in e.value.problem
    assert "disagrees with the model on training batch 2" in e.value.problem, e.value.problem
    assert "torch.where" in e.value.fix and "skip the onnx-*" in e.value.fix


def test_a_warned_branch_the_graph_gets_right_is_kept_and_said() -> None:
    b = _bundle(_AlwaysTrue())
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    said = [n for n in v.notes if "traced a Tensor into a Python value" in n]
    assert said and "agrees with the model on the 3 training and held-out batches read" in said[0], v.notes
    x = next(b.batches())[0]
    with torch.no_grad():
        assert torch.allclose(v.forward(x), b.model(x), atol=1e-5)


class _AlwaysTrueDropout(_AlwaysTrue):
    """_AlwaysTrue with a Dropout, as a Hugging Face BERT has (its warned line is transformers' own `pad_token_id in
    input_ids` check, which takes the same branch on every batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(self.drop(x))


def test_the_graph_is_compared_with_the_model_in_eval_mode() -> None:
    """s32 utopt's trial: onnx-fp32 and onnx-int8 were not applicable to a BertForSequenceClassification built from a
    config.json ('the graph disagrees with the model on training batch 1 (max |diff| 0.00929 ...)'): the TorchScript
    exporter puts the exported module back in the mode it found it in, and the wrapper exported (a new nn.Module,
    in training mode) put the model in training mode with it, so check_trace compared the eval-mode graph with the
    model's dropout. Stated tolerance: the check's own, TRACE_TOLERANCE of the largest |output|; the graph must
    agree and the model must still be in eval mode after the export."""
    b = _bundle(_AlwaysTrueDropout())
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    said = [n for n in v.notes if "traced a Tensor into a Python value" in n]
    assert said and "agrees with the model" in said[0], v.notes
    assert not b.model.training  # the bundle's own model is untouched (the technique exports a copy)


class _ContainsCheck(_AlwaysTrue):
    """Branches on `value in tensor` (Tensor.__contains__, inside torch: the TracerWarning is raised in torch's
    _tensor.py), as transformers' padding check does; taken the same way on every batch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        if 1e9 in x:  # never true here
            h = 2 * h
        return self.head(h)


def test_a_warning_raised_inside_torch_names_the_models_line() -> None:
    """s32 utopt's trial: a Hugging Face BERT's note named `_tensor.py:1274`, torch's own line, not the line that
    branched (transformers' modeling_utils.py `pad_token_id in input_ids`)."""
    v = get_technique("onnx-fp32").apply(_bundle(_ContainsCheck()), CPU, {})
    said = [n for n in v.notes if "traced a Tensor into a Python value" in n]
    line = inspect.getsourcelines(_ContainsCheck.forward)[1] + 2  # its `if 1e9 in x:`
    assert said and f"test_optimize_onnx_traced_branch.py:{line}: Converting a tensor" in said[0], said
    assert "_tensor.py" not in said[0]


class _Lstm(nn.Module):
    """An nn.LSTM over (B, T, 4): torch's own LSTM forward warns (a Tensor to a Python boolean) during the trace."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.head = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.lstm(x.unsqueeze(1))
        return self.head(h[:, -1])


def test_a_warning_from_inside_a_torch_layer_says_so() -> None:
    """ut4opt's trial: an LSTM LM's note pointed at the user's `self.lstm(...)` line as if it branched; the warning
    is raised inside torch's nn.LSTM, and the note now says so beside the line that called it."""
    v = get_technique("onnx-fp32").apply(_bundle(_Lstm()), CPU, {})
    said = [n for n in v.notes if "traced a Tensor into a Python value" in n]
    line = inspect.getsourcelines(_Lstm.forward)[1] + 1  # its `self.lstm(...)`
    assert said and (f"test_optimize_onnx_traced_branch.py:{line}, inside torch's nn.LSTM called there: Converting a "
                     "tensor to a Python boolean") in said[0], said
