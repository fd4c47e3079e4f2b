"""Export scikit-learn's copy of the UCI 8x8 handwritten digits to ``data/digits.npz``.

Run once by the course maintainers (the course itself never imports scikit-learn)::

    pip install scikit-learn
    python data/make_digits.py

The file holds two arrays:

* ``images``: uint8, shape (1797, 8, 8), pixel counts 0..16 (each pixel counts the "on" pixels of a 4x4 block
  of the original 32x32 bitmap);
* ``target``: int64, shape (1797,), the digit 0..9.

The SHA-256 of the file is printed and must match ``DIGITS_SHA256`` in ``warmup_course/data.py`` and the
value in ``data/README.md``.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "digits.npz"


def export(out: Path = OUT) -> str:
    """Write ``out`` deterministically and return its SHA-256 hex digest."""
    from sklearn.datasets import load_digits  # only the maintainer's export needs scikit-learn

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.uint8)
    target = np.asarray(bunch.target, dtype=np.int64)
    if images.shape != (1797, 8, 8) or not np.array_equal(images, bunch.images):
        raise RuntimeError("unexpected digits data from scikit-learn")
    # np.savez stores zip entries with the current time; write the zip ourselves with a fixed
    # timestamp so that re-running the export reproduces the file byte for byte.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in (("images", images), ("target", target)):
            member = io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1998, 7, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    out.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


if __name__ == "__main__":
    digest = export()
    print(f"wrote {OUT} sha256={digest}")
