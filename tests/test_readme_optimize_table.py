"""README's 'Optimize techniques' table (the compression and power techniques 'with their options (a recipe's params
for the technique; defaults shown)') names every such technique, its family and each recipe option with the default
the code reads (optimize/*.py `option_specs`), so a changed default or a new option cannot leave the table stale.
"""

from __future__ import annotations

import re
from pathlib import Path

from accelopt.optimize.base import all_techniques

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
FAMILIES = ("quantization", "pruning", "distillation", "power")
"""The families the table lists ('The compression and power techniques')."""


def _rows() -> dict[str, tuple[str, str]]:
    """technique -> (family, 'what it does' cell) of the README table."""
    table = re.search(r"\| technique \| family \| what it does \| applies \|\n\|[-|]+\|\n((?:\|.*\|\n)+)", README)
    assert table, "README.md's 'Optimize techniques' table changed: update this test"
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| ([a-z-]+) \| (.*?) \| .*? \|$", table[1], re.M)
    return {name: (family, what) for name, family, what in rows}


def _written(text: str) -> object:
    """A default as the table writes it ('0.5', '1e-3', 'false', '128') as a Python value."""
    return {"false": False, "true": True}.get(text, float(text) if re.fullmatch(r"[\d.e+-]+", text) else text)


def test_the_table_lists_every_compression_and_power_technique() -> None:
    rows = _rows()
    techniques = all_techniques()
    listed = {name for name, cls in techniques.items() if cls.family in FAMILIES}
    assert set(rows) == listed, (sorted(set(rows) - listed), sorted(listed - set(rows)))
    for name, (family, _) in rows.items():
        assert family == techniques[name].family, name


def test_every_option_is_named_with_its_default() -> None:
    techniques = all_techniques()
    for name, (_, what) in _rows().items():
        specs = techniques[name].option_specs
        quoted = dict(re.findall(r"`([a-z_]+)` ([\w.+-]+)", what))
        named = set(re.findall(r"`([a-z_]+)`", what))
        assert set(specs) <= named, f"{name}: options {sorted(set(specs) - named)} not in README's table row"
        for option, value in quoted.items():
            if option not in specs:
                continue  # a word after another code span (`nn.Linear`): not one of its options
            default = specs[option].default
            assert _written(value) == default, f"{name}: README writes `{option}` {value}, the default is {default!r}"
        for option, spec in specs.items():  # a default that is a figure is written beside its name
            if spec.default not in (None, 0) and not isinstance(spec.default, bool):
                assert option in quoted, f"{name}: README names `{option}` without its default {spec.default!r}"
