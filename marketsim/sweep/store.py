"""Where a study keeps its results: a folder (any fsspec URL) with one set of files per run.

    OUT/summary.parquet                 one row per run, written when the sweep ends
    OUT/runs/<run_id>.parquet           the run's session (``load_session`` reads it)
    OUT/runs/<run_id>.json              the run's summary row: written last, it marks the run done
    OUT/runs/<run_id>.traceback.txt     only for a run that raised

Every file is written under a temporary name and then renamed, so a reader (or a resumed
sweep) sees a whole file or none: a run interrupted half-way leaves no record and runs again.
"""

from __future__ import annotations

import json
import posixpath
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fsspec

RUNS = "runs"
SUMMARY = "summary.parquet"


class RunStore:
    """The output folder of a study at ``url`` (a local path or any fsspec URL)."""

    def __init__(self, url: str) -> None:
        self.fs, self.root = fsspec.core.url_to_fs(str(url))
        #: The folder as an absolute URL, the same for the driver and every worker.
        self.url = self.fs.unstrip_protocol(self.root)

    def path(self, name: str) -> str:
        """The full path of ``name`` (relative to the study folder)."""
        return posixpath.join(self.root, name)

    @staticmethod
    def session_name(run_id: str) -> str:
        return f"{RUNS}/{run_id}.parquet"

    @staticmethod
    def record_name(run_id: str) -> str:
        return f"{RUNS}/{run_id}.json"

    @staticmethod
    def traceback_name(run_id: str) -> str:
        return f"{RUNS}/{run_id}.traceback.txt"

    @property
    def is_local(self) -> bool:
        return "file" in self.fs.protocol or "local" in self.fs.protocol

    def create(self) -> None:
        """Make the folder and its ``runs`` subfolder (no-op when they exist)."""
        self.fs.makedirs(self.path(RUNS), exist_ok=True)

    # -- atomic writes ----------------------------------------------------------------------

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write ``data`` to ``name`` atomically (a temporary name, then a rename)."""
        temporary = self._temporary(name)
        with self.fs.open(temporary, "wb") as file:
            file.write(data)
        self.fs.mv(temporary, self.path(name))

    def put_file(self, local_path: Path, name: str) -> None:
        """Copy the local file ``local_path`` to ``name`` atomically."""
        temporary = self._temporary(name)
        self.fs.put_file(str(local_path), temporary)
        self.fs.mv(temporary, self.path(name))

    def write_record(self, record: dict[str, Any]) -> None:
        """Save a finished run's summary row; from now on the run counts as done."""
        self.write_bytes(self.record_name(record["run_id"]), json.dumps(record).encode())

    def _temporary(self, name: str) -> str:
        return self.path(f"{name}.tmp-{uuid.uuid4().hex}")

    # -- reading ----------------------------------------------------------------------------

    def records(self, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The saved records of those of ``run_ids`` that have one (one listing, then reads)."""
        wanted = set(run_ids)
        try:
            listed = self.fs.ls(self.path(RUNS), detail=False)
        except FileNotFoundError:
            return {}
        found = {}
        for path in listed:
            name = posixpath.basename(path)
            run_id, _, suffix = name.partition(".")
            if suffix == "json" and run_id in wanted:
                found[run_id] = json.loads(self.fs.cat_file(path))
        return found

    def local_path(self, name: str) -> str:
        """A local path to ``name``: itself on a local disk, else a cached download."""
        if self.is_local:
            return self.path(name)
        return fsspec.open_local(f"simplecache::{self.fs.unstrip_protocol(self.path(name))}")
