"""Model files: weights in ``.npz`` (never unpickled) beside a ``.json`` of configuration and provenance.

The JSON records the descriptor, the hyper-parameters, the training lattice, the command that
trained the model, a hash of its training data and the SHA-256 of the weights file, so a
truncated or swapped file is refused with the reason.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler

from . import __version__
from .io import load_npz, save_npz, write_json_atomic

__all__ = ["MODEL_FORMAT", "save_model", "read_model_files", "model_paths", "scaler_state", "scaler_from_state"]

MODEL_FORMAT = 1


def model_paths(path) -> tuple[Path, Path]:
    """(weights .npz, metadata .json) of a model path given with or without extension."""
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    # appended, not with_suffix: a name with a dot of its own (model-rc2.3) keeps it
    return base.with_name(base.name + ".npz"), base.with_name(base.name + ".json")


def scaler_state(scaler: StandardScaler) -> dict:
    """The arrays a fitted feature scaler is stored as."""
    return {"mean": scaler.mean_, "scale": scaler.scale_}


def scaler_from_state(state) -> StandardScaler:
    """A fitted :class:`sklearn.preprocessing.StandardScaler` from :func:`scaler_state` arrays."""
    mean, scale = np.asarray(state["mean"], float), np.asarray(state["scale"], float)
    if mean.shape != scale.shape or mean.ndim != 1 or np.any(scale <= 0):
        raise ValueError("inconsistent or non-positive scaler state")
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = mean, scale, scale**2
    scaler.n_features_in_, scaler.n_samples_seen_ = len(mean), 1
    return scaler


def save_model(path, arrays: dict, meta: dict) -> None:
    """Write ``path.npz`` and ``path.json`` (format, version and the weights' checksum added)."""
    npz, js = model_paths(path)
    save_npz(npz, arrays, {"kind": "model-weights"})
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    write_json_atomic(js, dict(meta, format=MODEL_FORMAT, spinlab=__version__, weights_sha256=digest))


def read_model_files(path) -> tuple[dict, dict]:
    """(arrays, metadata) of a model, checked: missing, truncated, corrupt or newer files raise ValueError."""
    npz, js = model_paths(path)
    for f in (npz, js):
        if not f.exists():
            raise ValueError(f"model file {f} is missing (a model is a .npz with a .json beside it)")
    try:
        meta = json.loads(js.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{js} is not valid JSON (truncated?): {err}") from None
    if meta.get("format", 0) > MODEL_FORMAT:
        raise ValueError(f"{js} has model format {meta['format']}, newer than this spinlab ({MODEL_FORMAT}): "
                         "upgrade spinlab")
    if hashlib.sha256(npz.read_bytes()).hexdigest() != meta.get("weights_sha256"):
        raise ValueError(f"{npz} does not match the checksum in {js}: truncated, corrupt or from another model")
    try:
        arrays, _ = load_npz(npz)
    except Exception as err:  # zipfile and numpy raise several types for damaged archives
        raise ValueError(f"{npz} cannot be read ({type(err).__name__}: {err})") from None
    return arrays, meta
