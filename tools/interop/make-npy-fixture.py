#!/usr/bin/env python3
"""Writes data/interop/npy/: the same 5x3 weight matrix and 3-value bias as numpy itself saves them,
in every layout numarrow's .npy reader must read (float32 and float64, C and Fortran order, little and
big endian, format versions 1.0, 2.0 and 3.0), for io.NpyFileTest. Every value is exact in float32,
so each file must read back as W[i][j] = (i*3 + j) / 8 - 1 and b[j] = j / 4 - 0.5 exactly.

    python3 tools/interop/make-npy-fixture.py data/interop/npy
"""
import os
import sys

import numpy as np
from numpy.lib import format as npformat

out = sys.argv[1] if len(sys.argv) > 1 else "data/interop/npy"
os.makedirs(out, exist_ok=True)
w = (np.arange(15, dtype=np.float64).reshape(5, 3) / 8 - 1)
b = np.arange(3, dtype=np.float64) / 4 - 0.5


def save(name, array, version=None):
    with open(os.path.join(out, name), "wb") as f:
        if version is None:
            np.save(f, array)
        else:
            npformat.write_array(f, array, version=version)


save("w-f4.npy", w.astype("<f4"))
save("w-f8.npy", w.astype("<f8"))
save("w-f4-fortran.npy", np.asfortranarray(w.astype("<f4")))
save("w-f8-fortran.npy", np.asfortranarray(w.astype("<f8")))
save("w-f4-big-endian.npy", w.astype(">f4"))
save("w-f4-v2.npy", w.astype("<f4"), version=(2, 0))
save("w-f4-v3.npy", w.astype("<f4"), version=(3, 0))
save("b-f4.npy", b.astype("<f4"))
save("b-f8.npy", b.astype("<f8"))
save("w-i4.npy", (w * 8).astype("<i4"))
save("w-rank3.npy", w.astype("<f4").reshape(5, 3, 1))
print("wrote", sorted(os.listdir(out)))
