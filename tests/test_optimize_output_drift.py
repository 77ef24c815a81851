"""optimize's drift per output. max |diff| and top-1 agreement were the first output's (the scores') alone: a
detection head whose boxes a variant moved, a dict's second task head, an LSTM language model's state, read 0 and
100%. Each Tensor of the output now has its own figures (name, shape, max |diff|, relative error, top-1 agreement
where it is class scores, the fraction of equal elements of an integer or boolean output), the worst one in the
table's cell, and a --quality-tolerance the user gives bounds each output. Models built here, no downloads."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize import base  # noqa: E402
from accelopt.optimize.base import Target, Technique, Variant  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class Detector(nn.Module):
    """(B, 6) -> ((B, 5, 3) class logits of 5 anchors, (B, 5, 4) boxes): a detection head."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(6, 16)
        self.cls = nn.Linear(16, 15)
        self.box = nn.Linear(16, 20)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.body(x))
        return self.cls(h).view(-1, 5, 3), self.box(h).view(-1, 5, 4)


class MultiTask(nn.Module):
    """(B, 6) -> {"logits": (B, 3), "age": (B,), "mood_logits": (B, 4)}: a dict of task heads."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(6, 16)
        self.a, self.b, self.c = nn.Linear(16, 3), nn.Linear(16, 1), nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = torch.relu(self.body(x))
        return {"logits": self.a(h), "age": self.b(h).squeeze(-1), "mood_logits": self.c(h)}


class Discrete(nn.Module):
    """(B, 6) -> ((B, 3) logits, (B,) int64 class ids, (B, 3) boolean mask): outputs with no |diff|."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        logits = self.a(x)
        return logits, logits.argmax(-1), logits > 0


class WithConstant(nn.Module):
    """(B, 6) -> ((B, 3) logits, (B, 2) zeros): one output a constant, whose relative error is 0/0."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.a(x), torch.zeros(x.shape[0], 2)


class LSTMLM(nn.Module):
    """(B, T) token ids -> ((B, T, 11) logits, (h, c)), as an LSTM language model returns its state."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(11, 8)
        self.lstm = nn.LSTM(8, 8, batch_first=True)
        self.head = nn.Linear(8, 11)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        y, state = self.lstm(self.emb(x))
        return self.head(y), state


def _changed(out: Any, how: str) -> Any:
    """The model's output with one Tensor changed as a lossy variant might: `how` names which."""
    if how == "boxes":
        return out[0], out[1] * 1.1
    if how == "mood":
        return {**out, "mood_logits": -out["mood_logits"]}
    if how == "ids":
        return out[0], (out[1] + 1) % 3, ~out[2]
    if how == "constant":
        return out[0], out[1] + 0.5
    if how == "scores only":  # as an onnx-* export of an output torch's pytree cannot flatten returns
        return out[0]
    if how == "state":
        return out[0], (out[1][0] + 0.25, out[1][1])
    return out


class _Changes(Technique):
    name = "test-drift-change"
    family = "test"
    modes = ("inference",)
    changes = risks = "test"
    how = ""

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        model = bundle.model
        return Variant(technique=self.name, model=model, forward=lambda *x: _changed(model(*x), _Changes.how))


class _Same(_Changes):
    name = "test-drift-same"

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        return Variant(technique=self.name, model=bundle.model, forward=bundle.model)


@pytest.fixture
def fakes() -> Any:
    for cls in (_Changes, _Same):
        base.register(cls)
    yield
    for cls in (_Changes, _Same):
        base._REGISTRY.pop(cls.name, None)


def _bundle(model: nn.Module, tokens: bool = False, held_out: bool = False) -> ModelBundle:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = [torch.randint(0, 11, (4, 7), generator=g) if tokens else torch.randn(8, 6, generator=g) for _ in range(2)]
    data = [(xi, torch.randint(0, 3, (xi.shape[0],), generator=g)) for xi in x]

    def loss(out: Any, y: Any) -> Any:
        scores = out["logits"] if isinstance(out, dict) else out[0]
        return nn.functional.cross_entropy(scores.reshape(y.shape[0], -1)[:, :3], y)

    return ModelBundle(name=type(model).__name__, model=model.eval(), batches=lambda: iter(data), loss_fn=loss,
                       batch_size=data[0][0].shape[0], eval_batches=(lambda: iter(data)) if held_out else None)


def _run(model: nn.Module, how: str, tolerance: float | None = None, **kw: Any) -> Any:
    _Changes.how = how
    result, _ = run_optimize(_bundle(model, **kw), RunOptions(only=[_Changes.name, _Same.name], rounds=3,
                                                              block_s=0.002, profile_bounds=False, combinations=0,
                                                              quality_tolerance=tolerance, progress=lambda m: None))
    return result


def _outputs(result: Any, name: str = _Changes.name) -> dict[str, Any]:
    v = result.get(name)
    assert v is not None and v.quality is not None, result.variants
    return {d.name: d for d in v.quality.outputs}


def test_a_detectors_moved_boxes_are_seen_and_are_the_worst(fakes: Any) -> None:
    result = _run(Detector(), "boxes")
    outs = _outputs(result)
    assert list(outs) == ["output item 0", "output item 1"]
    scores, boxes = outs["output item 0"], outs["output item 1"]
    assert scores.scores and scores.max_abs_diff == 0.0 and scores.top1_agreement == 1.0
    assert scores.shape == [8, 5, 3] and boxes.shape == [8, 5, 4] and boxes.dtype == "float32"
    assert boxes.max_abs_diff is not None and boxes.max_abs_diff > 0
    assert boxes.relative_error == pytest.approx(0.1, rel=1e-4)  # every box scaled by 1.1: |0.1 b| / |b| at the max
    assert boxes.top1_agreement is None  # boxes are not class scores: an argmax over x, y, w, h means nothing
    v = result.get(_Changes.name)
    assert v.quality.worst_output is boxes
    assert v.quality.max_abs_diff == 0.0  # the scores', as before (schema 1-6 readers)
    assert v.quality.within_tolerance is None and all(d.within_tolerance is None for d in outs.values())


def test_a_tolerance_the_user_gives_bounds_each_output(fakes: Any) -> None:
    """--quality-tolerance 5 (percent: no held-out metric here): boxes 10% off are out of it; the variant that keeps
    every output is within it."""
    result = _run(Detector(), "boxes", tolerance=5.0)
    assert result.output_tolerance
    outs = _outputs(result)
    assert outs["output item 0"].within_tolerance is True and outs["output item 1"].within_tolerance is False
    v = result.get(_Changes.name)
    assert v.quality.within_tolerance is False
    assert any("OUTPUT OUT OF TOLERANCE: output item 1 (8, 5, 4)" in n
               and "--quality-tolerance 5%: relative error 10%" in n for n in v.notes), v.notes
    assert result.get(_Same.name).quality.within_tolerance is not False
    assert result.recommendation is not None and result.recommendation.name != _Changes.name
    wider = _run(Detector(), "boxes", tolerance=20.0)
    assert _outputs(wider)["output item 1"].within_tolerance is True


def test_a_dicts_second_task_head_is_compared_and_its_logits_get_top1(fakes: Any) -> None:
    outs = _outputs(_run(MultiTask(), "mood"))
    assert list(outs) == ["output 'logits'", "output 'age'", "output 'mood_logits'"]
    assert outs["output 'logits'"].scores and outs["output 'logits'"].top1_agreement == 1.0
    assert outs["output 'age'"].top1_agreement is None and outs["output 'age'"].max_abs_diff == 0.0
    mood = outs["output 'mood_logits'"]
    assert mood.top1_agreement is not None and mood.top1_agreement < 0.5  # negated scores: argmax now the argmin
    assert mood.relative_error == pytest.approx(2.0)


def test_integer_and_boolean_outputs_have_no_diff_and_say_so(fakes: Any) -> None:
    outs = _outputs(_run(Discrete(), "ids"))
    ids, mask = outs["output item 1"], outs["output item 2"]
    assert ids.dtype == "int64" and mask.dtype == "bool"
    for d in (ids, mask):
        assert d.max_abs_diff is None and d.relative_error is None and d.top1_agreement is None
        assert "no |diff| is defined" in d.note
    assert ids.equal_fraction == 0.0 and mask.equal_fraction == 0.0  # every id moved, every flag flipped
    same = _outputs(_run(Discrete(), "ids"), _Same.name)
    assert same["output item 1"].equal_fraction == 1.0


def test_integer_scores_have_no_diff_nor_a_top1_over_the_batch(fakes: Any) -> None:
    """A model returning class ids (B,) as its only output: its |diff| was taken between ids (cast to float) and its
    'top-1 agreement' was an argmax over the batch's samples."""

    class Ids(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(6, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.a(x).argmax(-1)

    _Changes.how = ""
    result = _run(Ids(), "")
    q = result.get(_Same.name).quality
    assert q.max_abs_diff is None and q.top1_agreement is None
    assert [(d.name, d.dtype, d.equal_fraction) for d in q.outputs] == [("output", "int64", 1.0)]


def test_a_regression_output_gets_no_top1_over_its_samples(fakes: Any) -> None:
    class Reg(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(6, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.a(x).squeeze(-1)  # (B,)

    q = _run(Reg(), "").get(_Same.name).quality
    assert q.max_abs_diff == 0.0 and q.top1_agreement is None


def test_a_constant_output_has_a_relative_error_of_0_or_none_with_a_reason(fakes: Any) -> None:
    same = _outputs(_run(WithConstant(), "constant"), _Same.name)["output item 1"]
    assert same.max_abs_diff == 0.0 and same.relative_error == 0.0 and same.note == ""  # 0/0, unchanged: no drift
    moved_run = _run(WithConstant(), "constant", tolerance=1e6)
    moved = _outputs(moved_run)["output item 1"]
    assert moved.max_abs_diff == pytest.approx(0.5) and moved.relative_error is None
    assert "all zeros" in moved.note
    assert moved.within_tolerance is False  # no scale: infinitely far in percent, past any tolerance
    assert moved_run.get(_Changes.name).quality.worst_output is moved


def test_an_lstm_lms_state_is_compared_by_its_nested_name(fakes: Any) -> None:
    outs = _outputs(_run(LSTMLM(), "state", tokens=True))
    assert list(outs) == ["output item 0", "output item 1.0", "output item 1.1"]
    assert outs["output item 0"].top1_agreement == 1.0 and outs["output item 0"].shape == [4, 7, 11]
    h = outs["output item 1.0"]
    assert h.max_abs_diff == pytest.approx(0.25) and h.top1_agreement is None and h.shape == [1, 4, 8]
    assert outs["output item 1.1"].max_abs_diff == 0.0


def test_held_out_scoring_compares_every_output_too(fakes: Any) -> None:
    outs = _outputs(_run(Detector(), "boxes", held_out=True))
    assert outs["output item 1"].relative_error == pytest.approx(0.1, rel=1e-4)


def test_console_json_and_page_show_each_output(fakes: Any, tmp_path: Any) -> None:
    from accelopt.report import html as page
    from accelopt.report.jsonout import to_jsonable
    from accelopt.report.optimize_view import render

    result = _run(MultiTask(), "mood", tolerance=1.0)
    from rich.console import Console

    console = Console(width=250, record=True)
    render(result, console)
    text = console.export_text()
    assert "output 'mood_logits': 1.3 (200.0% rel.), top-1 0%, worst of 3" in text
    assert "Quality tolerance: not applied" not in text and "applied to each output's drift alone" in text
    assert "each output against the baseline's" in text and "OUT" in text
    assert "0 in all 3 outputs, top-1 100.0%" in text  # the baseline's row, and test-drift-same's
    doc = json.loads(json.dumps(to_jsonable(result)))
    drift = doc["variants"][1]["quality"]["outputs"] if doc["variants"][1]["name"] == _Changes.name else \
        next(v for v in doc["variants"] if v["name"] == _Changes.name)["quality"]["outputs"]
    assert [d["name"] for d in drift] == ["output 'logits'", "output 'age'", "output 'mood_logits'"]
    assert doc["output_tolerance"] is True
    tables = page._optimize_tables(result)
    titles = [t.title for t in tables]
    assert "each output against the baseline's" in titles
    main = tables[0]
    row = next(r for r in main.rows if r[0] == _Changes.name)
    assert any("output 'mood_logits'" in c and "worst of 3" in c for c in row), row


def test_a_version_7_document_loads_back_with_its_outputs(fakes: Any) -> None:
    """history show --html rebuilds the typed result from the stored JSON: the outputs come back as OutputDrift."""
    from accelopt.optimize.results import OutputDrift
    from accelopt.report.schema import dump, load

    result = _run(Discrete(), "ids", tolerance=1.0)
    back = load("optimize", json.loads(json.dumps(dump("optimize", result))))
    outs = back.get(_Changes.name).quality.outputs
    assert all(isinstance(d, OutputDrift) for d in outs) and [d.dtype for d in outs] == ["float32", "int64", "bool"]
    assert back.output_tolerance and outs[1].within_tolerance is False and outs[1].equal_fraction == 0.0


def test_an_output_the_variant_dropped_is_not_compared_and_beyond_a_given_tolerance(fakes: Any) -> None:
    outs = _outputs(_run(Detector(), "scores only"))
    assert list(outs) == ["output item 0", "output item 1"]  # named as the baseline's, where they sit in its output
    assert outs["output item 1"].max_abs_diff is None and "no such Tensor: not compared" in outs["output item 1"].note
    judged = _run(Detector(), "scores only", tolerance=1e6)
    assert _outputs(judged)["output item 1"].within_tolerance is False
    assert judged.get(_Changes.name).quality.within_tolerance is False


def test_the_other_outputs_are_kept_for_the_first_batches_and_cut() -> None:
    """Held out, the scores of every batch are kept as before; the other outputs (a model's per-layer hidden states)
    only on the first AGREEMENT_BATCHES batches, each cut to OTHER_OUTPUT_MAX_ELEMENTS: kept for every held-out
    batch, an LM's hidden states would have filled the memory."""
    from accelopt.optimize import runner

    class Wide(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(6, 3)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.a(x), x.new_ones(x.shape[0], 400, 4000)  # (8, 400, 4000): 12.8M elements a batch

    model = Wide()
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(8, 6, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(5)]
    b = ModelBundle(name="wide", model=model, batches=lambda: iter(data), batch_size=8,
                    loss_fn=lambda out, y: nn.functional.cross_entropy(out[0], y), eval_batches=lambda: iter(data))
    scored = runner._score(Variant(technique="baseline", model=model, forward=model), b,
                           Target(mode="inference", device="cpu"), keep_outputs=True, strict=True)
    assert len(scored.outputs) == 5 and len(scored.kept) == runner.AGREEMENT_BATCHES
    assert all(t.numel() <= runner.OTHER_OUTPUT_MAX_ELEMENTS for k in scored.kept for _, t in k)
    assert scored.shapes["output item 1"] == [8, 400, 4000]  # the real shape, not the cut one


def test_a_metric_inside_the_tolerance_with_an_output_beyond_it_says_which(fakes: Any) -> None:
    """The quality cell read '0.9 (+0.00%) OUT': the metric was inside the tolerance, one output beyond it."""
    from accelopt.report.optimize_view import quality_text

    result = _run(Detector(), "boxes", tolerance=5.0, held_out=True)
    v = result.get(_Changes.name)
    assert v.quality.worse_by == 0.0  # the scores, and so the loss, are the baseline's
    assert quality_text(v, result).endswith("(+0.00%) OUT (an output's drift: see the outputs' table)")


def test_a_recipes_tolerance_bounds_each_output_as_a_typed_one_does(fakes: Any) -> None:
    """fix5a: `--apply` of a recipe chosen under a 5% tolerance judged the metric by it and left the outputs' drift
    unjudged (output_tolerance false): boxes 10% off passed. A recipe's tolerance in another unit is not used (the
    default is), so it bounds nothing."""
    _Changes.how = "boxes"
    opts = RunOptions(only=[_Changes.name, _Same.name], rounds=3, block_s=0.002, profile_bounds=False,
                      combinations=0, recipe_tolerance=(5.0, "percent"), progress=lambda m: None)
    result, _ = run_optimize(_bundle(Detector()), opts)
    assert result.output_tolerance and result.quality_tolerance == 5.0
    assert _outputs(result)["output item 1"].within_tolerance is False
    v = result.get(_Changes.name)
    assert v.quality.within_tolerance is False
    assert any("drifts beyond the recipe's quality tolerance 5%: relative error 10%" in n for n in v.notes), v.notes
    other, _ = run_optimize(_bundle(Detector()), replace(opts, recipe_tolerance=(5.0, "points")))
    assert not other.output_tolerance and _outputs(other)["output item 1"].within_tolerance is None
