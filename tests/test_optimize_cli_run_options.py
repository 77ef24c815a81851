"""Every RunOptions field reaches the command line: --block-s, --warmup, --quality-steps, --combinations and
--profile-bounds/--no-profile-bounds were library-only (the brief: what the library can do, the CLI can say)."""

from __future__ import annotations

import json

import pytest
from conftest import run_main


def test_the_run_options_reach_the_runner(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.optimize import runner

    seen = {}
    real = runner.run_optimize

    def spy(bundle, opts):  # type: ignore[no-untyped-def]
        seen.update(block_s=opts.block_s, warmup=opts.warmup, quality_steps=opts.quality_steps,
                    combinations=opts.combinations, profile_bounds=opts.profile_bounds)
        return real(bundle, opts)

    monkeypatch.setattr(runner, "run_optimize", spy)
    # --mode train: --quality-steps is refused in inference mode, where it does nothing
    code, out, err = run_main(["optimize", "mlp", "--mode", "train", "--only", "bf16", "--rounds", "3",
                               "--block-s", "0.02", "--warmup", "1", "--quality-steps", "4", "--combinations", "0",
                               "--no-profile-bounds", "--budget-min", "1", "--json"], capsys)
    assert code == 0, err
    assert seen == {"block_s": 0.02, "warmup": 1, "quality_steps": 4, "combinations": 0, "profile_bounds": False}
    doc = json.loads(out)
    assert all(v.get("gain_bound") is None for v in doc["variants"])  # no profile: no 'gain up to' bound
    assert all("+" not in v["name"] for v in doc["variants"])  # --combinations 0: no pairs


@pytest.mark.parametrize(("args", "says"), [
    (["--block-s", "0"], "--block-s 0 is outside 0.001..60 seconds"),  # the number as typed (leftovers)
    (["--warmup", "-1"], "--warmup -1 is outside 0..1000"),
    (["--combinations", "5000"], "--combinations 5000 is outside 0..1000"),
    (["--quality-steps", "-3"], "--quality-steps -3 is outside 0..100000"),
])
def test_bad_run_options_exit_2(args: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "mlp", *args], capsys)
    assert code == 2 and says in " ".join(err.split()), err
