"""runner._agree_text's docstring shows the text it produces (it read "'; its top-1 ...'" while the code wrote
"' (its top-1 ...)'")."""
from types import SimpleNamespace

from accelopt.optimize import runner


def test_the_docstring_shows_what_agree_text_returns() -> None:
    r = SimpleNamespace(quality=SimpleNamespace(top1_agreement=0.125))
    text = runner._agree_text(r)  # type: ignore[arg-type]
    assert text == " (its top-1 predictions agree with the baseline's on 12.5%)"
    assert f"'{text}'" in (runner._agree_text.__doc__ or "")
