"""`plan serve` says memory per device in one unit: GiB (2**30 B), the unit of its table's mem/dev column and of
the HTML page. Its errors mixed units for the same kind of quantity: 'the weights alone need 141.1 GB ... above the
77.0 GB usable (90% of 85.5 GB)' (GB = 1e9) beside 'batch 4096 ... needs 1169.9 GiB per device ... > 71.7 GiB
usable', so an H100's 80 GiB read as 85.5 in one message and 71.7 usable in the next. The console's expert-parallel
table printed expert weights in GB (11.3 GB) where the page printed the same field in GiB (10.5 GiB).
"""

from __future__ import annotations

import re

import pytest
from conftest import run_main

from accelopt.errors import InfeasibleError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.workload.presets import get_model

GIB = 2**30


def _units(text: str) -> set[str]:
    """The memory units a message uses (not bandwidths: GB/s)."""
    return set(re.findall(r"\d ([KMGT]i?B)\b(?!/)", text))


def test_weights_too_big_message_is_in_gib(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "-m", "llama3-70b", "--hardware", "h100-sxm"], capsys)
    assert code == 2
    assert _units(err) == {"GiB"}, err
    cap = get_device("h100-sxm").memory_bytes
    assert f"of {cap / GIB:.1f} GiB" in err  # the capacity as the catalog stores it, in the table's unit


def test_batch_too_big_message_is_in_gib(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "4096"],
                              capsys)
    assert code == 2
    assert _units(err.split("fix:")[0]) == {"GiB"}, err


def test_one_request_too_big_message_is_in_gib() -> None:
    """The KV cache of one request does not fit beside the weights: every figure in GiB."""
    e = serving.nothing_fits_error(get_model("llama3-8b"), get_device("l4"), tp=1, pp=1, prompt_len=500_000,
                                   output_len=1000, weight_dtype="bf16", kv_dtype="bf16",
                                   calibration=serving.DEFAULT_CALIBRATION, requested=4)
    assert "of KV cache per device" in e.problem
    assert _units(e.problem) == {"GiB"}, e.problem


def test_point_that_does_not_fit_says_gib() -> None:
    with pytest.raises(InfeasibleError) as e:
        serving.predict_serving(get_model("llama3-8b"), get_device("h100-sxm"), batch=4096, prompt_len=2048,
                                output_len=2048)
    assert _units(e.value.problem) == {"GiB"}, e.value.problem


def test_expert_table_bytes_match_the_page(capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    page = tmp_path / "s.html"
    code, out, err = run_main(["plan", "serve", "-m", "mixtral-8x7b", "--hardware", "h100-sxm", "--tp", "1", "--ep",
                               "8", "--attention-dp", "8", "--batch", "64", "--html", str(page)], capsys)
    assert code == 0, err
    row = out.split("expert parallelism")[1].split("\n")
    cells = next(r for r in row if r.startswith("│    64")).split("│")
    html = page.read_text().split("expert parallelism")[1]
    page_cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)[:10]
    for i in (3, 4, 6):  # expert weights/dev, other weights/dev, exchange bytes/step/dev
        assert cells[i + 1].strip() == page_cells[i], (cells, page_cells)
