"""Safe files: arrays in ``.npz`` with a JSON metadata string, written atomically, never unpickled."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np

__all__ = ["save_npz", "load_npz", "write_json_atomic", "fsync_directory"]


def save_npz(path, arrays: Mapping[str, np.ndarray], metadata: dict) -> None:
    """Write arrays and a JSON metadata dict to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, metadata=np.array(json.dumps(metadata)), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        umask = os.umask(0)  # mkstemp creates files readable by the owner only
        os.umask(umask)
        os.chmod(path, 0o666 & ~umask)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz(path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save_npz`: (arrays, metadata). Never unpickles."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "metadata"}
        if "metadata" not in data.files:
            raise ValueError(f"{path} has no spinlab metadata")
        metadata = json.loads(str(data["metadata"]))
    return arrays, metadata


def write_json_atomic(path, data: dict) -> None:
    """Write ``data`` as indented JSON to ``path`` durably: a temporary file, flushed to disk, then renamed
    over ``path`` and the rename itself flushed, so a crash leaves the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(json.dumps(data, indent=2, sort_keys=True, default=float))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


def fsync_directory(path) -> None:
    """Flush a file's or a directory's entries to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
