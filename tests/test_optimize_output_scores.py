"""Which part of a model's output optimize scores: a callable metric gets the model's output as it returned it (as
loss_fn does), and a dict output is scored by its "logits" key wherever that key stands; a dict without one says
which of its Tensors was taken as the scores."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, Variant  # noqa: E402
from accelopt.optimize.compress import evaluate, first_tensor  # noqa: E402
from accelopt.optimize.runner import RunOptions, _Run, _score  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CLASSES = 3


class _TwoHeads(nn.Module):
    """(B, 6) -> a (B, 16) embedding and (B, 3) class scores, returned as `shape` says: a (logits, aux) tuple, or a
    dict whose first key is the embedding."""

    def __init__(self, shape: str) -> None:
        super().__init__()
        self.body = nn.Linear(6, 16)
        self.head = nn.Linear(16, CLASSES)
        self.shape = shape

    def forward(self, x: torch.Tensor) -> Any:
        e = torch.relu(self.body(x))  # (B, 16)
        logits = self.head(e)  # (B, 3)
        if self.shape == "tuple":
            return logits, e.norm(dim=-1)
        if self.shape == "aux-first":
            return e.norm(dim=-1), logits
        if self.shape == "dict-logits-last":
            return {"embedding": e, "logits": logits}
        return {"hidden": e, "pred": logits}  # no key says which is the scores


def _held() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(b, 6, generator=g), torch.randint(0, CLASSES, (b,), generator=g)) for b in (8, 5)]


def _bundle(shape: str, metric: Any = "accuracy", **kw: Any) -> ModelBundle:
    torch.manual_seed(0)
    held = _held()

    def loss(out: Any, y: torch.Tensor) -> torch.Tensor:
        logits = out[0] if isinstance(out, tuple) else out.get("logits", out.get("pred"))
        return F.cross_entropy(logits, y)

    return ModelBundle(name=f"two-heads-{shape}", model=_TwoHeads(shape).eval(), batches=lambda: iter(held),
                       loss_fn=loss, batch_size=8, eval_batches=lambda: iter(held), metric=metric, **kw)


def _accuracy_by_hand(model: nn.Module, pick: Any) -> float:
    hits = n = 0
    with torch.no_grad():
        for x, y in _held():
            hits += int((pick(model(x)).argmax(-1) == y).sum())
            n += len(y)
    return hits / n


def _runner_value(b: ModelBundle) -> float | None:
    v = Variant(technique="baseline", model=b.model, forward=b.model)
    return _score(v, b, Target(mode="inference", device="cpu"), keep_outputs=False).value


def test_a_callable_metric_gets_the_models_own_output() -> None:
    """A callable metric was handed the output's first Tensor, not the model's output: metric(out, y) reading out[0]
    of a (logits, aux) tuple took the first row of the logits, and optimize printed 0.2109 for a classifier whose
    held-out accuracy is 1.0, for every variant alike."""
    b = _bundle("tuple", metric=lambda out, y: float((out[0].argmax(-1) == y).float().mean()),
                higher_is_better=True)
    expected = _accuracy_by_hand(b.model, lambda out: out[0])
    rows_first_row = _accuracy_by_hand(b.model, lambda out: out[0][0].expand(len(out[0]), -1))
    assert expected != pytest.approx(rows_first_row)  # the two readings differ on these batches
    assert _runner_value(b) == pytest.approx(expected)
    assert evaluate(b.model, b, "cpu") == pytest.approx(expected)


def test_a_callable_metric_reading_a_dict_key() -> None:
    """metric(out, y) reading out["pred"] raised 'too many indices' on the Tensor it was handed, reported as the
    model's error scoring the baseline."""
    b = _bundle("dict", metric=lambda out, y: float((out["pred"].argmax(-1) == y).float().mean()),
                higher_is_better=True)
    expected = _accuracy_by_hand(b.model, lambda out: out["pred"])
    assert _runner_value(b) == pytest.approx(expected)
    assert evaluate(b.model, b, "cpu") == pytest.approx(expected)


def test_a_dict_output_is_scored_by_its_logits_key() -> None:
    """{"embedding": e, "logits": l}: accuracy was the argmax of the embedding (16 columns) against 3 classes, and
    prune-structured kept the wrong layer whole; the "logits" key is the scores wherever it stands."""
    b = _bundle("dict-logits-last")
    expected = _accuracy_by_hand(b.model, lambda out: out["logits"])
    assert expected != pytest.approx(_accuracy_by_hand(b.model, lambda out: out["embedding"]))
    assert _runner_value(b) == pytest.approx(expected)
    assert evaluate(b.model, b, "cpu") == pytest.approx(expected)
    out = b.model(torch.randn(2, 6))
    assert first_tensor(out) is out["logits"]


def test_a_dict_output_without_logits_names_what_was_scored() -> None:
    """A dict {"hidden": h, "pred": p} was scored on h, its first value, without a word; the baseline's notes now
    name the Tensor taken as the scores and the fix. A dict with a "logits" key, or a tuple, gets no such note."""
    run = _Run(_bundle("dict"), RunOptions(profile_bounds=False))
    run.quality(run.baseline(), True)
    note = [n for n in run.result.notes if "none is 'logits'" in n]
    assert len(note) == 1 and "output['hidden']" in note[0] and "'pred'" in note[0], run.result.notes
    for shape in ("dict-logits-last", "tuple"):
        run = _Run(_bundle(shape), RunOptions(profile_bounds=False))
        run.quality(run.baseline(), True)
        assert not any("none is 'logits'" in n for n in run.result.notes), run.result.notes


def test_prune_structured_keeps_the_logits_layer_of_a_dict_output() -> None:
    """prune-structured kept whole the layer as wide as the dict's first value (the embedding's 16), so it pruned the
    3-class head, and its fine-tune failed with 'Target 2 is out of bounds'."""
    pytest.importorskip("torch_pruning")
    from accelopt.optimize.pruning import _never_pruned, _output_shape

    b = _bundle("dict-logits-last")
    shape = _output_shape(b.model, (torch.randn(2, 6),))
    assert shape == (CLASSES,)
    assert b.model.head in _never_pruned(b.model, shape)


def test_scores_of_the_wrong_shape_are_named_where_they_were_taken() -> None:
    """A model returning (aux, logits) was refused with 'takes the argmax of the output's last dimension, but the
    output has shape (8,)', while its output holds (8, 3) logits: the message now names the tuple's first item, and
    the fix says the scores go first."""
    from accelopt.errors import InputError

    run = _Run(_bundle("aux-first"), RunOptions(profile_bounds=False))
    with pytest.raises(InputError, match=r"of the output's first item \(of the tuple it returns\), which has shape "
                                         r"\(8,\)") as e:
        run.quality(run.baseline(), True)
    assert "a tuple's scores first" in (e.value.fix or "")


_DICT_MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(32, 64)
        self.b = nn.Linear(64, 5)

    def forward(self, x):
        h = torch.relu(self.a(x))
        return {"hidden": h, "scores": self.b(h)}


def _data(seed):
    def it():
        g = torch.Generator().manual_seed(seed)
        for _ in range(4):
            x = torch.randn(16, 32, generator=g)
            yield x, x[:, :5].argmax(1)
    return it


def build(batch_size: int = 16):
    torch.manual_seed(0)
    return ModelBundle(name="dictnet", model=Net(), batches=_data(1), batch_size=batch_size,
                       loss_fn=lambda o, y: nn.functional.cross_entropy(o["scores"], y), eval_batches=_data(2),
                       metric=lambda o, y: float((o["scores"].argmax(-1) == y).float().mean()), higher_is_better=True)
'''


def test_a_failed_prune_of_a_dict_output_points_at_the_scores_taken(tmp_path: Any,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A dict {"hidden", "scores"} without 'logits': prune-structured kept the 64-wide 'hidden' layer whole and
    pruned the 5-class head, and failed with the bare 'IndexError: Target 4 is out of bounds.'; the reason then said
    which value was taken as the scores and the fix (the same as the run's note). Every output Tensor's layer is now
    kept whole (ut4opt: a (logits, boxes) model's box head was pruned), the 5-class head included, so nothing is left
    to prune and nothing fails: not applicable, saying so; the run's note still names the scores taken."""
    pytest.importorskip("torch_pruning")
    import json

    from conftest import run_main

    path = tmp_path / "dictnet.py"
    path.write_text(_DICT_MODEL, encoding="utf-8")
    code, out, err = run_main(["optimize", f"{path}:build", "--only", "prune-structured", "--rounds", "3",
                               "--no-profile-bounds", "--combinations", "0", "--threads", "1", "--json"], capsys)
    assert code == 0, err
    (pruned,) = [v for v in json.loads(out)["variants"] if v["name"] == "prune-structured"]
    assert pruned["status"] == "not-applicable", pruned
    assert "nothing in dictnet could be pruned structurally (every group is an output layer" in pruned["reason"]
    assert any("its first value, output['hidden'], is taken as the scores" in n for n in json.loads(out)["notes"]), out
