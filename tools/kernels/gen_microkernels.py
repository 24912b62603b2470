"""Writes kernels/MicroKernel{512,256,128}.java, the register-blocked sgemm tiles.

Each vector width needs its own class (a species passed as a parameter, or vectors kept in an
array, do not compile to registers), so the three classes share one body: this script. Edit it,
not the generated files, then run from the repository root:

    python3 tools/kernels/gen_microkernels.py src/main/java/io/numarrow/kernels 6

The second argument is the number of rows of the 512-bit tile (256 and 128 use 6).
"""
import sys


def add_bias(w, mr, mask0, mask1=""):
    """The bias row added to every row of the tile; mask0/mask1 limit the loads to C's columns."""
    w("        if (bias != null) {")
    w(f"            FloatVector z0 = FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER{mask0});")
    w(f"            FloatVector z1 = FloatVector.fromMemorySegment(SPECIES, bias, biasOff + VB, ORDER{mask1});")
    for i in range(mr):
        w(f"            c{i}0 = c{i}0.add(z0);")
        w(f"            c{i}1 = c{i}1.add(z1);")
    w("        }")


def k_loop(w, mr):
    """The K loop both tiles share: two B vectors, mr broadcasts of A, 2·mr FMAs per step."""
    for i in range(mr):
        rhs = "aOff" if i == 0 else f"aOff + {i} * aRowStride"
        w(f"        long a{i} = {rhs};")
    w("        long q = 0;")
    w("        long pb = bOff;")
    w("        for (int p = 0; p < kc; p++) {")
    w("            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, b, pb, ORDER);")
    w("            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, ORDER);")
    for i in range(mr):
        w(f"            FloatVector x{i} = FloatVector.broadcast(SPECIES, a.get(F, a{i} + q));")
        w(f"            c{i}0 = x{i}.fma(b0, c{i}0);")
        w(f"            c{i}1 = x{i}.fma(b1, c{i}1);")
    w("            q += aStep;")
    w("            pb += bStep;")
    w("        }")


def to_all(w):
    """Prologue of an unchecked tile: the segments' addresses move into the offsets, the constant ALL
    replaces the segments. The caller has checked bounds, liveness and thread (see Matmul.run)."""
    w("        aOff += a.address();")
    w("        bOff += b.address();")
    w("        cOff += c.address();")
    w("        a = ALL;")
    w("        b = ALL;")
    w("        c = ALL;")
    w("        if (bias != null) {")
    w("            biasOff += bias.address();")
    w("            bias = ALL;")
    w("        }")


def signature(w, base, doc, extra, unchecked):
    """A tile's doc comment (`doc`, lines without the comment markers), parameter list (A, B, C, bias, then
    `extra`) and, for its unchecked twin, a one-line doc and the prologue."""
    name = base + "Unchecked" if unchecked else base
    if unchecked:
        w(f"    /** {{@link #{base}}} over native segments whose bounds, liveness and thread the caller has checked. */")
    elif len(doc) == 1:
        w(f"    /** {doc[0]} */")
    else:
        w("    /**")
        for line in doc:
            w(f"     * {line}")
        w("     */")
    pad = " " * len(name)
    w(f"    static void {name}(MemorySegment a, long aOff, long aRowStride, long aStep,")
    w(f"                 {pad}MemorySegment b, long bOff, long bStep, int kc,")
    w(f"                 {pad}MemorySegment c, long cOff, long cRowStride, boolean loadC,")
    w(f"                 {pad}MemorySegment bias, long biasOff{extra}) {{")
    if unchecked:
        to_all(w)


def tile(w, mr, unchecked):
    signature(w, "tile", ["See {@link TileShape#tile}."], "", unchecked)
    # Accumulators start at zero and C is read only after the K loop: C rows are usually far out of
    # cache (one K block ago), and a load at the top would stall the first FMAs on it, while a load at
    # the bottom overlaps with the next tile's FMAs in the out-of-order window.
    w("        FloatVector z = FloatVector.zero(SPECIES);")
    decl = ", ".join(f"c{i}0 = z, c{i}1 = z" for i in range(mr))
    w(f"        FloatVector {decl};")
    k_loop(w, mr)
    add_bias(w, mr, "")
    w("        if (loadC) {")
    for i in range(mr):
        off = "cOff" if i == 0 else f"cOff + {i} * cRowStride"
        w(f"            c{i}0 = c{i}0.add(FloatVector.fromMemorySegment(SPECIES, c, {off}, ORDER));")
        w(f"            c{i}1 = c{i}1.add(FloatVector.fromMemorySegment(SPECIES, c, {off} + VB, ORDER));")
    w("        }")
    for i in range(mr):
        off = "cOff" if i == 0 else f"cOff + {i} * cRowStride"
        w(f"        c{i}0.intoMemorySegment(c, {off}, ORDER);")
        w(f"        c{i}1.intoMemorySegment(c, {off} + VB, ORDER);")
    w("    }")


def tile_masked(w, mr, unchecked):
    """An edge tile: C's rows and columns limited, by branches and vector masks. Same order of
    arithmetic as tile() (docs/reproducibility.md): products from zero, then the bias, then C, so a column
    computed here has the bits it would have in a full tile."""
    signature(w, "tileMasked", [
        "An edge tile: like {@link #tile} with C's loads and stores limited to the first {@code mv} rows and",
        "{@code nv} columns (masked vector accesses, so nothing outside C is touched). A must be zero-padded",
        "to full rows and B to full columns (packing does both), so the arithmetic is the full tile's.",
    ], ", int mv, int nv", unchecked)
    w("        VectorMask<Float> m0 = SPECIES.indexInRange(0, nv);")
    w("        VectorMask<Float> m1 = SPECIES.indexInRange(SPECIES.length(), nv);")
    w("        FloatVector z = FloatVector.zero(SPECIES);")
    decl = ", ".join(f"c{i}0 = z, c{i}1 = z" for i in range(mr))
    w(f"        FloatVector {decl};")
    k_loop(w, mr)
    add_bias(w, mr, ", m0", ", m1")
    for i in range(mr):
        off = "cOff" if i == 0 else f"cOff + {i} * cRowStride"
        w(f"        if ({i} < mv) {{")
        w("            if (loadC) {")
        w(f"                c{i}0 = c{i}0.add(FloatVector.fromMemorySegment(SPECIES, c, {off}, ORDER, m0));")
        w(f"                c{i}1 = c{i}1.add(FloatVector.fromMemorySegment(SPECIES, c, {off} + VB, ORDER, m1));")
        w("            }")
        w(f"            c{i}0.intoMemorySegment(c, {off}, ORDER, m0);")
        w(f"            c{i}1.intoMemorySegment(c, {off} + VB, ORDER, m1);")
        w("        }")
    w("    }")


def tile_short(w, rows, unchecked):
    """A bottom-edge tile of at most `rows` rows and full columns: no vector masks, rows limited by branches."""
    signature(w, f"tileRows{rows}", [
        f"A bottom edge of at most {rows} rows ({{@code mv <= {rows}}}) and full columns: the full tile would spend a",
        "third of its multiply-adds on padding rows (64 rows are ten tiles of six and one of four). No vector",
        "masks, so the JIT's first tier compiles it whole: with masks it compiled at one C1 level and not the",
        "next, and the method was seen stuck in that slow code for a whole JVM (docs/performance.md).",
    ], ", int mv", unchecked)
    w("        FloatVector z = FloatVector.zero(SPECIES);")
    decl = ", ".join(f"c{i}0 = z, c{i}1 = z" for i in range(rows))
    w(f"        FloatVector {decl};")
    k_loop(w, rows)
    add_bias(w, rows, "")
    for i in range(rows):
        off = "cOff" if i == 0 else f"cOff + {i} * cRowStride"
        ind = "        " if i == 0 else "            "  # row 0 always exists (mv >= 1)
        if i > 0:
            w(f"        if ({i} < mv) {{")
        w(f"{ind}if (loadC) {{")
        w(f"{ind}    c{i}0 = c{i}0.add(FloatVector.fromMemorySegment(SPECIES, c, {off}, ORDER));")
        w(f"{ind}    c{i}1 = c{i}1.add(FloatVector.fromMemorySegment(SPECIES, c, {off} + VB, ORDER));")
        w(f"{ind}}}")
        w(f"{ind}c{i}0.intoMemorySegment(c, {off}, ORDER);")
        w(f"{ind}c{i}1.intoMemorySegment(c, {off} + VB, ORDER);")
        if i > 0:
            w("        }")
    w("    }")


def gen(bits, mr):
    cls = f"MicroKernel{bits}"
    L = []
    w = L.append
    w("// Generated by tools/kernels/gen_microkernels.py: edit that script, not this file.")
    w("package io.numarrow.kernels;")
    w("")
    w("import java.lang.foreign.MemorySegment;")
    w("import java.lang.foreign.ValueLayout;")
    w("import java.nio.ByteOrder;")
    w("import jdk.incubator.vector.FloatVector;")
    w("import jdk.incubator.vector.VectorMask;")
    w("import jdk.incubator.vector.VectorSpecies;")
    w("")
    w("/**")
    w(f" * The {mr}×{2}·{bits//32} register-blocked sgemm tile for {bits}-bit vectors: {mr} rows of C, two vectors")
    w(" * wide, held in local accumulators across a K block (see {@link TileShape#tile}).")
    w(" *")
    w(" * <p>The species is a compile-time constant here, and the accumulators are separate locals, because")
    w(" * the Vector API only compiles to registers when both hold: a species passed as a parameter, or")
    w(" * vectors kept in an array, fall back to boxed vectors, many times slower (docs/performance.md). That is also")
    w(" * why each vector width has its own copy of this class rather than one generic method.")
    w(" *")
    w(" * <p>Six rows (twelve accumulators) even where 32 registers would hold more: with eight or more rows")
    w(" * the JIT's first tier gives up on the method (\"out of virtual registers\") and, when the optimising")
    w(" * compiler is busy, the kernel was seen stuck in slow code for a whole JVM. Six rows compile at")
    w(" * every tier (the figures: docs/performance.md).")
    w(" *")
    w(" * <p>Each tile has an unchecked twin, the same code reading and writing through one constant segment")
    w(" * spanning the address space: the JIT folds its bounds and scope checks away, where the checks of")
    w(" * segments passed in are redone at every tile, which small multiplies feel (docs/performance.md).")
    w(" * {@link Matmul} uses the twins for native segments it has checked itself.")
    w(" */")
    w(f"final class {cls} {{")
    w(f"    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_{bits};")
    w(f"    /** Rows of C per tile. */")
    w(f"    static final int MR = {mr};")
    w(f"    /** Rows of the short bottom-edge tile, {{@link #tileRows{SHORT_ROWS}}}. */")
    w(f"    static final int SHORT_MR = {SHORT_ROWS};")
    w(f"    /** Columns of C per tile: two vectors. */")
    w(f"    static final int NR = 2 * {bits // 32};")
    w("    private static final long VB = SPECIES.vectorByteSize();")
    w("    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;")
    w("    private static final ByteOrder ORDER = ByteOrder.nativeOrder();")
    w("    /**")
    w("     * The whole address space, for the unchecked tiles: a constant segment whose bounds and scope the JIT")
    w("     * folds away, where a segment passed in costs its checks at every tile.")
    w("     */")
    w("    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);")
    w("")
    w(f"    private {cls}() {{")
    w("    }")
    w("")
    for unchecked in (False, True):
        tile(w, mr, unchecked)
        w("")
        tile_masked(w, mr, unchecked)
        w("")
        tile_short(w, SHORT_ROWS, unchecked)
        if not unchecked:
            w("")
    w("}")
    return "\n".join(L) + "\n"

SHORT_ROWS = 4
out = sys.argv[1]
rows512 = int(sys.argv[2]) if len(sys.argv) > 2 else 6
for bits, mr in ((512, rows512), (256, 6), (128, 6)):
    open(f"{out}/MicroKernel{bits}.java", "w").write(gen(bits, mr))
