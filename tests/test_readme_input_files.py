"""Every input file a README.md command line names is one a new user has (ut3readme, 2026-12-06): a file of the
repository (`examples/my_model.py`), one an earlier command line writes (`--save`, `--out`, `--save-workload`,
`--save-topology`; a file in a folder `optimize --save` writes), or a stand-in for the user's own file that the
line's comment says is theirs or where it comes from. Walking the README on a fresh clone, `accelopt catalog list
--catalog examples/my_accelerator.toml --catalog my_probe.toml` stopped with "--catalog file my_probe.toml does not
exist" (no line before it writes one, nor said that `probe --save` does), and `accelopt profile my.py:build ...`
named a file the clone does not hold.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import readme_command_lines

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
OUTPUT_OPTIONS = {"--save", "--out", "--save-workload", "--save-topology", "--html", "--trace"}
FILE = re.compile(r"\.(toml|csv|json|cfg|py)$")


def _command_lines() -> list[tuple[str, str]]:
    """(command, comment) of each `accelopt ...` in README's example lines (conftest.readme_command_lines), optional
    `[...]` parts dropped (they are the syntax, not an example)."""
    return [(re.sub(r"\[[^\]]*\]", "", c), comment) for c, comment in readme_command_lines(README)]


def _missing_inputs() -> list[str]:
    written: set[str] = set()
    missing = []
    for command, comment in _command_lines():
        words = command.replace("&&", " ").replace(";", " ").split()
        for before, word in zip(["", *words], words, strict=False):
            path = word.split(":")[0].rstrip("/")
            if before in OUTPUT_OPTIONS:
                written.add(path)
                continue
            has = (ROOT / path).exists() or path in written or Path(path).parent.as_posix() in written
            if not FILE.search(path) or has:
                continue
            if path in comment or re.search(r"\b(your|own)\b", comment):
                continue
            missing.append(f"{path}  (README: {command[:90]})")
    return missing


def test_the_parse_sees_inputs_and_outputs() -> None:
    lines = _command_lines()
    assert any("examples/my_accelerator.toml" in c for c, _ in lines)
    assert any("--save-workload w.json" in c for c, _ in lines)
    assert any("SCALE-Sim" in comment for _, comment in lines)


def test_every_input_file_of_a_readme_command_exists_or_is_explained() -> None:
    missing = _missing_inputs()
    assert not missing, "\n".join(missing)
