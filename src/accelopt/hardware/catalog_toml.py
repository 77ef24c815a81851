"""The one writer of catalog TOML (the format accelopt.hardware.catalog reads), through tomli-w.

Used by `probe --save` (a measured spec) and `simulate export` (a simulated design). A number is written as
`[value, "source"]`, as the catalog expects; a non-finite number is refused (TOML's inf/nan would load as a
figure that means nothing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from accelopt.errors import InputError


def sourced(value: float, source: str) -> list[Any]:
    """A catalog number: [value, source]; InputError for NaN or infinity."""
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"non-finite value {value!r} for {source!r} in a catalog entry",
                         "a spec needs finite numbers: re-measure or fix the design")
    return [v, source]


def catalog_toml(device: Mapping[str, Any], *, sources: Mapping[str, str] | None = None, comment: str = "") -> str:
    """One `[[device]]` (with an optional `[sources]` table of named citations) as TOML text; each line of
    `comment` becomes a `#` line at the top."""
    import tomli_w

    doc: dict[str, Any] = {}
    if sources:
        doc["sources"] = dict(sources)
    doc["device"] = [dict(device)]
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    return head + ("\n" if head else "") + tomli_w.dumps(doc)
