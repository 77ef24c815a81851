"""Leftovers of earlier sessions (s34, helper utleft): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main, write_hf_config

from accelopt.errors import InputError, UnreadableNumberError
from accelopt.units import parse_count
from accelopt.workload.presets import get_model


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


# google/gemma-2-9b config.json (sizes) without either soft-capping key
_GEMMA2_9B_NO_CAPS = {
    "model_type": "gemma2", "hidden_size": 3584, "intermediate_size": 14336, "num_hidden_layers": 42,
    "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256, "vocab_size": 256000,
    "max_position_embeddings": 8192, "sliding_window": 4096, "hidden_activation": "gelu_pytorch_tanh",
    "query_pre_attn_scalar": 256}


def test_gemma2_without_the_attention_cap_gets_the_class_default(tmp_path: Path) -> None:
    """Gemma2Config's attn_logit_softcapping is 50.0 (transformers @008e574 models/gemma2/configuration_gemma2.py):
    a config without the key was read with no cap (so no note, and the default cuDNN fused kernel that does not take
    one), while its final_logit_softcapping 30.0 was filled."""
    cfg = get_model(str(write_hf_config(tmp_path, "g2", _GEMMA2_9B_NO_CAPS)))
    assert cfg.attn_logit_softcap == 50.0
    (note,) = [n for n in cfg.config_defaults if "leaves out" in n and "softcapping" in n]
    assert "final_logit_softcapping 30, attn_logit_softcapping 50" in note and "Gemma2Config" in note, note
    assert [n for n in cfg.config_defaults if n.startswith("attn_logit_softcapping 50: ")]


def test_gemma2_with_a_null_attention_cap_has_none(tmp_path: Path) -> None:
    cfg = get_model(str(write_hf_config(tmp_path, "g2", {**_GEMMA2_9B_NO_CAPS, "attn_logit_softcapping": None})))
    assert cfg.attn_logit_softcap is None
    assert not [n for n in cfg.config_defaults if "attn_logit_softcapping" in n], cfg.config_defaults
