"""DDP of a model whose parameters' use changes after the first batch (layer drop, a step-dependent branch, an MoE
expert given no tokens).

utdist3 (2026-12-05): `profile --nproc 2 --parallel ddp` turns DDP's find_unused_parameters on only when the first
batch leaves a trainable parameter without a gradient. A model that used every parameter in the first batch and
skipped a branch later crashed every rank with torch's 'Expected to have finished reduction in the prior iteration
... You can enable unused parameter detection by passing the keyword argument `find_unused_parameters=True`', named
by index, under the fix 'fix the error in the model or its data on that rank': an argument the user could not pass.
Now the error names the parameters and the step, and the fix is `--find-unused-parameters`, which runs DDP with
find_unused_parameters=True (a note says so) and trains as the one-process run does: each step's loss within a
relative 1e-4 of it (the tolerance of tests/test_distributed_runs.py, float reassociation of a sum split over
ranks)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.launch import Launch
from accelopt.distributed.run import FIND_UNUSED_NOTE, DistConfig, DistributedFailed, profile_distributed
from accelopt.distributed.worker import late_unused_problem
from accelopt.errors import InputError

MODELS = str(Path(__file__).with_name("dist_models.py"))
LOSS_RTOL = 1e-4
NAMES = ["main.weight", "main.bias", "aux.weight", "aux.bias"]


pytestmark = pytest.mark.usefixtures("run_dirs_in_tmp")


def _cfg(**kw: Any) -> DistConfig:
    return DistConfig(bundle_ref=f"{MODELS}:skips_later", parallel="ddp", steps=3, warmup=1, profile_steps=1, **kw)


def test_torchs_indices_and_names_become_the_parameters_names() -> None:
    torch_says = ("Expected to have finished reduction in the prior iteration before starting a new one. ...\n"
                  "Parameter indices which did not receive grad for rank 1: 2 3\n In addition, you can set ...")
    assert "(aux.weight, aux.bias) got no gradient in step 2 " in late_unused_problem(torch_says, NAMES, 2)
    debug_says = "Parameters which did not receive grad for rank 0: aux.bias, aux.weight\nParameter indices ..."
    assert "(aux.bias, aux.weight) got no gradient" in late_unused_problem(debug_says, NAMES, 5)
    assert "trainable parameters got no gradient in step 3" in late_unused_problem("no list here", NAMES, 3)


def test_a_branch_skipped_after_the_first_batch_is_named_with_the_flag_that_runs_it() -> None:
    with pytest.raises(DistributedFailed) as caught:
        profile_distributed(_cfg(), Launch(nproc=2, timeout_s=240))
    e = caught.value
    assert isinstance(e, InputError), e.problem  # the user's model, not accelopt's fault: exit 2 with its fix
    assert re.search(r"\(aux\.weight, aux\.bias\) got no gradient in step [2-6] ", e.problem), e.problem
    assert e.fix.startswith("pass --find-unused-parameters"), e.fix
    assert all(r.warmup_done == 1 for r in e.partial.ranks)  # the steps before it are kept


def test_find_unused_parameters_trains_it_as_one_process_does() -> None:
    r = profile_distributed(_cfg(find_unused_parameters=True), Launch(nproc=2, timeout_s=240))
    assert r.single is not None
    for rank in r.ranks:
        assert rank.losses == pytest.approx(r.single.losses, rel=LOSS_RTOL)
        assert rank.unused_parameters == []  # the first batch used them all: the flag, not the check, turned it on
    assert FIND_UNUSED_NOTE in r.notes


@pytest.mark.parametrize(("extra", "said"), [
    (["--nproc", "2", "--parallel", "fsdp"], "applies to --parallel ddp only, not fsdp"),
    (["--nproc", "2", "--parallel", "pipeline"], "applies to --parallel ddp only, not pipeline"),
    ([], "--find-unused-parameters applies to distributed runs only"),
])
def test_the_flag_is_refused_where_it_would_be_ignored(extra: list[str], said: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["profile", f"{MODELS}:skips_later", "--find-unused-parameters", *extra], capsys)
    assert code == 2 and said in " ".join(err.split()), err


def test_the_cli_note_and_json_say_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", f"{MODELS}:skips_later", "--nproc", "2", "--steps", "3", "--warmup", "1",
                               "--find-unused-parameters", "--json"], capsys)
    assert code == 0, err
    assert FIND_UNUSED_NOTE in json.loads(out)["notes"]


def test_one_distributed_flag_without_nproc_is_called_it(capsys: pytest.CaptureFixture[str]) -> None:
    # 'fix: add --nproc N (e.g. --nproc 2), or leave them out' named one flag as several
    code, _out, err = run_main(["profile", f"{MODELS}:skips_later", "--find-unused-parameters"], capsys)
    assert code == 2 and "or leave it out" in err, err
    code, _out, err = run_main(["profile", f"{MODELS}:skips_later", "--find-unused-parameters", "--parallel", "ddp"],
                               capsys)
    assert code == 2 and "or leave them out" in err, err
