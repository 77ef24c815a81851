"""`plan serve --html` shows the numbers the console prints: the page wrote decode and end-to-end tokens/s at three
significant digits with a unit ('105 tok/s', '5.04 ktok/s') where the console prints 104.7 and 5,039, and headed a
--concurrency table 'batch' where the console says 'concurrency'."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main


def _page_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    cell = r"<t[dh][^>]*>(.*?)</t[dh]>"
    return [[html.unescape(re.sub("<[^>]+>", "", c)).strip() for c in re.findall(cell, tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", text, re.S)]


@pytest.mark.parametrize("load", ["--batch", "--concurrency"])
def test_the_serve_page_has_the_consoles_cells(load: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", load, "1,64",
                               "--prompt", "1024", "--output", "128", "--html", str(page)], capsys)
    assert code == 0, err
    console_cells = {c.strip() for ln in out.splitlines() if ln.startswith("│") for c in ln.split("│")}
    rows = _page_rows(page)
    head = next(r for r in rows if "TTFT" in r)
    assert head[0] == ("concurrency" if load == "--concurrency" else "batch")
    points = [r for r in rows if r and r[0] in ("1", "64") and len(r) == len(head)]
    assert len(points) == 2
    for r in points:
        for col in ("decode tok/s", "e2e tok/s/dev", "TTFT", "TPOT"):
            assert r[head.index(col)] in console_cells, (col, r[head.index(col)], sorted(console_cells))


def test_a_rate_sweep_names_each_rows_rate_and_queue_wait(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --rate 1,4` printed rows keyed 'concurrency 4, 17' with neither the rate each row answers nor the
    M/D/1 queue wait inside its TTFT, which the JSON holds (request_rate_per_s, queue_wait_s): console and page now
    carry both, the JSON's figures."""
    import json

    page = tmp_path / "serve.html"
    argv = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--rate", "1,4", "--prompt", "1024",
            "--output", "128"]
    code, out, err = run_main([*argv, "--html", str(page)], capsys)
    assert code == 0, err
    code, doc, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    points = json.loads(doc)["results"][0]["points"]
    console_rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in out.splitlines() if ln.startswith("│")]
    head = next(r for r in _page_rows(page) if "TTFT" in r)
    assert head[:3] == ["rate", "queue wait", "concurrency"]
    page_rows = [r for r in _page_rows(page) if len(r) == len(head) and r[0].endswith("req/s")]
    from accelopt.report.plan_warnings import fmt_queue_wait

    for rows in (console_rows, page_rows):
        assert [r[0] for r in rows] == ["1 req/s", "4 req/s"]
        assert [r[1] for r in rows] == [fmt_queue_wait(p["queue_wait_s"]) for p in points]
        assert [r[2] for r in rows] == [str(p["batch"]) for p in points]
    assert [p["request_rate_per_s"] for p in points] == [1.0, 4.0]


def test_one_output_token_says_what_its_tpot_column_holds(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --output 1` printed TPOT 8.14 ms and decode tok/s 122.9 though no token is decoded and its own
    caption's TPOT = (E2E - TTFT) / (output - 1) is 0 / 0: the decode step standing in is now said (console and
    JSON notes, 'default used:'); longer outputs get no such note."""
    import json

    argv = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "1024"]
    code, out, err = run_main([*argv, "--output", "1", "--json"], capsys)
    assert code == 0, err
    note = [n for n in json.loads(out)["notes"] if "--output 1 decodes no token" in n]
    assert len(note) == 1 and note[0].startswith("default used:") and "one decode step" in note[0]
    code, out, err = run_main([*argv, "--output", "1"], capsys)
    assert code == 0 and "--output 1 decodes no token" in " ".join(out.split())
    code, out, err = run_main([*argv, "--output", "2", "--json"], capsys)
    assert code == 0 and not [n for n in json.loads(out)["notes"] if "decodes no token" in n]


def test_a_queue_wait_below_the_resolution_is_said_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --rate` at a low rate printed a queue wait of a few ns (432 ns at 0.0001 req/s), noise beside a TTFT
    of tens of ms: below 0.01 ms (the resolution vLLM's benchmark_serving prints TTFT to) the console and the page
    say '< 10 µs', the caption says why, and the JSON keeps the figure."""
    import json

    page = tmp_path / "serve.html"
    argv = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--rate", "0.0001,1"]
    code, out, err = run_main([*argv, "--html", str(page)], capsys)
    assert code == 0, err
    code, doc, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    waits = [p["queue_wait_s"] for p in json.loads(doc)["results"][0]["points"]]
    assert 0 < waits[0] < 1e-5 < waits[1]
    console_rows = [[c.strip() for c in ln.split("│")[1:-1]] for ln in out.splitlines() if ln.startswith("│")]
    head = next(r for r in _page_rows(page) if "TTFT" in r)
    page_rows = [r for r in _page_rows(page) if len(r) == len(head) and r[0].endswith("req/s")]
    for rows in (console_rows, page_rows):
        assert rows[0][1] == "< 10 µs"
        assert rows[1][1].endswith(("µs", "ms")) and not rows[1][1].startswith("<")
    assert "printed as '< 10 µs'" in " ".join(out.split())
    assert "printed as '< 10 µs'" in html.unescape(page.read_text(encoding="utf-8"))
