"""Knowledge distillation: train a smaller student on the teacher's soft targets, and measure what the soft
targets themselves bought by training the same student on labels alone.

Loss (Hinton, Vinyals, Dean 2015, "Distilling the Knowledge in a Neural Network", arXiv:1503.02531, sec. 2):
    L = alpha * T^2 * KL(softmax(z_teacher / T) || softmax(z_student / T)) + (1 - alpha) * loss_fn(z_student, y)
T (temperature) softens both distributions; the T^2 factor keeps the soft term's gradients on the scale of the
hard term's as T changes (sec. 2). The hard term is the bundle's own loss_fn, so any model whose outputs are
logits over the last dimension (classifiers, language models) distils.

The student: `bundle.meta["student"]`, a zero-argument callable returning a fresh (untrained) nn.Module, when the
user gives one (the way to get a depth-reduced student); otherwise a width-reduced copy of the teacher derived
generically: torch-pruning removes (1 - width) of every prunable group's channels/neurons (see pruning.py), and
every parameter is re-initialized (reset_parameters), so the student learns from scratch.

Both students start from the same initial weights, see the same batches in the same order, for the same number
of steps, with the same optimizer (AdamW, option lr, default 1e-3); the distilled one is the Variant, the
label-only one's quality is in its notes and params.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from accelopt.errors import InputError, UnsupportedError
from accelopt.optimize.base import OptionSpec, Target, Technique, Variant, register
from accelopt.optimize.compress import (
    TrainRun,
    already_quantized,
    class_dim,
    copy_model,
    evaluate,
    first_tensor,
    forward_flops,
    model_variant,
    param_count,
    quality_text,
    seeded,
    train_for,
    train_step_for,
)
from accelopt.optimize.steps import mark_structural
from accelopt.workload.batch import to_device
from accelopt.workload.usercode import user_call
from accelopt.workload.userfile import ModelBundle

__all__ = ["DEFAULT_LR", "Distill", "DistillResult", "kd_loss", "make_student", "reinitialize"]

DEFAULT_LR = 1e-3
"""Students train from scratch: AdamW at Adam's default step size (Kingma & Ba 2015, "Adam", Algorithm 1)."""


def kd_loss(student_logits: Any, teacher_logits: Any, hard_loss: Any, temperature: float, alpha: float,
            class_dim: int = -1) -> Any:
    """Hinton et al. 2015, sec. 2: alpha * T^2 * KL(p_teacher^T || p_student^T) + (1 - alpha) * hard_loss.
    Logits (..., C): every other position (batch, sequence, pixel) is one distribution; KL averaged over them.
    `class_dim` 1: logits (N, C, d1, ...), a segmenter's (compress.class_dim), moved last first."""
    import torch.nn.functional as F

    if class_dim != -1:
        student_logits, teacher_logits = student_logits.movedim(class_dim, -1), teacher_logits.movedim(class_dim, -1)
    c = student_logits.shape[-1]
    s = F.log_softmax(student_logits.reshape(-1, c).float() / temperature, dim=-1)
    t = F.log_softmax(teacher_logits.reshape(-1, c).float() / temperature, dim=-1)
    soft = F.kl_div(s, t, log_target=True, reduction="batchmean") * temperature ** 2
    return alpha * soft + (1 - alpha) * hard_loss


def reinitialize(model: Any, seed: int) -> Any:
    """Every submodule with reset_parameters() re-initialized from `seed` (PyTorch's default inits); a Hugging Face
    Conv1D (GPT-2's blocks), which has none, as its own __init__ does: weight N(0, 0.02), bias zeros
    (transformers/pytorch_utils.py, Conv1D). Without that, a GPT-2 student derived by pruning kept the teacher's
    pruned block weights while its embeddings, norms and head were reset."""
    import torch

    from accelopt.optimize.pruning import conv1d_type

    torch.manual_seed(seed)
    conv1d = conv1d_type()
    for m in model.modules():
        reset = getattr(m, "reset_parameters", None)
        if callable(reset):
            reset()
        elif conv1d is not None and isinstance(m, conv1d):
            with torch.no_grad():
                torch.nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    m.bias.zero_()
    return model


def _check_output_shape(student: Any, bundle: ModelBundle, target: Target) -> None:
    """The user's student must give the teacher's output on the first batch: the same structure (loss_fn reads the
    student's output as it reads the teacher's) and scores (first_tensor: what kd_loss compares) of the same shape.
    Another shape failed inside the KD loss ("shape '[-1, 7]' is invalid for input of size 40"); a teacher returning
    a dict {"score": (32, 5), "aux": (32, 1)} was read as shape () and a student's (32, 7) said 'the teacher ()'."""
    import torch

    inputs = to_device(bundle.first_batch()[0], target.device)
    with torch.no_grad():  # the teacher as the variant runs it: a copy on the target device
        got = user_call(bundle, "in the forward of ModelBundle.meta['student']()'s model on the first batch",
                        student, *inputs)
        want = copy_model(bundle, target)(*inputs)
    form = [_output_form(o) for o in (got, want)]
    shape = [_scores_shape(o) for o in (got, want)]
    if form[0] != form[1] or shape[0] != shape[1]:
        said = [f"{f}, scores {s}" if f != "a Tensor" else f"shape {s}" for f, s in zip(form, shape, strict=True)]
        raise InputError(f"ModelBundle.meta['student']'s model returns {said[0]} on the first batch, the teacher "
                         f"{said[1]}: the distillation loss compares the scores element by element, and loss_fn "
                         "reads the student's output as the teacher's",
                         "make the student return what the teacher returns: the same structure, scores of the same "
                         "shape (same number of classes or logits)")


def _output_form(out: Any) -> str:
    """A model output's structure, e.g. 'a Tensor', "a dict of 'score', 'aux'", 'a 2-item tuple'."""
    from collections.abc import Mapping

    import torch

    if isinstance(out, torch.Tensor):
        return "a Tensor"
    if isinstance(out, Mapping):
        return f"a {type(out).__name__} of {', '.join(repr(k) for k in out)}"
    if isinstance(out, tuple | list):
        return f"a {len(out)}-item {type(out).__name__}"
    return f"a {type(out).__name__}"


def _scores_shape(out: Any) -> tuple[int, ...] | str:
    """The shape of the output's scores (first_tensor), or '(no Tensor)'."""
    scores = first_tensor(out)
    return tuple(scores.shape) if scores is not None else "(no Tensor)"


def make_student(bundle: ModelBundle, target: Target, width: float, seed: int) -> tuple[Any, str]:
    """(fresh student on the target device, how it was made), its initial weights drawn from `seed`; the run's own
    random state is put back after, exceptions included (compress.seeded: torch's, CPU and the target's CUDA device,
    Python's `random` and numpy's): _make_student's torch.manual_seed moved it, so every technique measured after
    distill drew from `seed` (review s31 rvlast), and a student factory drawing from numpy moved numpy's (fr3)."""
    with seeded(seed, target):
        return _make_student(bundle, target, width, seed)


def _make_student(bundle: ModelBundle, target: Target, width: float, seed: int) -> tuple[Any, str]:
    """make_student's work; it seeds torch's global RNG (again: seeded did)."""
    factory = bundle.meta.get("student")
    if factory is not None:
        import torch

        if isinstance(factory, torch.nn.Module):  # callable too: factory() ran its forward with no input
            raise InputError(f"ModelBundle.meta['student'] is the module itself ({type(factory).__name__}), not a "
                             "factory: each run needs a fresh, untrained student",
                             "set meta['student'] = lambda: MyStudent(...) (a zero-argument function)")
        if not callable(factory):
            raise InputError(f"ModelBundle.meta['student'] is a {type(factory).__name__}",
                             "set meta['student'] to a zero-argument function returning a fresh nn.Module")
        torch.manual_seed(seed)
        # the user's code: its exception names meta['student'] (it read 'failed: RuntimeError: ...', a technique's bug)
        student = user_call(bundle, "in ModelBundle.meta['student']() (distill's student factory)", factory)
        if not isinstance(student, torch.nn.Module):
            raise InputError(f"meta['student']() returned a {type(student).__name__}, not an nn.Module",
                             "return the student module from meta['student']")
        # in the teacher's dtype: the variant takes the batches the model does (an fp32 student of a float16
        # model failed with 'mat1 and mat2 must have the same dtype'); train_for trains it in fp32 all the same
        dtype = next((p.dtype for p in bundle.model.parameters() if p.is_floating_point()), None)
        student = student.to(target.device, dtype=dtype)
        _check_output_shape(student, bundle, target)
        return student, "the bundle's meta['student'] factory"
    from accelopt.optimize.pruning import has_prunable_layer, prune_structured, recurrent_note

    if not has_prunable_layer(bundle.model):  # it read 'every group is an output layer, ...' of a model with none
        raise UnsupportedError(f"{bundle.name} has no Linear, Conv or MultiheadAttention layer to narrow into a "
                               "student (its parameters are used directly, or by layers torch-pruning cannot cut)"
                               + recurrent_note(bundle.model),
                               "give a smaller student as ModelBundle.meta['student'] (a zero-argument factory)")
    student = copy_model(bundle, target)
    inputs = to_device(bundle.first_batch()[0], target.device)
    prune_structured(student, inputs, 1.0 - width, time_limit_s=target.budget_s / 2)
    if param_count(student) >= param_count(bundle.model):  # a re-initialized copy of the teacher compresses nothing
        raise UnsupportedError(f"nothing in {bundle.name} could be narrowed into a student (every group is an "
                               "output layer, an embedding, or breaks the forward when pruned)"
                               + recurrent_note(bundle.model),
                               "give a smaller student as ModelBundle.meta['student'] (a zero-argument factory)")
    how = f"the teacher with {width:.0%} of each prunable group's channels kept (torch-pruning), re-initialized"
    # a re-initialized student trains whole: a layer the user froze in the teacher (a pretrained backbone) stayed
    # frozen in the copy, at its random initialization, through the whole distillation
    student = reinitialize(student, seed)
    for p in student.parameters():
        if p.is_floating_point() or p.is_complex():  # an integer tensor cannot require grad
            p.requires_grad_(True)
    return mark_structural(student), how  # widths differ from the user's class: saved as such


@dataclass(frozen=True, kw_only=True)
class DistillResult:
    """Quality of teacher and students on the held-out batches (the bundle's metric; None without them)."""

    metric: str
    teacher_quality: float | None
    distilled_quality: float | None
    label_only_quality: float | None
    steps: int
    teacher_params: int
    student_params: int
    teacher_forward_flops: int
    student_forward_flops: int
    uncounted: str = ""
    """Layers whose FLOPs FlopCounterMode leaves out of the two counts, e.g. 'LSTM (teacher)'; '' for none."""
    distill_time_s: float
    label_only_time_s: float


def _optimizer(model: Any, lr: float) -> Any:
    """AdamW at `lr` for a student trained from scratch: the bundle's own optimizer is usually set for fine-tuning
    (the built-in examples: lr 1e-4, too slow to train a fresh student in a few hundred steps)."""
    import torch

    return torch.optim.AdamW(model.parameters(), lr=lr)


def _distill_step(student: Any, teacher: Any, bundle: ModelBundle, temperature: float, alpha: float,
                  lr: float, classes_at: int = -1) -> Callable[[Any, Any], Any]:
    import torch

    teacher_dtype = next((p.dtype for p in teacher.parameters() if p.is_floating_point()), None)

    def loss(out: Any, targets: Any, inputs: tuple[Any, ...]) -> Any:
        with torch.no_grad():  # the teacher as given, in its own dtype (train_for upcasts a float16 student's inputs)
            t_out = teacher(*_floats_as(inputs, teacher_dtype))
        # the soft targets are the logits: the first Tensor of a tuple output, or a ModelOutput's .logits
        return kd_loss(first_tensor(out), first_tensor(t_out), bundle.loss_fn(out, targets), temperature, alpha,
                       classes_at)

    return train_step_for(student, bundle, optimizer=_optimizer(student, lr), loss=loss)


def _check_class_scores(bundle: ModelBundle, target: Target) -> int:
    """The dimension of the teacher's logits (the output's first Tensor, or its .logits) that holds the classes
    (compress.class_dim: 1 for a segmenter's (B, C, H, W) with (B, H, W) targets, else the last), or an
    UnsupportedError unless it holds 2+ scores, (B, C) or (B, T, C): kd_loss's softmax over one value is 1, so a
    regression model's (B, 1) output distilled with a soft-target term of 0 (the 'distilled' student read the
    label-only one's quality to 4 digits), and a (B,) output was read as one distribution over the batch."""
    import torch

    inputs, targets = bundle.first_batch()
    inputs = to_device(inputs, target.device)
    cuda = [torch.device(target.device)] if str(target.device).startswith("cuda") else []
    with torch.no_grad(), torch.random.fork_rng(devices=cuda):  # a copy: the teacher's BatchNorm statistics kept
        logits = first_tensor(user_call(bundle, "in its forward on the first batch", copy_model(bundle, target),
                                        *inputs))
    dim = class_dim(logits, targets)
    if logits is None or logits.dim() < 2 or logits.shape[dim] < 2:
        shape = tuple(logits.shape) if logits is not None else "(no Tensor)"
        raise UnsupportedError(
            f"{bundle.name}'s output {shape} has no class scores along "
            f"{'dim 1 (its targets put the classes there)' if dim == 1 else 'its last dimension'}: the "
            "soft targets (softmax over it, Hinton et al. 2015) need 2 or more; over one value the soft-target "
            "term is 0 and the student would learn from the labels alone",
            "distill a model that returns logits (B, C) or (B, T, C), e.g. a classifier or a language model (a "
            "segmenter's (B, C, H, W) map with C >= 2), or "
            "give a regression model a smaller model directly (--skip distill)")
    return dim


def _floats_as(inputs: tuple[Any, ...], dtype: Any) -> tuple[Any, ...]:
    """Floating-point input tensors cast to `dtype` (None: unchanged); token ids and masks as they are."""
    if dtype is None:
        return inputs
    return tuple(x.to(dtype) if getattr(x, "is_floating_point", lambda: False)() else x for x in inputs)


@register
class Distill(Technique):
    lossy: ClassVar[bool] = True
    name = "distill"
    option_specs: ClassVar[dict[str, OptionSpec]] = {
        "width": OptionSpec(0.5, float, lo=0.05, hi=0.95), "steps": OptionSpec(300, int, lo=1, hi=10_000_000),
        "temperature": OptionSpec(4.0, float, lo=0.1, hi=100.0), "alpha": OptionSpec(0.9, float, lo=0.0, hi=1.0),
        "seed": OptionSpec(0, int, lo=0, hi=2**32 - 1), "lr": OptionSpec(DEFAULT_LR, float, lo=1e-8, hi=10.0)}
    recorded_names = tuple(f.name for f in fields(DistillResult) if f.name != "steps")
    family = "distillation"
    modes = ("train", "inference")
    changes = ("replaces the model with a smaller student trained on the teacher's soft targets (Hinton et al. "
               "2015) for a step budget")
    risks = "a quality gap to the teacher that grows as the student shrinks or the budget is short"
    composable = True

    def not_applicable(self, bundle: ModelBundle, target: Target) -> str | None:
        why = super().not_applicable(bundle, target)
        if why:
            return why
        if bundle.meta.get("student") is None:  # a student of the user's may distill a quantized teacher
            why = already_quantized(bundle, "distill's derived student (a pruned copy of the model)")
            if why:
                return why + ", or give a float student as ModelBundle.meta['student']"
            try:
                from accelopt.optimize.pruning import _import_tp

                _import_tp()
            except UnsupportedError as e:
                return (f"deriving a student needs torch-pruning ({e.problem}) — {e.fix}, or give "
                        "meta['student'] in the bundle")
        if bundle.eval_batches is None:
            return ("without eval_batches the student's quality gap cannot be measured — add held-out "
                    "eval_batches to the ModelBundle")
        return None

    def check_bundle(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> None:
        """The user's meta['student'] factory checked as make_student checks it (a factory, returning an
        nn.Module of the teacher's output shape), on a throwaway student, before anything is measured: a wrong one
        stopped the run with exit 2 when distill's turn came, and the variants measured before it were lost."""
        if bundle.meta.get("student") is None or self.not_applicable(bundle, target):
            return
        make_student(bundle, target, 1.0, 0)  # the run's random state is put back

    def apply(self, bundle: ModelBundle, target: Target, options: dict[str, Any]) -> Variant:
        width = self.opt(options, "width")
        steps = self.opt(options, "steps")
        temperature = self.opt(options, "temperature")
        alpha = self.opt(options, "alpha")
        seed = self.opt(options, "seed")
        lr = self.opt(options, "lr")
        t0 = time.perf_counter()
        classes_at = _check_class_scores(bundle, target)
        teacher = copy_model(bundle, target)
        student, how = make_student(bundle, target, width, seed)
        label_only = copy.deepcopy(student)  # same initial weights
        # distilled student first, within half the budget; the label-only one then runs the same step count
        kd_run = train_for(student, bundle, target, what="in distill's training of the student on the teacher's soft "
                           "targets", max_steps=steps, budget_s=target.budget_s / 2,
                           step=_distill_step(student, teacher, bundle, temperature, alpha, lr, classes_at))
        lab_run = train_for(label_only, bundle, target,
                            what="in distill's training of the same student on labels alone", max_steps=kd_run.steps,
                            budget_s=float("inf"),
                            step=train_step_for(label_only, bundle, optimizer=_optimizer(label_only, lr)))
        result = self._result(bundle, target, teacher, student, label_only, kd_run, lab_run)
        notes = _notes(result, how, temperature, alpha, kd_run)
        if classes_at != -1:
            notes.append(f"soft targets over dim {classes_at} of the output, where its targets' shape puts the classes "
                         "(F.cross_entropy's (N, C, d1, ...) scores for (N, d1, ...) targets)")
        notes.append(f"optimizer: AdamW lr {lr:g} for both students"
                     + (" (default: Adam's step size of Kingma & Ba 2015, Algorithm 1)" if "lr" not in options else ""))
        params = {"width": width, "steps": kd_run.steps, "temperature": temperature, "alpha": alpha, "seed": seed,
                  "lr": lr,
                  **{k: v for k, v in asdict(result).items() if k != "steps"}}
        # the same-budget baseline (train mode) trains its extra steps with this optimizer too, not the bundle's
        return model_variant(self.name, student, bundle, target, setup_s=time.perf_counter() - t0, params=params,
                             notes=notes, trained_steps=kd_run.steps,
                             train_optimizer=(f"AdamW lr {lr:g}", lambda m: _optimizer(m, lr)))

    @staticmethod
    def _result(bundle: ModelBundle, target: Target, teacher: Any, student: Any, label_only: Any, kd_run: TrainRun,
                lab_run: TrainRun) -> DistillResult:
        inputs = to_device(bundle.first_batch()[0], target.device)
        return DistillResult(
            metric=bundle.metric_name, teacher_quality=evaluate(teacher, bundle, target.device),
            distilled_quality=evaluate(student, bundle, target.device),
            label_only_quality=evaluate(label_only, bundle, target.device), steps=kd_run.steps,
            teacher_params=param_count(teacher), student_params=param_count(student),
            teacher_forward_flops=forward_flops(teacher, inputs), student_forward_flops=forward_flops(student, inputs),
            uncounted=_uncounted(teacher, student),
            distill_time_s=kd_run.time_s, label_only_time_s=lab_run.time_s)


def _uncounted(teacher: Any, student: Any) -> str:
    """The recurrent layers of either model: FlopCounterMode has no formula for the fused RNN ops they run
    (aten::lstm/gru on CPU via oneDNN, cuDNN on GPU), so they count 0 (an LSTM teacher read 2,560 FLOPs, its
    classifier alone)."""
    from torch import nn

    out = []
    for who, model in (("teacher", teacher), ("student", student)):
        kinds = sorted({type(m).__name__ for m in model.modules() if isinstance(m, nn.RNNBase)})
        out += [f"{k} ({who})" for k in kinds]
    return ", ".join(out)


def _notes(r: DistillResult, how: str, temperature: float, alpha: float, kd_run: TrainRun) -> list[str]:
    teacher, distilled, labels = (quality_text(q, r.metric) for q in (r.teacher_quality, r.distilled_quality,
                                                                       r.label_only_quality))
    notes = [f"student: {how}; {r.student_params:,} parameters vs the teacher's {r.teacher_params:,}; forward "
             f"FLOPs {r.student_forward_flops:,} vs {r.teacher_forward_flops:,} (FlopCounterMode, first batch"
             + (f"; not counted: {r.uncounted}" if r.uncounted else "") + ")",
             f"held-out {r.metric}: teacher {teacher}, distilled student {distilled}, same student on labels alone "
             f"{labels} (same init, batches and {r.steps} steps)",
             f"KD loss of Hinton et al. 2015 (arXiv:1503.02531): T = {temperature:g}, alpha = {alpha:g}; "
             f"{r.distill_time_s:.1f} s distilling, {r.label_only_time_s:.1f} s on labels"]
    if kd_run.fp32_from:
        notes.append(f"both students trained in fp32 (AdamW state and updates fp32; their {kd_run.fp32_from} "
                     f"weights upcast for training and cast back to {kd_run.fp32_from} after, the model's dtype), the "
                     f"teacher run in {kd_run.fp32_from} as given")
    if kd_run.stopped_by_budget:
        notes.append(f"distillation stopped by half the time budget after {kd_run.steps} steps")
    return notes
