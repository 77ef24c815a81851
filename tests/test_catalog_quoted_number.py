"""A catalog number written in quotes (`memory_bytes = ["4.8e10", "sheet"]`: the figure right, TOML reads it as
text) was answered with an unrelated example, 'write memory_bytes = [number in SI units, "source"], e.g. [48e9,
"my datasheet"] for 48 GB'; the fix now writes the user's own number without the quotes."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

DEVICE = """[[device]]
name = "q1"
kind = "asic"
vendor = "me"
peak_flop_per_s = {{ bf16 = [65.5e12, "sheet"] }}
memory_bandwidth_byte_per_s = [1.6e12, "sheet"]
memory_bytes = {memory}
"""


@pytest.mark.parametrize(("memory", "fix"), [
    ('["4.8e10", "sheet"]', 'write memory_bytes = [4.8e10, "sheet"]: the number without quotes'),
    ('[" 48000000000 ", "sheet"]', 'write memory_bytes = [48000000000, "sheet"]: the number without quotes'),
    ('"48e9"', 'write memory_bytes = [48e9, "source"]: the number without quotes'),
])
def test_a_quoted_number_is_answered_with_itself_unquoted(memory: str, fix: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.toml"
    path.write_text(DEVICE.format(memory=memory))
    code, _, err = run_main(["catalog", "show", "q1", "--catalog", str(path)], capsys)
    assert code == 2
    assert f"fix: {fix}" in err


def test_unit_text_and_words_keep_their_fixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.toml"
    for memory, fix in (('["48 GiB", "sheet"]', 'write memory_bytes = [51539607552, "sheet"]: 48 GiB = 48 x 2**30 B'),
                        ('["nan", "sheet"]', 'e.g. [48e9, "my datasheet"] for 48 GB'),
                        ('["lots", "sheet"]', 'e.g. [48e9, "my datasheet"] for 48 GB')):
        path.write_text(DEVICE.format(memory=memory))
        code, _, err = run_main(["catalog", "show", "q1", "--catalog", str(path)], capsys)
        assert code == 2 and fix in err, err
