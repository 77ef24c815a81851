"""compile on a model whose forward breaks TorchDynamo's graph (utopt4's trial, 2026-12-05): a forward branching on
`if h.mean() > 0.2` and looping `int(h.abs().sum().item()) % 3` times was captured as 3 graphs and ran 0.63x; only
Dynamo's own log lines on stderr said why, never the variant's notes, --json or the page. The notes now give the
graphs captured over the first calls and Dynamo's reason for each break, counted from torch._dynamo's counters."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.compiling import cxx_compiler, graph_break_note  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu", budget_s=60)


class _Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.head = nn.Linear(4, 8), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a(x)
        if h.mean() > 0:  # data-dependent: Dynamo breaks the graph here
            h = 2 * h
        return self.head(h)


def _bundle(model: nn.Module) -> ModelBundle:
    x = torch.randn(2, 4)
    data = [(x, torch.zeros(2, dtype=torch.long))]
    return ModelBundle(name="m", model=model.eval(), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=2)


def test_the_counters_change_gives_the_graphs_and_reasons() -> None:
    before = {"stats": {"unique_graphs": 4}, "graph_break": {"old reason": 1}}
    after = {"stats": {"unique_graphs": 7},
             "graph_break": {"old reason": 1, "Unsupported Tensor.item() call\n  more": 1},
             "unimplemented": {"Data-dependent branching\n  Explanation: ...": 2}}
    note = graph_break_note(before, after)
    assert note is not None and note.startswith("GRAPH BREAKS: TorchDynamo captured 3 graphs over the first two calls, "
                                                "breaking at: Unsupported Tensor.item() call; Data-dependent branching "
                                                "(x2)"), note
    assert "old reason" not in note
    assert graph_break_note(before, {"stats": {"unique_graphs": 6}, "graph_break": {"old reason": 1}}) is None


@pytest.mark.skipif(cxx_compiler() is None, reason="torch.compile on CPU needs a C++ compiler")
def test_a_data_dependent_branch_is_said_in_the_notes() -> None:
    torch.manual_seed(0)
    v = get_technique("compile").apply(_bundle(_Branchy()), CPU, {})
    (note,) = [n for n in v.notes if n.startswith("GRAPH BREAKS")]
    assert "Data-dependent branching" in note, note


@pytest.mark.skipif(cxx_compiler() is None, reason="torch.compile on CPU needs a C++ compiler")
def test_a_model_without_breaks_gets_no_such_note() -> None:
    torch.manual_seed(0)
    v = get_technique("compile").apply(_bundle(nn.Sequential(nn.Linear(4, 3))), CPU, {})
    assert not any("GRAPH BREAKS" in n for n in v.notes), v.notes
