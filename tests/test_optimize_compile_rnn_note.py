"""compile on a model with recurrent layers: TorchDynamo does not trace nn.LSTM/GRU/RNN (torch._dynamo.config.allow_rnn
is False), and an LSTM language model's forward, which starts with the LSTM, was not compiled at all (0 graphs
captured; `compile-max-autotune` then 'took 0.0 s' to compile). The variants were timed and listed as compiled
without a word; their notes now say the recurrent layers run eagerly."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.compiling import cxx_compiler  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu", budget_s=60)


class _Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.head = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(x)[0][:, -1])  # (B, 3)


def _bundle(model: nn.Module, x: torch.Tensor) -> ModelBundle:
    data = [(x, torch.zeros(x.shape[0], dtype=torch.long))]
    return ModelBundle(name="m", model=model.eval(), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=x.shape[0])


def test_recurrent_layers_are_said_to_run_eagerly() -> None:
    torch.manual_seed(0)
    v = get_technique("compile").apply(_bundle(_Tagger(), torch.randn(2, 5, 4)), CPU, {})
    (note,) = [n for n in v.notes if "not compiled" in n]
    assert note.startswith("the model's LSTM layers are not compiled: TorchDynamo does not trace recurrent modules")
    assert "allow_rnn" in note


@pytest.mark.skipif(cxx_compiler() is None, reason="torch.compile on CPU needs a C++ compiler")
def test_a_model_without_recurrent_layers_gets_no_such_note() -> None:
    torch.manual_seed(0)
    v = get_technique("compile").apply(_bundle(nn.Sequential(nn.Linear(4, 3)), torch.randn(2, 4)), CPU, {})
    assert not any("not compiled" in n for n in v.notes), v.notes
