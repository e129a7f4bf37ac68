"""A one-line progress bar for long commands, redrawn in place on a terminal."""

from __future__ import annotations

from typing import TextIO


class ProgressBar:
    """Called as `bar(done, total)`; redraws only when the shown percentage changes."""

    def __init__(self, stream: TextIO, label: str, width: int = 30) -> None:
        self._stream = stream
        self._label = label
        self._width = width
        self._shown: int | None = None

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent == self._shown:
            return
        self._shown = percent
        filled = self._width * percent // 100
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {percent:3d}% {done:,}/{total:,}")
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line, if one was drawn."""
        if self._shown is not None:
            self._stream.write("\n")
            self._stream.flush()
