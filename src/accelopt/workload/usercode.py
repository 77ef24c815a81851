"""The user's own code (model forward, loss, optimizer, metric, batches) raising: an accelopt error naming the
model, what was being done and the original exception, never a traceback. The one place for it.

`capture_workload` calls it around each step it runs; `profile` and `optimize` around every call into a
ModelBundle after that (a forward that fails on its fourth call, an optimizer that cannot be built, a metric
that raises or returns text). It lives in workload (not measure) so that capture, below measure, can use it.

An allocator's out-of-memory failure is not the model's bug: it passes through unchanged, for the caller that
knows what sized the step (the CLI's measure.memory.out_of_memory_as_error names the --batch-size/--seq-len
and the device's memory).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from accelopt.errors import AcceloptError, InputError, is_out_of_memory
from accelopt.userio import exception_text

__all__ = ["ModelCodeError", "is_out_of_memory", "user_call"]

_FIX = ("check that model(*inputs), loss_fn(output, targets), the optimizer and the metric run on their own with "
        "what batches() and eval_batches() yield (shapes, dtypes, devices)")

class ModelCodeError(InputError):
    """The model's own code raised (exit 2 with error + fix). `optimize` records it as one variant's failure when
    it happens under a technique, and stops the run when the baseline itself fails."""


def user_call(bundle: Any, what: str, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args); an exception other than accelopt's own, Ctrl-C or an out-of-memory (see the module docstring)
    is raised as a ModelCodeError: "model NAME raised TYPE WHAT: MESSAGE" ('during its train step')."""
    try:
        return fn(*args)
    except AcceloptError:
        raise
    except Exception as e:
        if is_out_of_memory(e):
            raise
        name = getattr(bundle, "name", "?")
        raise ModelCodeError(f"model {name!r} raised {type(e).__name__} {what}: {exception_text(e, 400)}",
                             _fix(bundle)) from e


def _fix(bundle: Any) -> str:
    """The fix for `bundle`: a model built from a Hugging Face config.json (workload/hf.py, meta source_kind
    'hf-config') has no model file, batches() or loss_fn of the user's to check: accelopt wrote them, and the
    config is what the user can change."""
    meta = getattr(bundle, "meta", None) or {}
    if meta.get("source_kind") == "hf-config":
        return (f"the model is transformers' build of {meta.get('hf_config', 'the config')!r} on accelopt's random "
                "token ids: check the config's sizes against one another (hidden_size, num_attention_heads, "
                "num_key_value_heads, intermediate_size, vocab_size): the message names the tensor sizes that "
                "clash, not a config key, so look for the keys whose values (or their quotients) are those sizes; "
                "or write a model file that builds and feeds it yourself (examples/my_model.py)")
    try:  # read once for both hints (each read it: batches() ran twice more on this error path)
        inputs, _ = bundle.first_batch()
    except Exception:  # the batches cannot be read here: no hint
        return _FIX
    return _FIX + _dict_inputs_hint(inputs) + _arity_hint(bundle, inputs)


def _dict_inputs_hint(inputs: tuple[Any, ...]) -> str:
    """What to change when batches() yields the inputs as a dict (as a Hugging Face user would, {'input_ids': ...,
    'attention_mask': ...}): model(*inputs) passes it as one positional argument, and the fix said only 'check that
    model(*inputs) ... run'. '' otherwise. `inputs`: the first batch's, as ModelBundle.first_batch gives them."""
    if not any(isinstance(x, dict) for x in inputs):
        return ""
    return ("; batches() yields the inputs as a dict, which model(*inputs) passes as one positional argument, not as "
            "keyword arguments: yield a tuple in forward's argument order, e.g. ((ids, mask), targets)")


def _arity_hint(bundle: Any, inputs: tuple[Any, ...]) -> str:
    """What to change when a batch holds fewer inputs than the model's forward requires, or more than it takes (a
    forward(x, mask) fed (x, targets) pairs stopped with 'forward() missing 1 required positional argument: mask' and
    the fix said only 'check that model(*inputs) ... run'). '' when they match, or when forward's signature cannot
    be read here (a forward taking *args). `inputs`: the first batch's."""
    try:
        params = list(inspect.signature(bundle.model.forward).parameters.values())
    except Exception:
        return ""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return ""
    takes = [p.name for p in params if p.kind in positional]
    needs = [p.name for p in params if p.kind in positional and p.default is inspect.Parameter.empty]
    n, cls = len(inputs), type(bundle.model).__name__
    if len(needs) <= n <= len(takes):
        return ""
    want = needs if n < len(needs) else takes
    return (f"; each batch's inputs are {n} tensor(s), called as model(*inputs), but {cls}.forward "
            + (f"requires {len(needs)}" if n < len(needs) else f"takes at most {len(takes)}")
            + f" ({', '.join(want)}): yield ((" + ", ".join(want) + "), targets) from batches() and eval_batches(), "
            "in forward's argument order")
