"""Plot axes of the HTML pages read in the unit the data picks (accelopt.units.axis_scale), in plain numbers."""

from __future__ import annotations

import re

from accelopt.hardware.catalog import get_device


def _axis_texts(svg: str) -> list[str]:
    """The texts matplotlib drew (as paths; it writes each one as a comment before its glyphs)."""
    return re.findall(r"<!-- (.*?) -->", svg)


def _infer_plot_texts(device_names: list[str]) -> list[str]:
    from accelopt.predict.inference import plan_inference
    from accelopt.report.infer_view import infer_plots
    from accelopt.workload.inference_zoo import build_example, capture_inference

    wl = capture_inference(build_example("mobilenet-v1", 1, None, meta=True))
    plan = plan_inference({1: wl}, [get_device(n) for n in device_names], dtype="fp16")
    return _axis_texts(infer_plots(plan)[0][1])


def test_plan_infer_plot_axes_follow_the_data() -> None:
    """`plan infer gpt --hardware h100-sxm,edge-tpu --html`: latencies of 149 and 193 µs sat on an axis fixed to ms,
    ticked 1.5x10^-1 .. 1.9x10^-1, and 52 and 135 mJ on one fixed to J (6x10^-2). Here mobilenet-v1 on the H100
    alone: 149 µs and 97 mJ (predictions)."""
    texts = _infer_plot_texts(["h100-sxm"])
    assert "latency at batch 1 (µs, estimate)" in texts and "energy per inference (mJ, estimate)" in texts, texts
    assert not any("times10" in t or "e-0" in t for t in texts), texts  # plain tick labels


def test_plan_infer_plot_ticks_over_decades_are_plain() -> None:
    """149 µs (H100) beside 2.4 ms (Edge TPU): an axis in ms over a decade and more, ticked 0.2 .. 2, not 2e-01."""
    texts = _infer_plot_texts(["h100-sxm", "edge-tpu"])
    assert "latency at batch 1 (ms, estimate)" in texts, texts
    assert "0.2" in texts and "2" in texts and not any("times10" in t or "e-0" in t for t in texts), texts


def test_a_name_the_font_lacks_draws_without_a_warning_per_glyph() -> None:
    """`plan infer gpt --hardware my.toml,h100-sxm --html` with a device named '模型-gpu' printed
    'plots.py:65: UserWarning: Glyph 27169 (...) missing from font(s) DejaVu Sans.' on stderr, once per glyph."""
    import warnings

    from accelopt.report.plots import _figure, to_svg

    fig = _figure()
    ax = fig.add_subplot()
    ax.scatter([1.0], [2.0])
    ax.annotate("模型-gpu", (1.0, 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        svg = to_svg(fig)
    assert "<!-- 模型-gpu -->" in svg
