"""optimize's table printed a bf16 variant 360 times slower on CPU (22.2 ms against 62 µs: 0.0028x) as
"0.00x (0.00-0.00)", which reads as a speed-up of zero. Every ratio of the view follows one rule: two decimals
from 0.01 up, two significant digits below."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult
from accelopt.report.optimize_view import ratio_digits, render


@pytest.mark.parametrize(("ratio", "shown"), [(1.0, "1.00"), (1.374, "1.37"), (0.01, "0.01"), (0.0028, "0.0028"),
                                              (0.00051, "0.00051"), (0.0, "0.00"), (123.456, "123.46")])
def test_a_ratio_keeps_two_significant_digits_below_a_hundredth(ratio: float, shown: str) -> None:
    assert ratio_digits(ratio) == shown


def test_a_variant_hundreds_of_times_slower_is_not_printed_as_zero() -> None:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0)
    slow = VariantResult(name="bf16", techniques=["bf16"], family="precision", status="measured",
                         speedup=62e-6 / 22.2e-3, speedup_low=0.0026, speedup_high=0.0031, gain_bound=0.0042,
                         above_bound=False)
    result = OptimizeResult(name="dictmodel", mode="inference", device="cpu", dtype="fp32", batch_size=8,
                            metric="loss", higher_is_better=False, quality_tolerance=1.0,
                            quality_tolerance_unit="percent", variants=[base, slow])
    buf = io.StringIO()
    render(result, Console(file=buf, width=250))
    row = next(line for line in buf.getvalue().splitlines() if "bf16" in line)
    assert "0.00279x (0.0026-0.0031)" in row and "0.0042x" in row, row
    assert "0.00x" not in row and "0.00-" not in row, row


def test_the_page_shows_each_quality_as_the_console_does() -> None:
    """The page read 85.4% for the console's 85.35% (3 significant digits: 0.05 points off, a tenth of the default
    tolerance) and 84.8% with nothing to say that this variant was outside the tolerance (the console's OUT)."""
    import html
    import re

    from accelopt.optimize.results import Quality
    from accelopt.report.html import render_html

    def variant(name: str, value: float, worse_by: float, inside: bool) -> VariantResult:
        qual = Quality(metric="accuracy", value=value, delta=-worse_by / 100, worse_by=worse_by,
                       within_tolerance=inside)
        return VariantResult(name=name, techniques=[] if name == "baseline" else [name], family="", status="measured",
                             speedup=1.0, speedup_low=1.0, speedup_high=1.0, quality=qual)

    result = OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=64,
                            metric="accuracy", higher_is_better=True, quality_tolerance=0.5,
                            quality_tolerance_unit="points",
                            variants=[variant("baseline", 0.853515625, 0.0, True),
                                      variant("prune-structured", 0.84765625, 0.5859375, False)])
    buf = io.StringIO()
    render(result, Console(file=buf, width=250))
    console_row = next(line for line in buf.getvalue().splitlines() if "prune-structured" in line)
    assert "84.77% (-0.59pt) OUT" in console_row, console_row
    page = render_html("optimize", result, title="optimize", argv=["optimize", "m"])
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for row in re.findall(r"<tr>.*?</tr>", page, re.S) if "prune-structured</td>" in row
             for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert "84.77% (-0.59pt) OUT" in cells, cells
    base_cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                  for row in re.findall(r"<tr>.*?</tr>", page, re.S) if ">baseline</td>" in row
                  for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert "85.35%" in base_cells, base_cells


def test_the_page_says_the_unit_of_worse_by() -> None:
    """The page's 'worse by' column read 0.5859 with no unit: accuracy points or percent of the baseline."""
    from accelopt.report.html import _optimize_tables

    for metric, unit, said in (("accuracy", "points", "worse by (points)"), ("loss", "percent", "worse by (%)")):
        base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0)
        result = OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric=metric,
                                higher_is_better=metric == "accuracy", quality_tolerance=0.5,
                                quality_tolerance_unit=unit, variants=[base])
        assert said in _optimize_tables(result)[0].headers


def test_the_page_shows_each_speed_up_and_its_rounds_as_the_console_does() -> None:
    """The page read 348x (rounds 1.49-404x) beside the console's 347.89x (1.49-403.76), and the recommendation's
    reason on the same page said 347.89x: the speed-up cells kept 3 significant digits (units' 'x')."""
    import html
    import re

    from accelopt.report.html import render_html

    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0, speedup_low=1.0,
                         speedup_high=1.0)
    onnx = VariantResult(name="onnx-fp32", techniques=["onnx-fp32"], family="quantization", status="measured",
                         speedup=347.8912, speedup_low=1.4913, speedup_high=403.7641, gain_bound=412.345)
    result = OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=[base, onnx],
                            recommendation=Recommendation(name="onnx-fp32+x", techniques=[], speedup=400.0, reason="r",
                                                          best_single="onnx-fp32", best_single_speedup=347.8912))
    buf = io.StringIO()
    render(result, Console(file=buf, width=250))
    console_row = next(line for line in buf.getvalue().splitlines() if "onnx-fp32" in line)
    assert "347.89x (1.49-403.76)" in console_row and "412.35x" in console_row, console_row
    page = render_html("optimize", result, title="optimize", argv=["optimize", "m"])
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for row in re.findall(r"<tr>.*?</tr>", page, re.S) if "onnx-fp32</td>" in row
             for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert "347.89x" in cells and "1.49-403.76" in cells and "412.35x" in cells, cells
    assert "best single technique inside the tolerance: onnx-fp32 347.89x" in buf.getvalue().replace("\n", " ")
    assert "best single technique inside the tolerance: onnx-fp32 347.89x" in html.unescape(page)


def test_the_caption_says_the_rules_behind_a_speed_up_on_a_busy_machine() -> None:
    """The caption called the rounds' speed-up 'robust to the machine's load' while a busy run's agreeing rounds read
    906x (torch's threads starved in every baseline block): it now says what guards the recommendation."""
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0)
    result = OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=[base])
    buf = io.StringIO()
    render(result, Console(file=buf, width=400))
    text = " ".join(buf.getvalue().split())
    assert "robust to the machine's load" not in text
    assert "rounds over 2x apart are re-measured once" in text and "at 1 thread" in text, text


def test_the_page_shows_no_setup_as_the_console_does() -> None:
    """review_prod (ut_opt2 noticed it): the baseline's setup read '0 ns' on the page where the console says '—'."""
    import html
    import re

    from accelopt.report.html import render_html

    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0)
    compiled = VariantResult(name="compile", techniques=["compile"], family="compile", status="measured",
                             speedup=1.5, setup_s=12.5)
    result = OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=[base, compiled],
                            recommendation=Recommendation(name="compile", techniques=[], speedup=1.5, reason="r"))
    buf = io.StringIO()
    render(result, Console(file=buf, width=250))
    console_base = next(line for line in buf.getvalue().splitlines() if "baseline" in line)
    assert console_base.rstrip(" │").endswith("—"), console_base
    page = render_html("optimize", result, title="optimize", argv=["optimize", "m"])

    def cells(name: str) -> list[str]:
        return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                for row in re.findall(r"<tr>.*?</tr>", page, re.S) if f"{name}</td>" in row
                for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert cells("baseline")[-1] == "—" and cells("compile")[-1] == "12.5 s", (cells("baseline"), cells("compile"))
