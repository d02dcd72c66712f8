"""Deterministic ``.npz`` bytes for the shipped data (fixed zip timestamps)."""

from __future__ import annotations

import io
import zipfile

import numpy as np

__all__ = ["npz_bytes"]

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
