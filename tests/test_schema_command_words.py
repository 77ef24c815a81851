"""`accelopt schema plan serve` (the words of the command whose --json a new user wants) stopped on click's 'Got
unexpected extra argument(s) (serve)', with a fix naming neither the kind nor `--list`. It now names the kind those
words mean, and other extra words get the closest kinds."""
from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize(("words", "kind"), [(["plan", "serve"], "plan-serve"), (["simulate", "run"], "simulate-run"),
                                             (["History", "List"], "history-list"),
                                             (["catalog", "compare", "--json"], "catalog-compare")])
def test_a_commands_words_name_its_kind(words: list[str], kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["schema", *words], capsys)
    assert code == 2, err
    assert "extra argument" not in err
    assert f"fix: run `accelopt schema {kind}`" in err
    assert out == "" or '"accelopt.error"' in out  # --json: the error document, never a schema


def test_other_extra_words_get_the_closest_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["schema", "simulate", "runs"], capsys)
    assert code == 2 and out == ""
    assert "no result schema named 'simulate runs'" in err and "did you mean 'simulate-run'" in err


def test_one_kind_and_options_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["schema", "plan-serve"], capsys)
    assert code == 0 and '"$id": "accelopt.plan-serve"' in out
    code, out, err = run_main(["schema", "plan-serve", "--bogus"], capsys)
    assert code == 2 and "No such option: --bogus" in err
    code, out, err = run_main(["schema", "--list", "plan", "serve"], capsys)  # never a list with a kind dropped
    assert code == 2 and out == "" and "plan-serve" in err
