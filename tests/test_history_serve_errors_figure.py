"""`history list` of a `plan serve` run that some device could not serve: the run is recorded (its JSON holds each
device's error), and its summary says how many devices could not serve the model, as a `plan` run's says 'feasible
0'. A user trial (uttrial, 2026-12-05): `plan serve --tp 3` over a 32-head model was listed with an empty summary, a
run that looked as if nothing had been asked."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import run_main


def _latest_summary(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_main(["history", "list", "--json", "--limit", "1"], capsys)
    assert code == 0, err
    return str(json.loads(out)["runs"][0]["summary"])


def test_a_serve_run_no_device_could_serve_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--tp", "3"], capsys)
    assert code == 2 and "does not divide" in err
    assert _latest_summary(capsys) == "devices that cannot serve it 1"


def test_a_serve_run_beside_a_refused_device_keeps_its_figures_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm,groq-lpu",
                             "--batch", "1"], capsys)
    assert code == 0, err
    summary = _latest_summary(capsys)
    assert summary.startswith("h100-sxm: max batch") and "devices that cannot serve it" not in summary


@pytest.mark.parametrize(("flag", "value"), [("--rate", "1,4"), ("--batch", "1,512")])
def test_a_request_beyond_a_served_device_is_not_a_device_that_cannot_serve(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str, value: str) -> None:
    """ut3srv (2026-12-06): a --rate beyond what the device completes (or a --batch over its memory) beside the
    points it serves exits 2 with an error for that device; the --html page's key figures said 'devices that cannot
    serve it 1' beside its served rate. Now that figure counts devices with no point, and another says what it is."""
    page = tmp_path / "serve.html"
    code, _, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "4",
                             "--weight-dtype", "fp8", "--prompt", "4096", "--output", "512", flag, value,
                             "--html", str(page)], capsys)
    assert code == 2 and ("exceeds what" in err or "usable" in err), err
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))).split())
    assert "devices that cannot serve it" not in text
    assert "devices with a batch or rate they cannot serve 1" in text
    assert _latest_summary(capsys).startswith("h100-sxm: max batch")
