"""The `--json` document of a command that stopped on an error (bad input, exit 2): typed and versioned, with a JSON
Schema (`accelopt schema error`). A script that runs `accelopt ... --json` reads stdout as JSON; on an error it got
nothing there (the error and its fix went to stderr alone), so `json.loads` failed on an empty string instead of
reading why. Not a run: not recorded, no HTML page (accelopt.report.schema.DOCUMENT_CLASSES). stderr still carries
the error and its fix as before."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True, kw_only=True)
class ErrorDocument:
    """`accelopt COMMAND ... --json` that stopped on an error before printing its result (exit status 2)."""

    SCHEMA_KIND: ClassVar[str] = "error"
    SCHEMA_VERSION: ClassVar[int] = 1

    command: str = field(metadata={"doc": "the command as typed, without its options (e.g. 'accelopt plan serve')"})
    error: str = field(metadata={"doc": "what is wrong, as the 'error:' line on stderr says it"})
    fix: str = field(metadata={"doc": "what to do about it, as the 'fix:' line on stderr says it ('' when none)"})
    exit_status: int = field(metadata={"doc": "the exit status the command ends with (2: bad input)"})
