"""A file refused as a whole."""

from __future__ import annotations


class ExchangeFileError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"{message} (ligne {line})")
        self.message = message
        self.line = line
