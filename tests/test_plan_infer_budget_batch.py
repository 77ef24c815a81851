"""`plan infer --batch 8,32 --latency-budget-ms 5` judged the budget and ranked the devices at the smallest batch
planned (inference.rank_devices: points[0]), and the console and the page said 'meet 5 ms at batch 1', a batch
not planned (rev2, session 35). Both now name the batch the budget and the order are judged at."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


def test_the_budget_line_names_the_smallest_batch_planned(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "infer.html"
    code, out, err = run_main(["plan", "infer", "--model", "resnet50", "--hardware", "h100-sxm,l4", "--batch", "8,32",
                               "--latency-budget-ms", "5", "--html", str(page)], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "meet 5 ms at batch 8, best first by energy" in text and "at batch 1" not in text
    html = " ".join(page.read_text(encoding="utf-8").split())
    assert "at batch 8: meet it, best first by energy" in html and "budget 5 ms at batch 1" not in html


def test_the_order_line_names_the_smallest_batch_planned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "asic.toml"
    spec.write_text('[[device]]\nname = "our-asic"\nkind = "asic"\nvendor = "Us"\n'
                    'peak_flop_per_s = { bf16 = [200e12, "our slide 3"] }\nmemory_bytes = [32e9, "our slide 3"]\n'
                    'memory_bandwidth_byte_per_s = [1e12, "our slide 3"]\n', encoding="utf-8")
    code, out, err = run_main(["plan", "infer", "--model", "resnet50", "--hardware", f"{spec},h100-sxm",
                               "--batch", "4,16"], capsys)
    assert code == 0, err
    assert "order: best first by energy at batch 4: h100-sxm; not ranked" in " ".join(out.split())
