"""Writes the register-blocked sgemm tiles, kernels/MicroKernel*.java, and kernels/TileShape.java, which
names them and dispatches to them.

Each tile shape needs its own class (a species passed as a parameter, or vectors kept in an array, do
not compile to registers), so every class shares one body: this script. Edit it, not the generated
files, then run from the repository root:

    python3 tools/kernels/gen_microkernels.py src/main/java/io/numarrow/kernels

SHAPES lists the classes: vector width in bits, rows of C, vectors of C per row, and K steps per iteration
of the packed tile's loop (the unroll). The first shape of each width has the plain class name
(MicroKernel512); TileChoice picks the default tile of a width. An unrolled loop pays only where all its
broadcasts, B vectors and accumulators fit the 32 vector registers at once (C2 hoists a group's loads
without regard to register pressure and spills accumulators otherwise): 7×32 by two is the tallest
32-wide tile that does (docs/performance.md). Unrolling keeps every accumulator's chain of fmas, hence
the bits.

A tile is two methods: `sums`, the K loop, which leaves the tile's sums in a small per-thread scratch,
and `finish`, which adds the bias and C and stores to C. With nothing but the loop in it, the method the
JIT compiles for speed keeps every value it needs in registers, and the JIT's first tier, which gives up
on long methods full of vector operations, compiles even the tall tiles (docs/performance.md).
"""
import sys

SHAPES = [(512, 6, 2, 1), (512, 8, 2, 1), (512, 12, 2, 1), (512, 7, 2, 2), (256, 6, 2, 1), (128, 6, 2, 1)]
SHORT_ROWS = 4


def width_default(bits):
    return next(s[:3] for s in SHAPES if s[0] == bits)


def class_name(bits, mr, nv):
    return f"MicroKernel{bits}" if (bits, mr, nv) == width_default(bits) else f"MicroKernel{bits}x{mr}x{nv}"


def enum_name(bits, mr, nv):
    return f"W{bits}" if (bits, mr, nv) == width_default(bits) else f"W{bits}_{mr}X{nv * bits // 32}"


def acc(i, j):
    return f"c{i}{j}"


def col_off(j):
    return "" if j == 0 else " + VB" if j == 1 else f" + {j} * VB"


def k_step(w, mr, nv, direct, step=0, indent="            "):
    """One K step's body: nv B vectors, then each row's broadcast of A and its nv FMAs; `step` K steps
    past the loop's offsets (unrolled loops address every step from one base)."""
    b_step = "" if step == 0 else f" + {step} * (NR * Float.BYTES)" if step > 1 else " + NR * Float.BYTES"
    a_step = "" if step == 0 else f" + {step} * Float.BYTES" if step > 1 else " + Float.BYTES"
    sfx = "" if step == 0 else f"_{step}"
    for j in range(nv):
        w(f"{indent}FloatVector b{j}{sfx} = FloatVector.fromMemorySegment(SPECIES, b, pb{b_step}{col_off(j)}, ORDER);")
    for i in range(mr):
        if direct:
            off = f"a{i} + pa"
        else:
            off = "pa" + a_step + ("" if i == 0 else f" + {i} * Packing.A_ROW_BYTES")
        w(f"{indent}FloatVector x{i}{sfx} = FloatVector.broadcast(SPECIES, a.get(F, {off}));")
        for j in range(nv):
            w(f"{indent}{acc(i, j)} = x{i}{sfx}.fma(b{j}{sfx}, {acc(i, j)});")


def k_loop(w, mr, nv, direct=False, rows_limited=False, unroll=1):
    """The K loop: nv B vectors, mr broadcasts of A, mr·nv FMAs per step, then the sums to t; `unroll`
    steps per iteration (packed operands only), the rest of the block one step at a time.

    Every offset is the loop counter times a constant plus a loop-invariant base (A's rows lie
    Packing.A_ROW_BYTES apart, B's rows NR floats), so the JIT proves the accesses in bounds once before
    the loop instead of checking each load, and A needs one base register for all its rows."""
    if direct:
        for i in range(mr):
            rhs = "aOff" if i == 0 else f"aOff + {i} * aRowStride"
            if rows_limited and i > 0:
                # A is read where it lies: rows past mv do not exist, so they repeat row 0 (never stored)
                rhs = f"{i} < mv ? {rhs} : aOff"
            w(f"        long a{i} = {rhs};")
    w("        FloatVector z = FloatVector.zero(SPECIES);")
    w("        FloatVector " + ", ".join(f"{acc(i, j)} = z" for i in range(mr) for j in range(nv)) + ";")
    if direct:
        # Running offsets: a step passed in is no constant, and the JIT's hoisting of checks for an offset
        # counter × invariant made a loop many times longer; these keep one check per load instead.
        w("        long pa = 0;")
        w("        long pb = bOff;")
        w("        for (int p = 0; p < kc; p++, pa += Float.BYTES, pb += bStep) {")
        k_step(w, mr, nv, True)
        w("        }")
    else:
        if unroll > 1:
            w("        int p = 0;")
            w(f"        for (int end = kc - {unroll - 1}; p < end; p += {unroll}) {{")
            w("            long pa = aOff + (long) p * Float.BYTES;")
            w("            long pb = bOff + (long) p * (NR * Float.BYTES);")
            for step in range(unroll):
                k_step(w, mr, nv, False, step)
            w("        }")
            w("        for (; p < kc; p++) {")
        else:
            w("        for (int p = 0; p < kc; p++) {")
        w("            long pa = aOff + (long) p * Float.BYTES;")
        w("            long pb = bOff + (long) p * (NR * Float.BYTES);")
        k_step(w, mr, nv, False)
        w("        }")
    for i in range(mr):
        for j in range(nv):
            w(f"        {acc(i, j)}.intoMemorySegment(t, tOff + {i * nv + j} * VB, ORDER);")


def unchecked_doc(w, base):
    w(f"    /** {{@link #{base}}} over native segments whose bounds, liveness and thread the caller has checked. */")


def sums(w, rows, nv, unchecked, direct=False, unroll=1):
    base = ("sums" if rows != SHORT_ROWS else f"sumsRows{rows}") + ("Direct" if direct else "")
    if unchecked:
        unchecked_doc(w, base)
    elif direct:
        w(f"    /**")
        w(f"     * {{@link #{base[:-len('Direct')]}}} over A and B where they lie: A's rows {{@code aRowStride}} bytes apart, B's")
        w(f"     * {{@code bStep}}" + (", only the first {@code mv} rows of A read." if rows == SHORT_ROWS else "."))
        w(f"     * For small products, which packing would slow down.")
        w(f"     */")
    elif base == "sums":
        w("    /**")
        w("     * The tile's sums over a K block, {@code Σ_p A[i][p]·B[p][j]} from zero in increasing {@code p}, to")
        w("     * {@code t}: row {@code i}, vector {@code j} at {@code tOff + (i·" + str(nv) + " + j)·VB}. A is a packed group")
        w("     * (row {@code i} at {@code aOff + i·Packing.A_ROW_BYTES}), B a packed panel.")
        w("     */")
    else:
        w(f"    /** {{@link #sums}} of the first {rows} rows only: a short bottom edge. */")
    name = base + ("Unchecked" if unchecked else "")
    pad = " " * len(name)
    if direct:
        mv = ", int mv" if rows == SHORT_ROWS else ""
        w(f"    static void {name}(MemorySegment a, long aOff, long aRowStride, MemorySegment b, long bOff, long bStep,")
        w(f"                 {pad}int kc, MemorySegment t, long tOff{mv}) {{")
    else:
        w(f"    static void {name}(MemorySegment a, long aOff, MemorySegment b, long bOff, int kc,")
        w(f"                 {pad}MemorySegment t, long tOff) {{")
    if unchecked:
        w("        aOff += a.address();")
        w("        bOff += b.address();")
        w("        tOff += t.address();")
        w("        a = ALL;")
        w("        b = ALL;")
        w("        t = ALL;")
    k_loop(w, rows, nv, direct, direct and rows == SHORT_ROWS, unroll)
    w("    }")


def finish(w, unchecked, masked):
    base = "finishMasked" if masked else "finish"
    name = base + ("Unchecked" if unchecked else "")
    if unchecked:
        unchecked_doc(w, base)
    elif masked:
        w("    /** {@link #finish} for the first {@code nv} columns only (masked vector accesses). */")
    else:
        w("    /**")
        w("     * Rows {@code [0, mv)} of the tile from its sums in {@code t}: each sum plus the bias (when not null),")
        w("     * plus C (when {@code loadC}), stored to C; the order of docs/reproducibility.md.")
        w("     */")
    pad = " " * len(name)
    extra = ", int nv" if masked else ""
    w(f"    static void {name}(MemorySegment t, long tOff, MemorySegment c, long cOff, long cRowStride, boolean loadC,")
    w(f"                 {pad}MemorySegment bias, long biasOff, int mv{extra}) {{")
    if unchecked:
        w("        tOff += t.address();")
        w("        cOff += c.address();")
        w("        t = ALL;")
        w("        c = ALL;")
        w("        if (bias != null) {")
        w("            biasOff += bias.address();")
        w("            bias = ALL;")
        w("        }")
    m = ", m" if masked else ""
    w("        for (int i = 0; i < mv; i++) {")
    w("            for (int j = 0; j < NR; j += LANES) {")
    if masked:
        w("                VectorMask<Float> m = SPECIES.indexInRange(j, nv);")
    w("                long o = cOff + i * cRowStride + (long) j * Float.BYTES;")
    w("                FloatVector s = FloatVector.fromMemorySegment(SPECIES, t, tOff + (long) (i * NR + j) * Float.BYTES, ORDER);")
    w("                if (bias != null) {")
    w(f"                    s = s.add(FloatVector.fromMemorySegment(SPECIES, bias, biasOff + (long) j * Float.BYTES, ORDER{m}));")
    w("                }")
    w("                if (loadC) {")
    w(f"                    s = s.add(FloatVector.fromMemorySegment(SPECIES, c, o, ORDER{m}));")
    w("                }")
    w(f"                s.intoMemorySegment(c, o, ORDER{m});")
    w("            }")
    w("        }")
    w("    }")


def header(w, imports):
    """The generated file's first lines: the warning, the package and its imports."""
    w("// Generated by tools/kernels/gen_microkernels.py: edit that script, not this file.")
    w("package io.numarrow.kernels;")
    w("")
    for name in imports:
        w(f"import {name};")
    w("")


def gen(bits, mr, nv, unroll):
    cls = class_name(bits, mr, nv)
    lanes = bits // 32
    L = []
    w = L.append
    header(w, ["java.lang.foreign.MemorySegment", "java.lang.foreign.ValueLayout", "java.nio.ByteOrder",
               "jdk.incubator.vector.FloatVector", "jdk.incubator.vector.VectorMask", "jdk.incubator.vector.VectorSpecies"])
    w("/**")
    w(f" * The {mr}×{nv * lanes} register-blocked sgemm tile for {bits}-bit vectors: {mr} rows of C, {nv} vectors")
    w(" * wide, held in local accumulators across a K block (see {@link TileShape#tile}).")
    w(" *")
    w(" * <p>The species is a compile-time constant here, and the accumulators are separate locals, because")
    w(" * the Vector API only compiles to registers when both hold: a species passed as a parameter, or")
    w(" * vectors kept in an array, fall back to boxed vectors. That is also why each tile shape has its own")
    w(" * class rather than one generic method.")
    w(" *")
    w(" * <p>A tile is {@link #sums}, the K loop alone, then {@link #finish}: the loop keeps every value it")
    w(" * needs in registers, and the JIT's first tier compiles it even for tall tiles (docs/performance.md).")
    w(" *")
    w(" * <p>Each method has an unchecked twin, the same code reading and writing through one constant segment")
    w(" * spanning the address space: the JIT folds its bounds and scope checks away, where the checks of")
    w(" * segments passed in are redone at every tile. {@link Matmul} uses the twins for native segments it")
    w(" * has checked itself.")
    w(" */")
    w(f"final class {cls} {{")
    w(f"    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_{bits};")
    w("    /** Rows of C per tile. */")
    w(f"    static final int MR = {mr};")
    w(f"    /** Rows of the short bottom-edge tile, {{@link #sumsRows{SHORT_ROWS}}}. */")
    w(f"    static final int SHORT_MR = {SHORT_ROWS};")
    w(f"    private static final int LANES = {lanes};")
    w(f"    /** Columns of C per tile: {nv} vectors. */")
    w(f"    static final int NR = {nv} * LANES;")
    w("    private static final long VB = SPECIES.vectorByteSize();")
    w("    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;")
    w("    private static final ByteOrder ORDER = ByteOrder.nativeOrder();")
    w("    /**")
    w("     * The whole address space, for the unchecked twins: a constant segment whose bounds and scope the JIT")
    w("     * folds away, where a segment passed in costs its checks at every tile.")
    w("     */")
    w("    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);")
    w("")
    w(f"    private {cls}() {{")
    w("    }")
    for unchecked in (False, True):
        w("")
        sums(w, mr, nv, unchecked, unroll=unroll)
        w("")
        sums(w, SHORT_ROWS, nv, unchecked)
        w("")
        sums(w, mr, nv, unchecked, True)
        w("")
        sums(w, SHORT_ROWS, nv, unchecked, True)
        w("")
        finish(w, unchecked, False)
        w("")
        finish(w, unchecked, True)
    w("}")
    return "\n".join(L) + "\n"


TILE_PARAMS = ("MemorySegment a, long aOff, MemorySegment b, long bOff, int kc,\n"
               "              MemorySegment c, long cOff, long cRowStride, boolean loadC, MemorySegment bias, long biasOff,\n"
               "              MemorySegment t")


def dispatch(w, call, indent="        "):
    """A switch over every shape calling `call` (a format with {cls}) on its class."""
    w(f"{indent}switch (this) {{")
    for bits, mr, nv, _ in SHAPES:
        w(f"{indent}    case {enum_name(bits, mr, nv)} -> {call.format(cls=class_name(bits, mr, nv))};")
    w(f"{indent}}}")


def both(w, call, indent="        "):
    """`call` (a format with {cls} and {u}) dispatched to the unchecked twins or the checked methods."""
    w(f"{indent}if (unchecked) {{")
    dispatch(w, call.replace("{u}", "Unchecked"), indent + "    ")
    w(f"{indent}}} else {{")
    dispatch(w, call.replace("{u}", ""), indent + "    ")
    w(f"{indent}}}")


def gen_tile_shape():
    L = []
    w = L.append
    header(w, ["java.lang.foreign.MemorySegment"])
    w("/**")
    w(" * The register tiles: {@code mr} rows by {@code nr} columns of C per micro-kernel call, and the call")
    w(" * itself, dispatched to the class compiled for that shape. Tiles of one vector width and one")
    w(" * {@code nr} give the same bits (every element's chain of fmas is the same), so the choice among")
    w(" * them is free ({@link TileChoice}).")
    w(" */")
    w("enum TileShape {")
    for k, (bits, mr, nv, unroll) in enumerate(SHAPES):
        end = ";" if k == len(SHAPES) - 1 else ","
        cls = class_name(bits, mr, nv)
        w(f"    {enum_name(bits, mr, nv)}({bits}, {cls}.MR, {cls}.NR, {cls}.SHORT_MR, {unroll}){end}")
    w("")
    w("    /** Vector width in bits. */")
    w("    final int bits;")
    w("    final int mr;")
    w("    final int nr;")
    w("    /** A bottom edge of full columns runs on tiles of at most this many rows. */")
    w("    final int shortMr;")
    w("    /** K steps per iteration of the packed tile's loop: {@code mr·unroll} broadcasts of A per iteration. */")
    w("    final int unroll;")
    w("")
    w("    TileShape(int bits, int mr, int nr, int shortMr, int unroll) {")
    w("        this.bits = bits;")
    w("        this.mr = mr;")
    w("        this.nr = nr;")
    w("        this.shortMr = shortMr;")
    w("        this.unroll = unroll;")
    w("    }")
    w("")
    w("    /** Bytes of the per-thread scratch {@code t} the tiles take: room for one tile's sums. */")
    w("    long scratchBytes() {")
    w("        return (long) mr * nr * Float.BYTES;")
    w("    }")
    w("")
    w("    /**")
    w("     * {@code C[mr×nr] (=|+=) A[mr×kc]·B[kc×nr] (+ bias)}, A and B packed ({@link Packing}).")
    w("     *")
    w("     * @param aOff      byte offset of the tile's packed group of A: row {@code i} starts")
    w("     *                  {@code i·Packing.A_ROW_BYTES} after it")
    w("     * @param bOff      byte offset of the tile's panel of packed B")
    w("     * @param kc        the K block's length")
    w("     * @param loadC     add to C's current values rather than overwrite them")
    w("     * @param bias      {@code nr} floats added to every row, or null")
    w("     * @param t         this thread's scratch of {@link #scratchBytes} bytes")
    w("     * @param unchecked the segments are native and the caller has checked every access's bounds and the")
    w("     *                  segments' liveness and thread: use the kernel without per-access checks")
    w("     */")
    w(f"    void tile({TILE_PARAMS}, boolean unchecked) {{")
    both(w, "{cls}.sums{u}(a, aOff, b, bOff, kc, t, 0)")
    both(w, "{cls}.finish{u}(t, 0, c, cOff, cRowStride, loadC, bias, biasOff, mr)")
    w("    }")
    w("")
    w("    /** {@link #tile} for a bottom edge of {@code mv <= shortMr} rows and full columns. */")
    w(f"    void tileShort({TILE_PARAMS}, int mv, boolean unchecked) {{")
    both(w, "{cls}.sumsRows" + str(SHORT_ROWS) + "{u}(a, aOff, b, bOff, kc, t, 0)")
    both(w, "{cls}.finish{u}(t, 0, c, cOff, cRowStride, loadC, bias, biasOff, mv)")
    w("    }")
    w("")
    w("    /**")
    w("     * {@link #tile} over A and B where they lie (row-major, rows {@code aRowStride} and {@code bStep} bytes")
    w("     * apart; B {@code nr} columns from {@code bOff}), {@code mv <= mr} rows: small products, for which")
    w("     * packing costs more than it saves. Rows up to {@code shortMr} take the short tile.")
    w("     */")
    w("    void tileDirect(MemorySegment a, long aOff, long aRowStride, MemorySegment b, long bOff, long bStep, int kc,")
    w("                    MemorySegment c, long cOff, long cRowStride, boolean loadC, MemorySegment bias, long biasOff,")
    w("                    MemorySegment t, int mv, boolean unchecked) {")
    w("        if (mv == mr) {")
    both(w, "{cls}.sumsDirect{u}(a, aOff, aRowStride, b, bOff, bStep, kc, t, 0)", "            ")
    w("        } else {")
    both(w, "{cls}.sumsRows" + str(SHORT_ROWS) + "Direct{u}(a, aOff, aRowStride, b, bOff, bStep, kc, t, 0, mv)", "            ")
    w("        }")
    both(w, "{cls}.finish{u}(t, 0, c, cOff, cRowStride, loadC, bias, biasOff, mv)")
    w("    }")
    w("")
    w("    /**")
    w("     * {@link #tile} for an edge: only the first {@code mv} rows and {@code nv} columns of C are read or")
    w("     * written. A must be zero-padded to {@code mr} rows and B to {@code nr} columns (packing does both).")
    w("     */")
    w(f"    void tileMasked({TILE_PARAMS}, int mv, int nv, boolean unchecked) {{")
    both(w, "{cls}.sums{u}(a, aOff, b, bOff, kc, t, 0)")
    both(w, "{cls}.finishMasked{u}(t, 0, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv)")
    w("    }")
    w("}")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    out = sys.argv[1]
    for bits, mr, nv, unroll in SHAPES:
        with open(f"{out}/{class_name(bits, mr, nv)}.java", "w") as f:
            f.write(gen(bits, mr, nv, unroll))
    with open(f"{out}/TileShape.java", "w") as f:
        f.write(gen_tile_shape())
