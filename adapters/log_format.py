"""How `forumbot` writes its logs: plain lines, or one JSON object per line for collectors.

`FORUMBOT_LOG_FORMAT=json` gives `{"time", "level", "logger", "message", "pid"}` and, for a
logged exception, `"exception"` (its type) and `"traceback"`. What a message may carry is
the callers' rule: ids, types, statuses and counts, never secrets, codes or members' data.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": os.getpid(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    """Send records at `level` and above to standard error in `log_format` (`text`, `json`).

    Like `logging.basicConfig`, it leaves a root logger that already has handlers alone.
    """
    handler = logging.StreamHandler(sys.stderr)
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
