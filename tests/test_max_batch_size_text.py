"""`plan serve --batch 64 --max-batch-size 16` said 'fix: ... or raise --max-batch-size (or leave it out: it caps
--rate runs)', but the default 2048 also caps --concurrency max and --batch max (serving.max_load_concurrency), and
a list you give is checked only against a --max-batch-size you give. The fix and --help now say what it caps."""

from __future__ import annotations

import pytest
from conftest import run_main

_SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--prompt", "128", "--output", "16",
          "--max-batch-size", "16"]


@pytest.mark.parametrize("flag", ["--batch", "--concurrency"])
def test_the_fix_names_every_run_the_default_caps(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_SERVE, flag, "64"], capsys)
    text = " ".join((out + err).split())
    assert code == 2, text
    assert (f"or leave it out: its default, 2048, caps only the requests in flight of --rate, --concurrency max "
            f"and --batch max runs, not a {flag} you give") in text
    assert "it caps --rate runs)" not in text


def test_help_says_what_it_caps(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_main(["plan", "serve", "--help"], capsys)
    assert code == 0
    words = " ".join(out.replace("│", " ").split())
    assert "caps the requests in flight of a --rate, --concurrency max or --batch max run" in words
    assert "left out, a list you give is not capped" in words


def test_the_default_caps_batch_max_as_concurrency_max(capsys: pytest.CaptureFixture[str]) -> None:
    """What the text claims: --batch max is capped by --max-batch-size as --concurrency max is."""
    import json

    for load in ("--batch", "--concurrency"):
        code, out, err = run_main([*_SERVE, load, "max", "--json"], capsys)
        assert code == 0, err
        assert [p["batch"] for s in json.loads(out)["results"] for p in s["points"]] == [16]
