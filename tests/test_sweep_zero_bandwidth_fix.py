"""`simulate sweep --bandwidth-gbps 0` (a user reaching for 'no bandwidth limit') was told to write 'e.g. 25.6 or
100', without the spelling for unlimited that the flag takes (inf), which the out-of-range message already gave."""

from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_non_positive_bandwidth_names_inf(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["simulate", "sweep", "-m", "mlp", "--bandwidth-gbps", value], capsys)
    assert code == 2
    assert "must be a positive number of GB/s" in err and "inf for unlimited" in err
