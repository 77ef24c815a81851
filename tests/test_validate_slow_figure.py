"""A runs file's step_s so slow that the step's FLOPs come to under 3% of the devices' peak (the bundled runs' least
is 5.8%) is named on stderr and in the HTML warnings as a likely unit slip (predict/validation.py slow_figure_line).
Found by the utval user trial, 2026-12-03: a TFLOP/s per device typed in step_s (400 for a 70B run whose step is ~20 s)
validated at -95.5% without a word. A warning, not a refusal: a run can be that slow."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

HEADER = ("id,source,hardware,devices,layers,hidden,heads,kv_heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,recompute,"
          "step_s,flash,overlap")
ROW = "my-70b,our lab,h100-sxm,64,80,8192,64,8,28672,128256,8192,swiglu,128,8,4,2,selective+sp,{step},1,1"


@pytest.mark.parametrize(("step", "warned"), [("400", True), ("20", False)])
def test_a_step_in_another_unit_is_named(step: str, warned: bool, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    p, page = tmp_path / "mine.csv", tmp_path / "v.html"
    p.write_text(f"{HEADER}\n{ROW.format(step=step)}\n")
    code, _out, err = run_main(["validate", "--runs", str(p), "--html", str(page)], capsys)
    flat = " ".join(err.split())
    assert code == 0
    assert ("my-70b (1.99% MFU, 400 s): a figure in another unit?" in flat) is warned, flat
    assert ("a figure in another unit?" in page.read_text(encoding="utf-8")) is warned


def test_the_quoted_least_share_is_the_bundled_runs() -> None:
    """The warning quotes the bundled runs' least share of peak (BUNDLED_LEAST_SHARE): recomputed here, so a new row
    that goes below it fails until the constant is rewritten; and no bundled run is warned."""
    from accelopt.predict.validation import BUNDLED_LEAST_SHARE, SLOW_FIGURE, slow_figure_line, validate_report

    runs = validate_report().runs
    least = min(r.predicted_mfu * r.predicted_step_s / r.published_step_s for r in runs if r.published_step_s > 0)
    assert round(least, 3) == BUNDLED_LEAST_SHARE
    assert least > SLOW_FIGURE and slow_figure_line(runs) == ""
