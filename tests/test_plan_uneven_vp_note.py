"""An interleaved layout whose pp x vp chunks do not split the layers evenly is timed and sized with
ceil(L / (p v)) x v layers on the busiest rank (gpt3-350m, pp 2, vp 5: 15 where 12 would do): an upper bound,
now said under `plan explain` and `plan` and in --vp's help (before: said nowhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app
from accelopt.predict.query import uneven_vp_note


def test_note_only_when_the_count_exceeds_what_a_rank_needs() -> None:
    note = uneven_vp_note(24, 2, 5)
    assert note is not None and "ceil(24 / 10) x 5 = 15 layers where 12 would do" in note and "upper bound" in note
    assert uneven_vp_note(24, 2, 4) is None  # 24 / 8 = 3 per chunk: even
    assert uneven_vp_note(25, 5, 1) is None  # no interleaving: ceil(L / p) is what the busiest rank holds
    assert uneven_vp_note(24, 2, 5, edge_stage_layers=3) is None  # --edge-stage-layers has its own rule


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


@pytest.mark.parametrize(("vp", "noted"), [(5, True), (4, False)])
def test_explain_notes_it(vp: int, noted: bool) -> None:
    d = _json(["plan", "explain", "--model", "gpt3-350m", "--hardware", "h100-sxm", "--devices", "8", "--pp", "2",
               "--vp", str(vp), "--json"])
    assert any("upper bound" in n and "chunks do not split" in n for n in d["notes"]) is noted


def test_plan_notes_every_uneven_row_shown(tmp_path: Path) -> None:
    cfg = tmp_path / "config.json"  # 26 layers: pp 2 x vp 2 = 4 chunks of ceil(6.5) = 7, 14 layers where 13 do
    cfg.write_text(json.dumps({"model_type": "gpt2", "n_layer": 26, "n_embd": 1024, "n_head": 16, "vocab_size": 50257,
                               "n_positions": 1024}), encoding="utf-8")
    d = _json(["plan", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "16", "--top", "500", "--json"])
    uneven = {(r["layout"]["pp"], r["layout"]["vp"]) for r in d["best"]
              if uneven_vp_note(26, r["layout"]["pp"], r["layout"]["vp"])}
    assert uneven  # the search does rank such layouts
    for pp, vp in uneven:
        assert any(f"pp {pp} x vp {vp} = " in n for n in d["notes"]), (pp, vp)
