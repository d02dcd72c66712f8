"""Deterministic ``.npz`` bytes for the shipped data (fixed zip timestamps)."""

from __future__ import annotations

import io
import zipfile
from importlib import resources

import numpy as np

__all__ = ["npz_bytes", "read_shipped"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the bytes do not depend on when we ran


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """What ``np.savez_compressed`` writes, with fixed timestamps: same arrays, same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.asarray(arr), allow_pickle=False)
    return buf.getvalue()


def read_shipped(name: str) -> dict[str, np.ndarray]:
    """Every array of the shipped ``grokwidgets/runs/<name>``, read-only."""
    with resources.as_file(resources.files(__package__).joinpath(name)) as path:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    for x in arrays.values():
        x.flags.writeable = False
    return arrays
