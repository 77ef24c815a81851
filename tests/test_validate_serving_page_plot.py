"""`validate --serving --html` draws its published-vs-predicted plot (user trial, session 33): the page of
`validate` plots predicted against published step time with y = x, while the serving check's page had no plot at
all, only its 678-row table. One panel per unit (rates in tok/s, times in ms), fit / held-out / gap rows apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.serving_validation import ServingRunResult, ServingValidateResult
from accelopt.report.plots import plots_for


def _row(metric: str, published: float, predicted: float | None, role: str) -> ServingRunResult:
    return ServingRunResult(id=f"r-{metric}-{role}", source="s", engine="vllm", hardware="h100-sxm",
                            family="nvidia-hopper", calibration="nvidia-hopper", model="llama3-8b", tp=1,
                            precision="bf16/bf16", prompt_len=128, output_len=128, batch=8, metric=metric,
                            published=published, predicted=predicted, role=role)


def test_serving_page_has_the_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "serving.html"
    code, _, err = run_main(["validate", "--serving", "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_text()
    assert text.count("<svg") == 2
    # matplotlib writes each label as a comment beside its glyph paths (svg.fonttype 'path')
    for label in ("published rate (tok/s)", "predicted rate (tok/s, estimate)",
                  "published time (ms)", "predicted time (ms, estimate)", "y = x (exact)"):
        assert f"<!-- {label} -->" in text, label


def test_panels_follow_the_rows_units() -> None:
    rows = [_row("output_tok_s", 1000.0, 1100.0, "test"), _row("ttft_ms", 50.0, 45.0, "fit"),
            _row("tpot_ms", 20.0, None, "gap")]
    result = ServingValidateResult(runs=rows, median_abs_error_held_out=0.1, worst_abs_error_held_out=0.1,
                                   worst_held_out_id="r", median_abs_error_fit=0.1, groups=[], sources={})
    plots = plots_for("validate-serving", result)
    assert [re.sub(r"\s+", " ", caption) for caption, _ in plots] == [
        "validate --serving: predicted vs published token rate (1 row)",
        "validate --serving: predicted vs published time (1 row; 1 without a prediction, left out)"]
    only_rates = ServingValidateResult(runs=rows[:1], median_abs_error_held_out=0.1, worst_abs_error_held_out=0.1,
                                       worst_held_out_id="r", median_abs_error_fit=0.1, groups=[], sources={})
    assert len(plots_for("validate-serving", only_rates)) == 1
