"""The two warnings about a command's inputs that the console printed on stderr but no result carried, so the HTML
page (and the JSON) lost them (issue 10's note: "two console warnings are not on the HTML page"): a --hardware spec
`probe` measured on a busy machine (plan, plan explain, plan serve, plan infer) and a serving --calibration file's
[family.*] tables that serving does not read (plan serve, validate --serving). Each result now carries them as
input_warnings; the console still prints them on stderr (the JSON on stdout stays whole) and the page shows the same
line. Before the change each test fails: the JSON has no input_warnings and the page lacks the line."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import busy_node_spec, run_main_expect

BUSY = "other processes used 1.50 cores on <b>average</b> while measuring"  # markup prints as plain text
BUSY_SPEC = busy_node_spec(BUSY)
BUSY_LINE = f"warning: --hardware busy-node was probed on a busy machine ({BUSY})"

COMMANDS = {
    "plan": ["plan", "--model", "gpt3-125m", "--devices", "8", "--tokens", "1e9", "--top", "1"],
    "plan-explain": ["plan", "explain", "--model", "gpt3-125m", "--devices", "8", "--tokens", "1e9"],
    "plan-serve": ["plan", "serve", "--model", "gpt3-125m", "--batch", "1"],
}


def _page_text(path: Path) -> str:
    """What a reader sees in the page's tables: tags dropped, entities decoded, whitespace collapsed (the style
    sheet and the folded 'full result (JSON)' dump at the end removed: a line only there is not shown)."""
    body = path.read_text(encoding="utf-8").split("</style>", 1)[1]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    assert "full result (JSON)" in text
    return text.split("full result (JSON)", 1)[0]


@pytest.mark.parametrize("kind", list(COMMANDS))
def test_a_busy_spec_warning_is_in_the_json_and_on_the_page(kind: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "busy.toml"
    spec.write_text(BUSY_SPEC, encoding="utf-8")
    argv = [*COMMANDS[kind], "--hardware", str(spec)]
    out, err = run_main_expect(capsys, *argv, "--json")
    assert BUSY_LINE in " ".join(err.split())  # stderr, as before
    warnings = json.loads(out)["input_warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(BUSY_LINE)
    page = tmp_path / "page.html"
    run_main_expect(capsys, *argv, "--html", str(page))
    assert BUSY_LINE in _page_text(page)
    assert "<b>average</b>" not in page.read_text(encoding="utf-8")  # escaped, never markup


def test_a_quiet_spec_has_no_input_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "quiet.toml"
    spec.write_text(busy_node_spec(""), encoding="utf-8")
    for argv in COMMANDS.values():
        out, err = run_main_expect(capsys, *argv, "--hardware", str(spec), "--json")
        assert json.loads(out)["input_warnings"] == [] and "busy machine" not in err


def test_plan_infer_carries_a_busy_spec_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "busy.toml"
    spec.write_text(BUSY_SPEC, encoding="utf-8")
    argv = ["plan", "infer", "mlp", "--hardware", str(spec), "--dtype", "fp32", "--batch", "1"]
    out, err = run_main_expect(capsys, *argv, "--json")
    assert BUSY_LINE in " ".join(err.split())
    assert json.loads(out)["input_warnings"][0].startswith(BUSY_LINE)
    page = tmp_path / "page.html"
    run_main_expect(capsys, *argv, "--html", str(page))
    assert BUSY_LINE in _page_text(page)


def test_plan_infer_page_shows_the_notes_the_console_prints(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The page of `plan infer` dropped every note the console prints under its table (the run's and each
    device's: defaults used, an 'uncalibrated' label)."""
    argv = ["plan", "infer", "mlp", "--hardware", "h100-sxm", "--batch", "1"]
    out, _ = run_main_expect(capsys, *argv, "--json")
    doc = json.loads(out)
    notes = [*doc["notes"], *[n for d in doc["devices"] for n in d["notes"]]]
    assert notes, "the example run prints notes; pick a run that does"
    page = tmp_path / "page.html"
    run_main_expect(capsys, *argv, "--html", str(page))
    seen = _page_text(page)
    for n in notes:
        assert " ".join(n.split()) in seen, n


SERVE_ARGS = ["--model", "gpt3-125m", "--hardware", "h100-sxm", "--batch", "1"]


def _calibration_with_training_tables(tmp_path: Path) -> Path:
    path = tmp_path / "cal.toml"
    path.write_text('[serving.nvidia-hopper]\nmatch = ["h100*"]\ndecode_bandwidth_efficiency = 0.5\n\n'
                    '[family.mine]\nmatch = ["h100*"]\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [["plan", "serve", *SERVE_ARGS], ["validate", "--serving"]])
def test_unused_training_tables_warning_is_in_the_json_and_on_the_page(argv: list[str], tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cal = _calibration_with_training_tables(tmp_path)
    line = f"warning: {cal}: its [family.*] tables (training calibration) are not used by serving predictions"
    out, err = run_main_expect(capsys, *argv, "--calibration", str(cal), "--json")
    assert line in " ".join(err.split())
    # validate --serving's own 'default used:' lines (blank int4_group_size cells of the bundled rows) may come first
    assert any(w.startswith(line) for w in json.loads(out)["input_warnings"])
    page = tmp_path / "page.html"
    run_main_expect(capsys, *argv, "--calibration", str(cal), "--html", str(page))
    assert line in _page_text(page)
