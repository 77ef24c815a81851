"""Write an AcceleratorSpec in the catalog TOML format (accelopt.hardware.catalog docstring)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from accelopt.errors import InputError
from accelopt.hardware.spec import NUMERIC_FIELDS


def _q(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def spec_toml(spec: Any) -> str:
    lines = ["# Written by `accelopt simulate export`: a simulated design, not a shipping device.", "",
             "[[device]]", f"name = {_q(spec.name)}", f"display_name = {_q(spec.display_name)}",
             f"kind = {_q(spec.kind)}", f"vendor = {_q(spec.vendor)}"]
    peaks = ", ".join(f"{d} = [{v!r}, {_q(spec.sources.get(f'peak_flop_per_s.{d}', 'simulated design'))}]"
                      for d, v in spec.peak_flop_per_s.items())
    lines.append(f"peak_flop_per_s = {{ {peaks} }}")
    for f in NUMERIC_FIELDS:
        v = getattr(spec, f)
        if v is not None and f in spec.sources:
            lines.append(f"{f} = [{float(v)!r}, {_q(spec.sources[f])}]")
    if spec.notes:
        lines.append(f"notes = {_q(spec.notes)}")
    return "\n".join(lines) + "\n"


def write_spec_toml(spec: Any, path: Path | str) -> None:
    """Write the spec; an unwritable path is an InputError naming it (the parent folder must exist)."""
    write_text(spec_toml(spec), path, spec.name + ".toml")


def write_text(text: str, path: Path | str, example_name: str = "design.cfg") -> None:
    """Write `text` to --out `path`; a folder, a missing parent or an unwritable path is an InputError."""
    from accelopt.userio import check_writable

    p = check_writable(path, "--out")
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write --out {p}: {e.strerror}", "choose a writable path") from None
