"""--model naming a file on disk that is not a .json config (uplan3, 2026-12-01): a device spec TOML passed as the
model was answered 'unknown model' with every preset listed, as if the path were a mistyped preset name."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.cli.main import main
from accelopt.errors import InputError
from accelopt.workload.presets import get_model


def test_toml_file_as_model_says_where_it_goes(tmp_path: Path) -> None:
    spec = tmp_path / "my_gpu.toml"
    spec.write_text("[[device]]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        get_model(str(spec))
    assert "is a file, but not a .json config" in e.value.problem
    assert "--hardware" in e.value.fix and "llama3-8b" not in e.value.fix


@pytest.mark.parametrize("cmd", [["plan"], ["plan", "serve"]])
def test_cli_exit_2_without_preset_list(cmd: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "config.txt"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        main([*cmd, "--model", str(other)])
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert "not a .json config" in err and "rename it to .json" in err and "llama3-8b" not in err
    assert "Traceback" not in err
