"""Logging for every rightsdesk process, with personal codes scrubbed from every record.

Libraries we use (pyHanko, certvalidator) log certificate subjects, which carry the
ETSI semantics identifier (``PNOLV-110187-12529``) and so a personal code. A personal
code must never reach the logs at info level or above, whoever wrote the log line.
"""

from __future__ import annotations

import logging
import re

_PERSONAL_CODE = re.compile(
    r"\b(?:PNO|IDC|PAS|NTR)[A-Z]{2}-[0-9A-Z-]{4,}\b"  # ETSI EN 319 412-1 semantics identifiers
    r"|\b\d{6}-?\d{5}\b"  # a bare Latvian personal code (pre-2017 certificates carry it so)
)


def scrub(text: str) -> str:
    return _PERSONAL_CODE.sub("[personal code]", text)


class ScrubPersonalCodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks carry exception messages with certificate subjects; keep the type only.
            error = record.exc_info[1]
            record.exc_info = None
            record.exc_text = None
            record.msg = f"{record.msg} ({type(error).__name__}: {scrub(str(error))})"
        return True


def configure_logging(level: str = "WARNING") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubPersonalCodes())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Migration chatter is for `db upgrade` runs, not for every start.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
