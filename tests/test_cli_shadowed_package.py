"""`python -m accelopt ...` run in a folder that holds a file named after a package accelopt imports (torch.py): Python
puts the current folder first on sys.path, so that file is imported in the package's place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import accelopt

SRC = str(Path(accelopt.__file__).resolve().parents[1])


def test_a_torch_py_in_the_current_folder_is_named_not_a_traceback(tmp_path: Path) -> None:
    """`accelopt env` beside the user's own torch.py printed a traceback ending in 'cannot import name 'nn' from
    partially initialized module 'torch''; it now names the file that hides torch, and how to get out of the way."""
    (tmp_path / "torch.py").write_text("from torch import nn\n")
    env = {**os.environ, "PYTHONPATH": SRC, "ACCELOPT_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "accelopt", "env"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"{tmp_path / 'torch.py'} hides the Python package 'torch'" in " ".join(run.stderr.split())
    assert "rename" in run.stderr



def test_a_package_built_elsewhere_is_not_blamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a file in the folder Python searched first hides a package: a source build's own ImportError
    (/src/pytorch/torch/__init__.py) is not reported as one."""
    from accelopt.cli.main import _shadowing_file

    monkeypatch.chdir(tmp_path)
    elsewhere = ImportError("cannot import name 'x'", name="torch", path="/src/pytorch/torch/__init__.py")
    assert _shadowing_file(elsewhere) is None
    here = ImportError("cannot import name 'nn'", name="torch", path=str(tmp_path / "torch.py"))
    assert _shadowing_file(here) == str(tmp_path / "torch.py")
