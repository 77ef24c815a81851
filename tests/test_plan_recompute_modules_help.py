"""`plan --help`'s --recompute-modules said 'its recompute axis stays none / selective / full' after `plan
--recompute LIST` (ut3plan, 2026-12-06) made that axis the user's to choose: the help names --recompute now (rev2)."""

from __future__ import annotations

from accelopt.cli.plan import RECOMPUTE_MODULES_HELP


def test_the_recompute_modules_help_names_the_recompute_axis_option() -> None:
    assert "axis stays" not in RECOMPUTE_MODULES_HELP
    assert "each mode its --recompute searches (default none / selective / full)" in RECOMPUTE_MODULES_HELP
