#!/usr/bin/env python3
"""The batch-feature job as a numpy user writes it: the baseline of `numarrow bench --suite job`.

Reads memory-mapped X[n x d] and W[d x h] (.npy, float32), computes softmax(X @ W) row by row in
chunks of 4000 rows (row max subtracted, exp, divided by the row sum) and writes a memory-mapped
.npy of n x h float32. Prints one line: seconds inside Python and the BLAS numpy uses.

Usage: numpy_job.py X.npy W.npy OUT.npy [--chunk ROWS]
"""
import sys
import time

import numpy as np


def blas_name():
    try:
        from threadpoolctl import threadpool_info
        info = [f"{i.get('internal_api')}/{i.get('architecture')}" for i in threadpool_info() if i.get("user_api") == "blas"]
        return ",".join(info) or "unknown"
    except ImportError:
        return "unknown (no threadpoolctl)"


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    chunk = 4000
    if "--chunk" in argv:
        chunk = int(argv[argv.index("--chunk") + 1])
        args.remove(str(chunk))
    x_path, w_path, out_path = args
    start = time.perf_counter()
    x = np.load(x_path, mmap_mode="r")
    w = np.load(w_path)
    out = np.lib.format.open_memmap(out_path, mode="w+", dtype=np.float32, shape=(x.shape[0], w.shape[1]))
    for s in range(0, x.shape[0], chunk):
        y = x[s:s + chunk] @ w
        y -= y.max(axis=1, keepdims=True)
        np.exp(y, out=y)
        y /= y.sum(axis=1, keepdims=True)
        out[s:s + chunk] = y
    out.flush()
    del out
    print(f"numpy {np.__version__}: {x.shape[0]} rows in {time.perf_counter() - start:.3f} s, blas {blas_name()}")


if __name__ == "__main__":
    main(sys.argv[1:])
