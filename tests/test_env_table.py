"""`accelopt env`'s table shows what its JSON holds that a bug report needs: torch's CPU threads (every CPU figure
depends on them) and the machine architecture were in `env --json` only."""

from __future__ import annotations

import re

import pytest
import torch

from accelopt.cli.main import main


def test_env_table_shows_threads_and_machine(capsys: pytest.CaptureFixture[str]) -> None:
    import platform

    with pytest.raises(SystemExit) as e:
        main(["env"])
    out, _ = capsys.readouterr()
    assert e.value.code == 0
    assert re.search(rf"torch threads\s*│\s*{torch.get_num_threads()}\b", out), out
    assert re.search(rf"platform\s*│.*\({re.escape(platform.machine())}\)", out), out
