"""`plan serve --pp N` of a model with learned positions (GPT-2/GPT-3): the per-device weights are said to be an
upper bound on the busiest stage's, exact where pp divides the layers (README, serving._weights_bytes_per_device),
but they charged one end stage the LM head alone, while the first stage holds the token table (as large as the head)
AND the learned position table, which vLLM keeps whole on every tensor-parallel rank (vllm/model_executor/models/
gpt2.py GPT2Model: `wte = VocabParallelEmbedding(...)`, `wpe = nn.Embedding(max_position_embeddings, embed_dim)`).
GPT-3 13B at --pp 2: its first stage was 21 MB (2048 x 5120 x 2 B) above the figure, at any tp. At --pp 1 the table
was split over tp with the token table and the head (the last test)."""

from __future__ import annotations

import pytest

from accelopt.predict import serving as sv
from accelopt.workload.presets import get_model


def _first_and_last_stage_weights(name: str, tp: int, pp: int) -> tuple[float, float, float]:
    """(the per-device weights plan serve uses, the first stage's and the last stage's by hand): each stage's share of
    the transformer body split over tp (pp_stage_layers), the first stage's token table split over tp (vocab-parallel)
    and its position table whole, the last stage's LM head split over tp."""
    m, cal = get_model(name), sv.DEFAULT_CALIBRATION
    figure = sv._weights_bytes_per_device(m, tp, pp, "bf16", cal)
    table = m.vocab * m.hidden * sv.ACT_BYTES  # the token table; the LM head is as large (tied or not)
    positions = m.learned_positions * m.hidden * sv.ACT_BYTES
    body = sv._weight_bytes_total(m, "bf16", cal, sv.NO_MOE) - sum(sv._embedding_params(m)) * sv.ACT_BYTES
    counts = sv.pp_stage_layers(m.layers, pp)
    first = body * counts[0] / m.layers / tp + table / tp + positions
    last = body * counts[-1] / m.layers / tp + table / tp
    return figure, first, last


@pytest.mark.parametrize("tp", [1, 4])
@pytest.mark.parametrize(("name", "pp"), [("gpt3-13b", 2), ("gpt3-13b", 4), ("gpt3-175b", 8), ("gpt3-2.7b", 3)])
def test_the_figure_bounds_the_first_stage_with_its_position_table(name: str, pp: int, tp: int) -> None:
    figure, first, last = _first_and_last_stage_weights(name, tp, pp)
    assert get_model(name).learned_positions > 0
    assert figure >= first * (1 - 1e-12) and figure >= last
    if get_model(name).layers % pp in (0, pp - 1):  # the first stage is the fullest: the figure is its bytes
        assert figure == pytest.approx(first, rel=1e-12)


def test_a_model_without_learned_positions_is_unchanged() -> None:
    """Llama 3 8B (rotary positions) at --pp 2: the first stage's token table equals the head, the figure exact."""
    m, cal = get_model("llama3-8b"), sv.DEFAULT_CALIBRATION
    assert m.learned_positions == 0
    figure = sv._weights_bytes_per_device(m, 2, 2, "bf16", cal)
    body = sv._weight_bytes_total(m, "bf16", cal, sv.NO_MOE) - sum(sv._embedding_params(m)) * sv.ACT_BYTES
    assert figure == pytest.approx((body / 2 + m.vocab * m.hidden * sv.ACT_BYTES) / 2, rel=1e-12)


@pytest.mark.parametrize("tp", [1, 2, 8])
@pytest.mark.parametrize(("name", "tied"), [("gpt3-175b", True), ("gpt3-13b", False), ("gpt3-125m", True)])
def test_at_pp_1_the_position_table_is_whole_on_every_tp_rank(name: str, tied: bool, tp: int) -> None:
    """At --pp 1 the position table was split over tp with the token table and the head (GPT-3 175B at tp 8: 44 MB
    under a rank's bytes); vLLM's `wpe = nn.Embedding` is whole on every rank at any pp. By hand: the body, the
    token table (none beside a tied head) and the head over tp, the positions whole."""
    import dataclasses

    m, cal = dataclasses.replace(get_model(name), tied_embeddings=tied), sv.DEFAULT_CALIBRATION
    figure = sv._weights_bytes_per_device(m, tp, 1, "bf16", cal)
    table = m.vocab * m.hidden * sv.ACT_BYTES
    positions = m.learned_positions * m.hidden * sv.ACT_BYTES
    body = sv._weight_bytes_total(m, "bf16", cal, sv.NO_MOE) - sum(sv._embedding_params(m)) * sv.ACT_BYTES
    assert positions > 0
    assert figure == pytest.approx((body + table * (1 if tied else 2)) / tp + positions, rel=1e-12)
