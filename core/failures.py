"""Unexpected failures: logged here with their traceback under a short reference, which is all
the caller is told.

An exception's text can hold SQL, table names or personal data: it stays in the
server's log. The client gets a generic message carrying the reference, so that
a user can quote it and the operator find the traceback. A database that cannot
be reached is told apart (``database_unavailable``): the answer is then 503,
"try again later", rather than an error of the product.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3

logger = logging.getLogger("sconet.failures")

# SQLSTATE classes of a server that cannot be reached or used right now: connection
# exceptions, refused authorisation, unknown database, too many connections, shutdown.
UNAVAILABLE_SQLSTATES = ("08", "28", "3D000", "53300", "57P01", "57P02", "57P03")
# SQLite's errors for a database file that cannot be opened or read.
UNAVAILABLE_SQLITE_MESSAGES = ("unable to open database file", "disk i/o error")
# Not a network failure: a file of the product itself is missing or unreadable.
LOCAL_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def new_reference() -> str:
    """Eight characters, enough to find one failure among a day's log lines."""
    return secrets.token_hex(4).upper()


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a database that cannot be reached (not from a bug)."""
    for cause in _causes(exc):
        if getattr(cause, "connection_invalidated", False):
            return True
        if isinstance(cause, OSError) and not isinstance(cause, LOCAL_FILE_ERRORS):
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES):
            return True
        if type(cause).__name__ in ("ConnectionDoesNotExistError", "ClientCannotConnectError"):
            return True
        if isinstance(cause, sqlite3.OperationalError) and str(cause).lower().startswith(
            UNAVAILABLE_SQLITE_MESSAGES
        ):
            return True
    return False


def record_failure(exc: BaseException, where: str) -> str:
    """Logs ``exc`` with its traceback under a new reference, and returns the reference."""
    reference = new_reference()
    if database_unavailable(exc):
        logger.error("database unavailable (reference %s) at %s", reference, where, exc_info=exc)
    else:
        logger.error("unexpected failure (reference %s) at %s", reference, where, exc_info=exc)
    return reference


def internal_error_message(reference: str) -> str:
    return f"Erreur interne (référence {reference}). Réessayez ; si elle persiste, citez cette référence."


def unavailable_message(reference: str) -> str:
    return f"Service momentanément indisponible (référence {reference}). Réessayez dans quelques minutes."
