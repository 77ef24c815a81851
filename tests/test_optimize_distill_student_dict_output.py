"""distill's check of meta['student'] compares the scores of a dict output, not its missing .shape (utopt3,
2026-12-05).

`optimize m.py:badstudent --only distill`, a teacher returning {"score": (32, 5), "aux": (32, 1)} and a student
nn.Linear(32, 7), said "the student returns shape (32, 7) on the first batch, the teacher ()": a dict has no .shape.
A student returning the same dict with 7 scores passed the check ((), ()) and failed inside the KD loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from accelopt.errors import InputError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu")


class _Dict(nn.Module):
    """(B, 32) -> {"score": (B, classes), "aux": (B, 1)}."""

    def __init__(self, classes: int = 5, hidden: int = 64) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(32, hidden), nn.Linear(hidden, classes), nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = torch.relu(self.a(x))
        return {"score": self.b(h), "aux": self.c(h)}


def _bundle(student: Callable[[], nn.Module]) -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(8, 32, generator=g), torch.randint(0, 5, (8,), generator=g)) for _ in range(2)]
    return ModelBundle(name="dictout", model=_Dict(), batches=lambda: iter(data), eval_batches=lambda: iter(data),
                       batch_size=8, loss_fn=lambda o, t: nn.functional.cross_entropy(o["score"], t),
                       metric="accuracy", meta={"student": student})


def _apply(student: Callable[[], Any]) -> Any:
    return get_technique("distill").apply(_bundle(student), CPU, {"steps": 2})


def test_a_tensor_student_of_a_dict_teacher_names_the_teachers_scores() -> None:
    with pytest.raises(InputError) as e:
        _apply(lambda: nn.Linear(32, 7))
    assert "the teacher a dict of 'score', 'aux', scores (8, 5)" in e.value.problem, e.value.problem
    assert "teacher ()" not in e.value.problem


def test_a_dict_student_with_other_scores_is_refused_before_the_kd_loss() -> None:
    with pytest.raises(InputError, match=r"returns a dict of 'score', 'aux', scores \(8, 7\).*scores \(8, 5\)"):
        _apply(lambda: _Dict(classes=7, hidden=16))


def test_a_dict_student_of_the_teachers_form_distils() -> None:
    v = _apply(lambda: _Dict(hidden=16))
    assert v.model is not None
