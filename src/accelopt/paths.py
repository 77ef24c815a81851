"""Where accelopt keeps what it saves between runs (probed specs, run history)."""

from __future__ import annotations

import os
from pathlib import Path


def accelopt_home() -> Path:
    """$ACCELOPT_HOME, else ~/.accelopt (tests point it at a temporary folder)."""
    env = os.environ.get("ACCELOPT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".accelopt"
