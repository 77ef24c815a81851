"""`optimize MODEL --mode train` with the compile technique counts the activations of the compiled model with
SavedTensorMeter (saved_tensors_hooks). An op the compiled model runs eagerly (nn.LSTM, which TorchDynamo does not
trace) called the meter's pack hook while Dynamo's frame callback was active, so Dynamo compiled the hook itself once
per saved tensor's stride and printed torch's "hit config.recompile_limit (8) function '_pack'
(accelopt/measure/memory.py)" on stderr. The hooks now run outside Dynamo; the count is the same bytes."""

from __future__ import annotations

import logging

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.measure.memory import SavedTensorMeter  # noqa: E402


class _Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.head = nn.LSTM(4, 8, num_layers=2, batch_first=True), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x)[0][:, -1])  # (B, 3)


def _saved_bytes(model: nn.Module, exclude: nn.Module, x: torch.Tensor) -> float:
    meter = SavedTensorMeter(exclude=exclude.parameters())
    with meter.track():
        model(x).sum().backward()
    return meter.saved_bytes


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_counting_a_compiled_models_activations_compiles_no_hook() -> None:
    # torch's own handler writes to the sys.stderr of torch's import (pytest's capture then): read the logger
    records, dynamo_log = _Records(), logging.getLogger("torch._dynamo")
    torch.manual_seed(0)
    torch._dynamo.reset()
    model, x = _Tagger(), torch.randn(2, 5, 4)  # (B, T, features)
    compiled = torch.compile(model, backend="eager")  # Dynamo alone: the hook was compiled whatever the backend
    for _ in range(2):  # compilation, as optimize's warm-up does
        compiled(x).sum().backward()
    dynamo_log.addHandler(records)
    try:
        counted = _saved_bytes(compiled, model, x)
    finally:
        dynamo_log.removeHandler(records)
    assert not [line for line in records.lines if "recompile_limit" in line or "_pack" in line], records.lines
    # the same bytes as the eager model's: 2 LSTM layers' saved inputs, gates and states + the head's input
    assert counted == _saved_bytes(model, model, x) > 0
