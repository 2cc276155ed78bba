"""The one refusal of a whole exchange file.

A file is refused whole when it cannot be read as the format it claims to be: not XML,
malformed (with the line), the wrong kind of file (another root element), a DOCTYPE or an
entity declaration, an archive that is not one plain XML file, or too big. Problems of one
record do not stop a file: readers yield them as ``exchanges.records.RecordProblem``.
"""

from __future__ import annotations


class ExchangeFileError(Exception):
    """A file refused whole; ``message`` is French and shown as is, ``line`` when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message
