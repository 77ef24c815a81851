"""Write an AcceleratorSpec in the catalog TOML format (accelopt.hardware.catalog docstring)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelopt.errors import InputError
from accelopt.hardware.catalog_toml import catalog_toml, sourced
from accelopt.hardware.spec import NUMERIC_FIELDS

NO_TDP_LINE = ("no TDP: a simulated design has no power figure, so `plan` and `plan infer` print its energy, "
               "J/inference and carbon n/a; give `simulate export --tdp-w WATTS`, or add tdp_w = [WATTS, \"source\"] "
               "to the [[device]] table")
"""Said beside an exported spec without tdp_w (the export's text and the file's header comment)."""


def spec_toml(spec: Any) -> str:
    """The spec as one catalog `[[device]]`: its peaks, and every numeric field that has a source."""
    device: dict[str, Any] = {"name": spec.name, "display_name": spec.display_name, "kind": spec.kind,
                              "vendor": spec.vendor}
    device["peak_flop_per_s"] = {d: sourced(v, spec.sources.get(f"peak_flop_per_s.{d}", "simulated design"))
                                 for d, v in spec.peak_flop_per_s.items()}
    for f in NUMERIC_FIELDS:
        v = getattr(spec, f)
        if v is not None and f in spec.sources:
            device[f] = sourced(v, spec.sources[f])
    if spec.inference_curve:  # the design's own op-size curve for `plan infer` (simulate/calibration.py)
        device["inference_curve"] = {k: sourced(v, spec.sources[f"inference_curve.{k}"])
                                     for k, v in spec.inference_curve.items()}
    if spec.notes:
        device["notes"] = spec.notes
    comment = "Written by `accelopt simulate export`: a simulated design, not a shipping device."
    if spec.tdp_w is None:  # a design has no power figure: said in the file, not left silently absent
        comment += f"\n{NO_TDP_LINE}"
    return catalog_toml(device, comment=comment)


def write_spec_toml(spec: Any, path: Path | str) -> None:
    """Write the spec; an unwritable path is an InputError naming it (the parent folder must exist), and so is a
    spec the catalog loader would refuse (a design named 'a,b' or 'all' was written, then every command refused the
    file): nothing is written then."""
    text = spec_toml(spec)
    _check_loads(text, spec.name, path)
    write_text(text, path, spec.name + ".toml")


def _check_loads(text: str, name: str, path: Path | str) -> None:
    """An InputError naming the design when the catalog loader refuses the spec TOML `text` (as probe checks its)."""
    from accelopt.hardware.catalog import load_file

    try:
        load_file(path, text)
    except InputError as e:
        raise InputError(f"design {name!r} would export as a device the catalog refuses: {e.problem}",
                         f"{e.fix} (the design's name is the device's: rename the design)") from None


def write_text(text: str, path: Path | str, example_name: str = "design.cfg") -> None:
    """Write `text` to --out `path`, with its accelopt-sha256 line (userio.with_digest: a rerun refuses to replace
    a file edited since); a folder, a missing parent or an unwritable path is an InputError."""
    from accelopt.userio import check_writable, with_digest, write_text_whole

    p = Path(path)
    check_writable(p, "--out", example_name)
    try:
        write_text_whole(p, with_digest(text))  # all or nothing: a Ctrl-C leaves the earlier file
    except OSError as e:
        raise InputError(f"cannot write --out {p}: {e.strerror}", "choose a writable path") from None
