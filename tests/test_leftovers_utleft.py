"""Leftovers of earlier sessions (s34, helper utleft): each test failed before its fix."""

from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.errors import InputError, UnreadableNumberError
from accelopt.units import parse_count


@pytest.mark.parametrize("typed", ["negative", "too large", "very negative"])
def test_a_budget_word_is_not_taken_for_a_negative_or_too_large_number(typed: str,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`--budget-usd negative` kept parse_count's generic 'cannot read' message: plan matched the words 'negative'
    and 'too large' in that message's text, and this text held them."""
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--budget-usd", typed], capsys)
    assert code == 2 and f"--budget-usd {typed!r} is not a number" in err and "20k or 1.5M" in err, err


@pytest.mark.parametrize(("typed", "problem"), [("-5", "is negative"), ("1e400", "is too large to be a number")])
def test_a_negative_or_infinite_budget_keeps_its_own_message(typed: str, problem: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--budget-usd", typed], capsys)
    assert code == 2 and f"--budget-usd {typed!r} {problem}" in err and "is not a number" not in err, err


def test_parse_count_says_by_its_class_which_refusal_it_is() -> None:
    with pytest.raises(UnreadableNumberError):
        parse_count("lots", "--tokens")
    for text in ("-5", "1e400"):
        with pytest.raises(InputError) as e:
            parse_count(text, "--tokens")
        assert not isinstance(e.value, UnreadableNumberError), text


def test_a_failing_user_model_reads_its_first_batch_once_for_the_fix() -> None:
    """The fix of a model that raised read the first batch once per hint (the dict-inputs one, then the arity one):
    batches() ran twice on the error path, a generator building its batch each time. Both hints still show."""
    torch = pytest.importorskip("torch")
    from accelopt.workload.usercode import ModelCodeError, user_call
    from accelopt.workload.userfile import ModelBundle

    class TwoInputs(torch.nn.Module):
        def forward(self, x: object, mask: object) -> object:
            return x

    calls = []

    def batches() -> object:
        calls.append(1)
        return iter([({"input_ids": torch.zeros(1, 4)}, torch.zeros(1))])

    def boom(*_: object) -> None:
        raise TypeError("forward() missing 1 required positional argument: 'mask'")

    bundle = ModelBundle(name="m", model=TwoInputs(), batches=batches, batch_size=1,
                         loss_fn=torch.nn.functional.mse_loss)
    with pytest.raises(ModelCodeError) as e:
        user_call(bundle, "during its train step", boom)
    assert len(calls) == 1, calls
    assert "yields the inputs as a dict" in e.value.fix and "requires 2 (x, mask)" in e.value.fix, e.value.fix
