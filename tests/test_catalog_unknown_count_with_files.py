"""With --catalog files, an unknown device said "`accelopt catalog list` lists all 43 devices": typed as shown it lists
the 42 built-in ones, not the file's. The hint now carries the --catalog files its count includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import UnknownNameError
from accelopt.hardware.catalog import default_catalog, load_catalog

_DEVICE = """[[device]]
name = "zeta-z1"
kind = "gpu"
peak_flop_per_s = { bf16 = [800e12, "Zeta Z1 datasheet rev A"] }
memory_bytes = [96e9, "Zeta Z1 datasheet rev A"]
memory_bandwidth_byte_per_s = [4e12, "Zeta Z1 datasheet rev A"]
"""


def test_the_list_command_shown_lists_the_devices_counted(tmp_path: Path) -> None:
    spec = tmp_path / "my dir" / "zeta.toml"
    spec.parent.mkdir()
    spec.write_text(_DEVICE, encoding="utf-8")
    with pytest.raises(UnknownNameError) as e:
        load_catalog([spec]).get("zeta-z2")
    n = len(default_catalog()) + 1
    assert f"`accelopt catalog list --catalog '{spec}'` lists all {n} devices" in e.value.fix


def test_without_files_the_plain_command_is_shown() -> None:
    with pytest.raises(UnknownNameError) as e:
        default_catalog().get("zeta-z2")
    assert f"`accelopt catalog list` lists all {len(default_catalog())} devices" in e.value.fix
