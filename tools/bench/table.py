#!/usr/bin/env python3
"""The performance table of README.md and docs/performance.md, from `./numarrow bench` JSON.

    tools/bench/table.py [--quick] [--write]     run the matmul and softmax suites, print the table
    tools/bench/table.py --from DIR [--write]    the same from a run saved earlier (DIR holds its files)

A run calls `./numarrow bench --suite matmul --format json` and then `--suite softmax` (each numarrow
figure beside its baselines, measured in the same run), keeps their output and the machine's facts in
target/bench-table/<time>/ and prints the table in Markdown. --write puts it into README.md (the
table between the `bench-table:readme` markers) and into docs/performance.md (the section of this CPU
model, between `bench-table:cpu=...` markers, added when the model is new). Figures: the median of the
measured iterations (min-max); matmul as GFLOPS (2·m·k·n per call), the rest as time per call. Ratio:
numarrow's speed over the baseline's, from the medians; above 1, numarrow is faster.

Build first and keep the machine otherwise idle: the 1-minute load average before and after each suite
is part of the table, and a figure taken at a load of 1.5 or more should not be quoted.
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = ("matmul", "softmax")

BASELINES = {
    "openblas": "OpenBLAS",
    "ejml": "EJML",
    "scalar": "scalar Java",
    "unfused": "numarrow matmul, then softmax",
    "copy": "`MemorySegment.copy` of the same bytes",
    "storecopy": "a copy with plain vector stores",
    "vectorapi": "`VectorOperators.EXP`",
}
# (benchmark, baseline) pairs the README shows; docs/performance.md shows every pair.
# the order of the rows: benchmarks, then baselines within one
BENCHMARK_ORDER = ["sgemm", "batch", "batchArrowMemory", "batchSoftmax", "small", "softmaxInPlace", "softmax", "exp"]
BASELINE_ORDER = ["openblas", "unfused", "copy", "storecopy", "vectorapi", "ejml", "scalar"]
# OpenBLAS's sgemm then numarrow's softmax alternates two pools call by call, which undersells the
# second: the fused row's fair baseline is numarrow's own two steps
BASELINE_NAMES = {("batchSoftmax", "openblas"): "OpenBLAS sgemm, then numarrow softmax (two pools alternating)"}
README_ROWS = {("sgemm", "openblas"), ("batch", "openblas"), ("batchSoftmax", "unfused"),
               ("small", "openblas"), ("softmaxInPlace", "copy"), ("softmax", "scalar"),
               ("exp", "vectorapi")}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def params_of(text):
    return dict(kv.split("=", 1) for kv in text.split(";") if "=" in kv)


def threads_label(params, cpus):
    t = params.get("threads")
    if t is None:
        return ""
    n = cpus if t == "all" else t
    return f", {n} thread" + ("" if str(n) == "1" else "s")


def describe(benchmark, params, cpus):
    """What a row measured, in words."""
    p = params
    threads = threads_label(p, cpus)
    if benchmark == "sgemm":
        return f"sgemm {p['n']}³{threads}"
    if benchmark == "small":
        return f"small {p['n']}³{threads}"
    if benchmark in ("batch", "batchArrowMemory", "batchSoftmax"):
        m, k, n = matmul_shape(p)
        shape = f"{m}×{k} · {k}×{n}"
        return {"batch": f"batch {shape}{threads}",
                "batchArrowMemory": f"batch {shape} from Arrow's default allocator{threads}",
                "batchSoftmax": f"softmax(X·W) fused, batch {shape}{threads}"}[benchmark]
    if benchmark in ("softmax", "softmaxInPlace"):
        shape = p.get("shape", "").replace("x", "×")
        return f"softmax {shape} " + ("in place" if benchmark == "softmaxInPlace" else "into a new buffer") + threads
    if benchmark == "exp":
        return f"exp of {p.get('count', p.get('n'))} floats"
    return f"{benchmark} {';'.join(f'{k}={v}' for k, v in sorted(p.items()))}"


def seconds_per_op(unit):
    m = re.fullmatch(r"(\w+)/op", unit)
    if not m or m.group(1) not in TIME_UNITS:
        raise SystemExit(f"tools/bench/table.py: unit {unit!r} is not a time per operation (the suites run in AverageTime mode)")
    return TIME_UNITS[m.group(1)]


def matmul_shape(p):
    """(m, k, n) of a matmul benchmark: params m, k, n, or rows, d, h (the batch shape), or n alone (n³)."""
    if all(key in p for key in ("m", "k", "n")):
        return int(p["m"]), int(p["k"]), int(p["n"])
    if all(key in p for key in ("rows", "d", "h")):
        return int(p["rows"]), int(p["d"]), int(p["h"])
    if "n" in p:
        return (int(p["n"]),) * 3
    return None


def flops(suite, params):
    shape = matmul_shape(params) if suite == "matmul" else None
    return 2.0 * shape[0] * shape[1] * shape[2] if shape else None


def spread(r):
    """(median, min, max) of the iterations, in seconds per call; the score alone for old JSON."""
    scale = seconds_per_op(r["unit"])
    if "median" in r:
        return r["median"] * scale, r["min"] * scale, r["max"] * scale
    return (r["score"] * scale,) * 3


def figure(r, work):
    """The figure as GFLOPS when the work per call is known, else as time per call."""
    median, lo, hi = spread(r)
    if work:
        g = lambda s: work / s / 1e9
        return f"{g(median):.1f} GFLOPS ({g(hi):.1f}-{g(lo):.1f})"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if median >= scale or unit == "ns":
            f = lambda s: f"{s / scale:.3g}"
            return f"{f(median)} {unit} ({f(lo)}-{f(hi)})"


def rows(results, cpus):
    """One row per numarrow figure and baseline of the same benchmark and params."""
    groups = {}
    for r in results:
        groups.setdefault((r["suite"], r["benchmark"], r["params"]), []).append(r)
    def order(key):
        suite, benchmark, params_text = key
        rank = BENCHMARK_ORDER.index(benchmark) if benchmark in BENCHMARK_ORDER else len(BENCHMARK_ORDER)
        numbers = [int(v) if v.isdigit() else 0 for v in params_of(params_text).values()]
        return rank, benchmark, params_of(params_text).get("threads", "") != "1", numbers

    out = []
    for key in sorted(groups, key=order):
        suite, benchmark, params_text = key
        group = sorted(groups[key], key=lambda r: BASELINE_ORDER.index(r["impl"]) if r["impl"] in BASELINE_ORDER else 99)
        mine = next((r for r in group if r["impl"] == "numarrow"), None)
        if mine is None:
            continue
        params = params_of(params_text)
        work = flops(suite, params)
        for other in group:
            if other is mine:
                continue
            ratio = spread(other)[0] / spread(mine)[0]
            out.append({"benchmark": benchmark, "baseline": other["impl"],
                        "what": describe(benchmark, params, cpus),
                        "numarrow": figure(mine, work),
                        "other": f"{BASELINE_NAMES.get((benchmark, other['impl']), BASELINES.get(other['impl'], other['impl']))}: "
                                 f"{figure(other, work)}",
                        "ratio": f"{ratio:.2f}×"})
    return out


def markdown(table_rows):
    lines = ["| benchmark | numarrow | baseline, same run | ratio |", "|---|---|---|---|"]
    lines += [f"| {r['what']} | {r['numarrow']} | {r['other']} | {r['ratio']} |" for r in table_rows]
    return "\n".join(lines)


def lscpu():
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    facts = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    facts = {k.strip(): v.strip() for k, v in facts.items()}
    return f"{facts.get('Model name', '?')}, family {facts.get('CPU family', '?')} model {facts.get('Model', '?')}"


def load1():
    return float(Path("/proc/loadavg").read_text().split()[0])


def commit():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    # the code measured is src/ and the pom: edits elsewhere (docs) do not change a figure
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src", "pom.xml"],
                           capture_output=True, text=True).stdout.strip()
    return head + (" (with uncommitted changes to the code)" if dirty else "")


def run(quick, folder):
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"cpu": lscpu(), "commit": commit(), "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
            "suites": {}}
    for suite in SUITES:
        command = ["./numarrow", "bench", "--suite", suite] + (["--quick"] if quick else []) + ["--format", "json"]
        before = load1()
        print(f"running {' '.join(command)} (load {before:.2f})", file=sys.stderr)
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        after = load1()
        (folder / f"{suite}.json").write_text(done.stdout)
        (folder / f"{suite}.err").write_text(done.stderr)
        if done.returncode != 0:
            raise SystemExit(f"tools/bench/table.py: {' '.join(command)} failed (exit {done.returncode}); "
                             f"its stderr is in {folder / (suite + '.err')}")
        meta["suites"][suite] = {"command": " ".join(command), "load_before": before, "load_after": after}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def header_facts(folder):
    """OpenBLAS's core, numarrow's kernel, the FMA peak and the CPU count, from the bench's stderr."""
    facts = {}
    for suite in SUITES:
        for line in (folder / f"{suite}.err").read_text().splitlines():
            for key in ("openblas core", "fma peak", "numarrow matmul kernel"):
                if line.startswith(key + ":"):
                    facts[key] = line.split(":", 1)[1].strip()
            m = re.search(r"\bcpus=(\d+)", line)
            if m:
                facts["cpus"] = m.group(1)
    # the kernel's tile and blocking; the rest of its line (when A and B are packed) is in `numarrow topology`
    facts["numarrow matmul kernel"] = facts.get("numarrow matmul kernel", "?").split("; A read")[0]
    return facts


def render(folder):
    meta = json.loads((folder / "meta.json").read_text())
    facts = header_facts(folder)
    results = []
    for suite in SUITES:
        results += json.loads((folder / f"{suite}.json").read_text())
    table_rows = rows(results, facts.get("cpus", "all"))
    loads = "; ".join(f"`{s['command']}`: load {s['load_before']:.2f} before, {s['load_after']:.2f} after"
                      for s in meta["suites"].values())
    # the load after a suite includes its own two busy threads: the window counts as quiet when it began so
    quiet = next(iter(meta["suites"].values()))["load_before"] < 1.5
    about = (f"{meta['cpu']}, {facts.get('cpus', '?')} CPUs; commit {meta['commit']}, {meta['date']}. "
             f"Commands and 1-minute load average (the figures after a suite include its own threads): {loads}"
             + ("" if quiet else " (**the machine was busy: these figures are void**)") + ".")
    details = (f"OpenBLAS core: {facts.get('openblas core', '?')}. FMA peak: {facts.get('fma peak', '?')}. "
               f"numarrow's kernel: {facts.get('numarrow matmul kernel', '?')}.")
    section = "\n".join([f"### {meta['cpu']}", "", about, details, "", markdown(table_rows)])
    readme = "\n".join([f"{meta['cpu']}, {facts.get('cpus', '?')} CPUs, {meta['date']}, commit {meta['commit']}; "
                        f"{' and '.join('`' + s['command'] + '`' for s in meta['suites'].values())}, "
                        f"every baseline in the same run; 1-minute load "
                        + ", ".join(f"{s['load_before']:.2f}/{s['load_after']:.2f}" for s in meta["suites"].values())
                        + " (before/after each suite; after includes the bench's own threads)"
                        + ("" if quiet else " (**busy machine: void**)") + ".",
                        "", markdown([r for r in table_rows if (r["benchmark"], r["baseline"]) in README_ROWS])])
    return meta["cpu"], section, readme


def replace_between(text, begin, end, body):
    start = text.find(begin)
    stop = text.find(end)
    if start < 0 or stop < start:
        return None
    return text[:start + len(begin)] + "\n" + body + "\n" + text[stop:]


def write(cpu, section, readme):
    path = ROOT / "README.md"
    text = path.read_text()
    new = replace_between(text, "<!-- bench-table:readme begin -->", "<!-- bench-table:readme end -->", readme)
    if new is None:
        raise SystemExit("tools/bench/table.py: README.md has no <!-- bench-table:readme begin/end --> markers")
    path.write_text(new)
    path = ROOT / "docs" / "performance.md"
    text = path.read_text()
    begin, end = f'<!-- bench-table:cpu="{cpu}" begin -->', f'<!-- bench-table:cpu="{cpu}" end -->'
    new = replace_between(text, begin, end, section)
    if new is None:  # a CPU model not seen before: its section goes before the marker of new ones
        anchor = "<!-- bench-table:new-cpu-here -->"
        if anchor not in text:
            raise SystemExit(f"tools/bench/table.py: docs/performance.md has neither a section for {cpu} nor {anchor}")
        new = text.replace(anchor, f"{begin}\n{section}\n{end}\n\n{anchor}")
    path.write_text(new)
    print(f"wrote the table into README.md and docs/performance.md ({cpu})", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="bench --quick: one fork, short iterations")
    parser.add_argument("--from", dest="source", type=Path, help="render a run saved earlier (its folder)")
    parser.add_argument("--write", action="store_true", help="put the table into README.md and docs/performance.md")
    args = parser.parse_args()
    if args.source:
        folder = args.source
    else:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = run(args.quick, ROOT / "target" / "bench-table" / stamp)
        print(f"raw output kept in {folder}", file=sys.stderr)
    cpu, section, readme = render(folder)
    print(section)
    if args.write:
        write(cpu, section, readme)


if __name__ == "__main__":
    main()
