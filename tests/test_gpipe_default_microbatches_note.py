"""`profile --nproc 2 --parallel pipeline --schedule gpipe` on a batch with no divisor from 2 to 4 (7 samples) ran
1 micro-batch (the default, the largest divisor of the batch up to 2 x stages) without a word: the two stages ran
one after the other, each idle half the step. The run's notes now say so, naming the batch, the micro-batches used
and the fix, in --json, --html and on the console from the same result (a real 2-rank gloo run, no baseline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MODELS = str(Path(__file__).with_name("dist_models.py"))


@pytest.fixture(autouse=True)
def _run_dirs_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_gpipe_on_a_prime_batch_says_it_ran_one_microbatch() -> None:
    from rich.console import Console

    from accelopt.distributed.launch import Launch
    from accelopt.distributed.run import DistConfig, profile_distributed
    from accelopt.report.distributed_view import html_tables, render
    from accelopt.report.jsonout import dumps

    cfg = DistConfig(bundle_ref=f"{MODELS}:mlp", bundle_kwargs={"batch_size": 7}, parallel="pipeline",
                     schedule="gpipe", steps=3, warmup=1, baseline=False)
    result = profile_distributed(cfg, Launch(nproc=2, timeout_s=120))
    assert result.microbatches == 1
    note = next(n for n in result.notes if n.startswith("the batch 7 has no divisor from 2 to 4"))
    assert "ran 1 micro-batch (the default" in note and "each stage idles for 50% of the step" in note
    assert "pass --microbatches 7" in note and "--batch-size a multiple of 4 (e.g. --batch-size 8)" in note
    assert note in json.loads(dumps(result))["notes"]  # --json
    assert note in html_tables(result)[0].note  # --html: the ranks table's note
    console = Console(width=1000, record=True)
    render(result, console)
    assert f"note: {note}" in console.export_text()  # the console


def test_a_given_microbatch_count_or_a_filled_pipeline_says_nothing() -> None:
    from types import SimpleNamespace

    from accelopt.distributed.run import DistConfig, microbatch_note

    bundle = SimpleNamespace(batch_size=8, meta={}, name="m")
    gpipe = DistConfig(bundle_ref="x:y", parallel="pipeline", schedule="gpipe")
    assert microbatch_note(gpipe, 4, 2, bundle) == []  # 8 = 4 x 2: a filled pipeline
    given = DistConfig(bundle_ref="x:y", parallel="pipeline", schedule="gpipe", microbatches=1)
    assert microbatch_note(given, 1, 2, bundle) == []  # asked for
    assert microbatch_note(gpipe, 8, 4, bundle) == []  # 8 from 4 to 8 stages x 2
