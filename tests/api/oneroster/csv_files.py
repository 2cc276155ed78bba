"""Reading a OneRoster CSV bundle back, as a receiving system would: the manifest, each file's
rows by sourcedId, and a delta applied onto what a bulk gave."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

Tables = dict[str, dict[str, dict[str, str]]]


class Bundle:
    def __init__(self, content: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.names = sorted(archive.namelist())
            self.raw = {name: archive.read(name) for name in self.names}
        self.manifest = dict(self.rows("manifest.csv"))
        self.headers: dict[str, list[str]] = {}
        self.tables: Tables = {}
        for key, mode in self.manifest.items():
            if not key.startswith("file.") or mode == "absent":
                continue
            name = key.removeprefix("file.")
            rows = self.rows(f"{name}.csv")
            self.headers[name] = rows[0]
            records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
            table = {record["sourcedId"]: record for record in records}
            assert len(table) == len(records), f"{name}.csv repeats a sourcedId"
            self.tables[name] = table

    def rows(self, name: str) -> list[list[str]]:
        text = self.raw[name].decode("utf-8")
        return list(csv.reader(io.StringIO(text, newline="")))

    def mode(self, name: str) -> str:
        return self.manifest[f"file.{name}"]


def content(tables: Tables) -> dict[str, dict[str, dict[str, Any]]]:
    """The data of the tables without the bookkeeping columns (empty in a bulk)."""
    return {
        name: {
            key: {k: v for k, v in row.items() if k not in ("status", "dateLastModified")}
            for key, row in table.items()
        }
        for name, table in tables.items()
    }


def apply_delta(store: Tables, delta: Bundle) -> None:
    """The receiver's side of a delta: upsert each row, remove the ``tobedeleted`` ones."""
    for name, table in delta.tables.items():
        assert delta.mode(name) == "delta"
        target = store.setdefault(name, {})
        for key, row in table.items():
            assert row["status"] in ("active", "tobedeleted"), row
            assert row["dateLastModified"], row
            if row["status"] == "tobedeleted":
                target.pop(key, None)
            else:
                target[key] = dict(row)


def differences(store: dict[str, dict[str, Any]], fresh: dict[str, dict[str, Any]]) -> list[str]:
    """Where a synced store and a fresh sync differ, table by table and record by record."""
    found = []
    for name in sorted(set(store) | set(fresh)):
        mine, theirs = store.get(name, {}), fresh.get(name, {})
        for key in sorted(set(mine) - set(theirs)):
            found.append(f"{name}: {key} kept but gone: {mine[key]}")
        for key in sorted(set(theirs) - set(mine)):
            found.append(f"{name}: {key} missing: {theirs[key]}")
        for key in sorted(set(mine) & set(theirs)):
            if mine[key] != theirs[key]:
                changed = {
                    field: (mine[key].get(field), theirs[key].get(field))
                    for field in set(mine[key]) | set(theirs[key])
                    if mine[key].get(field) != theirs[key].get(field)
                }
                found.append(f"{name}: {key} differs (synced, fresh): {changed}")
    return found
