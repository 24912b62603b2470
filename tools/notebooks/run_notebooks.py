#!/usr/bin/env python3
"""Runs notebooks through Jupyter itself (nbclient), each on the kernel its metadata names.

    python3 tools/notebooks/run_notebooks.py [--save | --check-saved] NOTEBOOK.ipynb...

Each notebook runs top to bottom in a fresh kernel whose working directory is the notebook's folder,
as `jupyter execute` and Jupyter's own server run it. The kernel comes from Jupyter's kernelspecs
(JUPYTER_DATA_DIR and the usual places): numarrow's is installed by `./numarrow jupyter install`.

The first cell that fails stops its notebook and prints one line naming the notebook, the cell and
the error, then the kernel's traceback. --save writes each cell's fresh outputs back into the
notebook (the saved outputs are then the real kernel's). --check-saved fails a notebook whose saved
outputs are not the kinds a fresh run gives (a cell that now prints nothing, a chart gone), which
means the notebook changed without its outputs being regenerated.

Exit status: 0 all ran, 1 a cell failed or saved outputs are stale, 2 usage or kernel trouble.
"""
import argparse
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

KERNEL_STARTS = 3


def output_kinds(outputs):
    """A cell's outputs reduced to what a rerun must give again: stream names and MIME types."""
    kinds = set()
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            kinds.add("stream:" + out.get("name", ""))
        elif kind in ("display_data", "execute_result"):
            kinds.add(kind + ":" + ",".join(sorted(out.get("data", {}))))
        else:
            kinds.add(kind)
    return sorted(kinds)


def coalesce_streams(outputs):
    """One stream output per run of prints: the kernel sends every print() as a message of its own."""
    merged = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def first_line(text):
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def run(path, args):
    nb = nbformat.read(str(path), as_version=4)
    saved = {i: output_kinds(c.get("outputs", [])) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    client = NotebookClient(nb, timeout=args.timeout, startup_timeout=args.startup_timeout,
                            record_timing=False, resources={"metadata": {"path": str(path.parent.resolve())}})
    kernel = nb.metadata.get("kernelspec", {}).get("name", "?")
    started = time.monotonic()
    with client.setup_kernel():
        print(f"{path.name}: kernel '{kernel}' started in {time.monotonic() - started:.1f} s", flush=True)
        code_cell = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            code_cell += 1
            where = f"{path.name}: cell {index} (code cell {code_cell})"
            cell_start = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as e:
                print(f"{where} failed: {e.ename}: {first_line(e.evalue)}", flush=True)
                print(str(e), flush=True)
                return False
            except CellTimeoutError:
                print(f"{where} failed: no result within {args.timeout} s", flush=True)
                return False
            except DeadKernelError as e:
                print(f"{where} failed: the kernel died ({e})", flush=True)
                return False
            print(f"{where} ran in {time.monotonic() - cell_start:.1f} s", flush=True)
    print(f"{path.name}: every cell ran, {time.monotonic() - started:.1f} s in all", flush=True)

    if args.save:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = coalesce_streams(cell.outputs)
        nbformat.write(nb, str(path))
        print(f"{path.name}: outputs saved", flush=True)
    elif args.check_saved:
        stale = [(i, saved[i], output_kinds(c.get("outputs", []))) for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and saved[i] != output_kinds(c.get("outputs", []))]
        for i, before, now in stale:
            print(f"{path.name}: cell {i} saved outputs {before}, a fresh run gives {now}", flush=True)
        if stale:
            print(f"{path.name}: saved outputs are stale; regenerate them: "
                  f"python3 tools/notebooks/run_notebooks.py --save notebooks/*.ipynb", flush=True)
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--save", action="store_true", help="write the fresh outputs back into each notebook")
    mode.add_argument("--check-saved", action="store_true", help="fail when saved outputs differ in kind")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a cell may take (default 300)")
    parser.add_argument("--startup-timeout", type=int, default=60, help="seconds the kernel may take to start")
    args = parser.parse_args()
    ok = True
    for path in args.notebooks:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            return 2
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                ok &= run(path, args)
                break
            except Exception as e:  # kernel missing, failed to start, ...: one line, not a traceback
                if attempt < KERNEL_STARTS and "didn't respond" in str(e):
                    # rapaio-jupyter-kernel 3.0.1 has start-up races that leave a kernel silent
                    # (notebooks/README.md, 'Troubleshooting'); numarrow's launcher avoids the two
                    # known ones, and another kernel here may not use it. A fresh kernel starts.
                    print(f"{path.name}: the kernel did not answer within {args.startup_timeout} s "
                          f"(see notebooks/README.md, 'Troubleshooting'); starting it again", flush=True)
                    continue
                print(f"{path.name}: could not run: {type(e).__name__}: {first_line(e)}", flush=True)
                return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
