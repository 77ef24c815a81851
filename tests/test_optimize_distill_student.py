"""distill with the user's own student (ModelBundle.meta['student']) on an LSTM classifier:
- the student module itself given instead of a factory was called with no input ("TypeError: Linear.forward()
  missing 1 required positional argument"), and a student with another output shape failed inside the KD loss
  ("shape '[-1, 7]' is invalid for input of size 40"): both now a clear error naming meta['student'] and the fix;
- the note printed "forward FLOPs 7,680 vs 2,560" for a student vs an LSTM teacher: FlopCounterMode counts
  nothing for the LSTM (one fused op), so the teacher read as 3x cheaper. The note now says what was not
  counted."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.errors import InputError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu")


class _Lstm(nn.Module):
    """ids (B, 12) -> (B, 5)."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.rnn = nn.LSTM(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(ids))  # (B, 12, 32)
        return self.fc(out[:, -1])


def _bundle(student: Any) -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (8, 12)), torch.randint(0, 5, (8,))) for _ in range(2)]
    return ModelBundle(name="lstm", model=_Lstm().eval(), batches=lambda: iter(data), batch_size=8,
                       eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy",
                       meta={"student": student})


def _small(classes: int = 5) -> nn.Module:
    return nn.Sequential(nn.Embedding(50, 8), nn.Flatten(), nn.Linear(8 * 12, classes))


def test_a_student_module_instead_of_a_factory_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"meta\['student'\] is the module itself") as e:
        get_technique("distill").apply(_bundle(_small()), CPU, {"steps": 2})
    assert "lambda" in e.value.fix


def test_a_student_of_another_output_shape_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"\(8, 7\).*\(8, 5\)"):
        get_technique("distill").apply(_bundle(lambda: _small(7)), CPU, {"steps": 2})


def _raises() -> nn.Module:
    raise RuntimeError("no student here")


def test_a_student_factory_or_forward_that_raises_names_meta_student() -> None:
    """A meta['student'] factory that raised (or a student whose forward did) read 'failed: RuntimeError: no
    student here', the runner's wording for a bug in a technique; it is the user's code, named as such."""
    from accelopt.workload.usercode import ModelCodeError

    with pytest.raises(ModelCodeError, match=r"model 'lstm' raised RuntimeError in ModelBundle\.meta\['student'\]\(\)"
                                            r".*no student here"):
        get_technique("distill").apply(_bundle(_raises), CPU, {"steps": 2})
    with pytest.raises(ModelCodeError, match=r"in the forward of ModelBundle\.meta\['student'\]\(\)'s model"):
        get_technique("distill").apply(_bundle(lambda: nn.Linear(3, 5)), CPU, {"steps": 2})  # ids (8, 12): no


def test_the_flops_note_says_the_lstm_was_not_counted() -> None:
    v = get_technique("distill").apply(_bundle(lambda: _small()), CPU, {"steps": 2})
    note = next(n for n in v.notes if "forward FLOPs" in n)
    assert "not counted: LSTM (teacher)" in note, note


def test_the_narrowed_student_trains_every_layer_the_teacher_froze() -> None:
    """A teacher with a frozen first layer (a pretrained backbone): the student, a re-initialized narrowed copy, kept
    that layer frozen at its random initialization through the whole distillation."""
    from accelopt.optimize.distillation import make_student

    torch.manual_seed(0)
    data = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(2)]
    teacher = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    teacher[0].requires_grad_(False)
    b = ModelBundle(name="frozen-backbone", model=teacher, batches=lambda: iter(data), batch_size=8,
                    loss_fn=nn.functional.cross_entropy)
    student, _ = make_student(b, Target(mode="inference", device="cpu"), 0.5, 0)
    assert all(p.requires_grad for p in student.parameters())
    assert not teacher[0].weight.requires_grad  # the user's model as it was


@pytest.mark.parametrize("student", ["module", "wrong-shape"])
def test_a_bad_student_stops_the_run_before_anything_is_measured(student: str) -> None:
    """A bad meta['student'] was found when distill's turn came: exit 2 after bf16, channels-last, compile... had
    been measured, their results lost. The run now checks it before measuring anything (nothing to lose)."""
    from accelopt.optimize import base
    from accelopt.optimize.base import Technique, Variant
    from accelopt.optimize.runner import RunOptions, run_optimize

    applied: list[str] = []

    class _Before(Technique):
        name = "a-test-before-distill"  # runs before distill (name order)
        family = "test"
        modes = ("train", "inference")
        changes = risks = "test"

        def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
            applied.append(self.name)
            return Variant(technique=self.name, model=bundle.model, forward=bundle.model)

    base.register(_Before)
    try:
        bad = _small() if student == "module" else (lambda: _small(7))
        opts = RunOptions(only=[_Before.name, "distill"], rounds=3, block_s=0.005, warmup=1, profile_bounds=False)
        with pytest.raises(InputError, match=r"meta\['student'\]"):
            run_optimize(_bundle(bad), opts)
        assert applied == []
    finally:
        base._REGISTRY.pop(_Before.name, None)


def test_a_good_student_passes_the_check_and_leaves_the_random_state() -> None:
    state = torch.random.get_rng_state()
    get_technique("distill").check_bundle(_bundle(lambda: _small()), CPU, {})
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("student", ["factory", "narrowed teacher"])
def test_distill_leaves_the_run_random_state_as_it_found_it(student: str) -> None:
    """review s31 rvlast: e2cce1b3 put every train_for run inside fork_rng, but make_student's
    torch.manual_seed(seed) (the factory's, and reinitialize's for a narrowed teacher) still moved the run's own
    random state: each technique measured after distill drew from seed `seed`, not from where the run stood."""
    bundle = _bundle(lambda: _small()) if student == "factory" else _bundle(None)
    if student != "factory":
        bundle.model = nn.Sequential(nn.Embedding(50, 16), nn.Flatten(), nn.Linear(16 * 12, 64), nn.ReLU(),
                                     nn.Linear(64, 5)).eval()
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    get_technique("distill").apply(bundle, CPU, {"steps": 2, "seed": 7})
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_student_factory_drawing_from_numpy_and_random_is_seeded_and_leaves_their_state() -> None:
    """fr3: make_student put torch's random state back (fork_rng) but not Python's `random` or numpy's, which
    compress.seeded (train_for, the quality steps) seeds and restores: a factory drawing its initial weights from
    numpy moved the run's numpy state and gave each run another student. make_student now uses seeded."""
    import random

    import numpy as np

    from accelopt.optimize.distillation import make_student

    def factory() -> nn.Module:
        m = _small()
        with torch.no_grad():
            m[0].weight.add_(torch.from_numpy(np.random.normal(size=tuple(m[0].weight.shape)).astype("float32")))
            m[2].bias.fill_(random.random())
        return m

    np.random.seed(5)
    random.seed(5)
    np_state, py_state = np.random.get_state(), random.getstate()
    first, _ = make_student(_bundle(factory), CPU, 1.0, 7)
    again, _ = make_student(_bundle(factory), CPU, 1.0, 7)
    assert np.array_equal(np.random.get_state()[1], np_state[1]) and random.getstate() == py_state
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values(), strict=True))
