package io.numarrow.threading;

import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.Softmax;
import io.numarrow.numa.HugePageBuffers;
import io.numarrow.numa.NodePages;
import io.numarrow.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Tensor operations split across a {@link ThreadPool}: rows of the left operand are cut into tiles,
 * each run by a single-threaded kernel, which the pool's workers (and the caller, see {@link TileLoop})
 * claim one after another.
 *
 * <p>Matmul packs B once per call into a buffer this object keeps and reuses (in parallel by column
 * panels when B is large), then every tile multiplies its rows against that shared packed B, reading
 * its rows of A in place (or, for very wide B, packing them into the worker's own reused scratch).
 * Tiles are whole micro-kernel row groups, and there are no more of them than the work justifies: a
 * problem too small to pay for dispatch runs on the calling thread, a small one on the caller and a
 * few workers, and a large one wholly on the pool while a caller from outside it waits. The fused
 * {@link #matmulSoftmaxInto} normalises each cache block of rows right after computing it, while it is
 * still in cache. Packed B, the kernels' scratch and the tile loops (which hold a call's operands and
 * its reusable tasks) are kept for the next call: in steady state a call allocates nothing.
 *
 * <p>On a NUMA-aware pool whose workers sit on several nodes, the packed B is copied once per call
 * to every such node ({@link #weightNodes()}), and each tile reads its own node's copy and moves the
 * pages of its output rows to its node: the weights are read from local memory by every worker, as
 * the seed design's "mirror" placement asks. {@link #weightCopies()} counts the copies made.
 *
 * <p>A job that multiplies many batches by the same weights packs (and copies) them once with
 * {@link #prepare} and passes the {@link PreparedWeights} to every call instead.
 *
 * <p>The {@code ...Into} forms write into a tensor the caller provides (such as an Arrow output column),
 * the others allocate the result from the given allocator.
 */
public final class ParallelOps {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /**
     * Least matmul work (multiply-adds) worth a task of its own: about 10 µs on one core, above what
     * handing a task to a spinning worker costs. A problem of less than two such tiles (below 128³)
     * runs inline; 64³ split in two measured slower than inline, 128³ 1.4 times faster.
     */
    static final long MIN_TILE_MACS = 1L << 20;
    /** Least softmax work (elements) worth a task of its own. */
    static final long MIN_TILE_ELEMENTS = 1L << 15;
    /** B at least this large (floats) is packed by all workers, smaller on the calling thread. */
    static final long PARALLEL_PACK_FLOATS = 1L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(ParallelOps.class);
    private static final long PAGE = 4096;

    private final ThreadPool pool;
    /** Packed B of the last call, kept for the next: taken while in use, so concurrent calls never share it. */
    private final AtomicReference<MemorySegment> packedB = new AtomicReference<>(MemorySegment.NULL);
    /** Kernel ids of the nodes that get their own copy of packed B; empty when one copy serves all. */
    private final int[] weightNodes;
    /** Per node (by position in weightNodes), the copy of packed B kept for the next call. */
    private final AtomicReferenceArray<MemorySegment> nodeCopies;
    private final LongAdder weightCopies = new LongAdder();
    /** Tile loops kept for the next call, as packed B is: dispatch allocates nothing in steady state. */
    private final AtomicReference<GemmTiles> gemmTiles = new AtomicReference<>();
    private final AtomicReference<PackTiles> packTiles = new AtomicReference<>();
    private final AtomicReference<SoftmaxTiles> softmaxTiles = new AtomicReference<>();
    /** Matmul while the vector kernels are not compiled yet ({@link KernelWarmup}). */
    private final BridgeGemm bridge;

    public ParallelOps(ThreadPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
        KernelWarmup.start();
        this.bridge = new BridgeGemm(pool, SPECIES);
        int[] nodes = pool.placements().stream().mapToInt(WorkerPlacement::node).filter(n -> n >= 0)
                .distinct().sorted().toArray();
        this.weightNodes = nodes.length > 1 ? nodes : new int[0];
        this.nodeCopies = new AtomicReferenceArray<>(weightNodes.length);
        if (weightNodes.length > 0) {
            LOG.debug("workers on NUMA nodes {}: packed weights are copied to each", java.util.Arrays.toString(weightNodes));
        }
    }

    public ThreadPool pool() {
        return pool;
    }

    /** The NUMA nodes that get their own copy of the packed weights each matmul (empty: one shared copy). */
    public List<Integer> weightNodes() {
        return java.util.Arrays.stream(weightNodes).boxed().toList();
    }

    /** How many per-node copies of packed weights this object has made so far. */
    public long weightCopies() {
        return weightCopies.sum();
    }

    /**
     * Starts getting the Vector API kernels compiled on a background thread, once per JVM (creating a
     * {@code ParallelOps} does it too): call it as early as possible, before reading input. Until they
     * are compiled, matmuls run on a scalar kernel that gives the same bits. Off unless the property
     * {@code numarrow.warmup=true} is set (see {@code docs/warmup.md} for why).
     */
    public static void startWarmup() {
        KernelWarmup.start();
    }

    /** Wall nanoseconds this JVM's kernel warm-up took; 0 if none ran, -1 while it is still running. */
    public long warmupNanos() {
        return KernelWarmup.nanos();
    }

    /** {@code a[m×k] · b[k×n]} into a new {@code m×n} tensor from {@code allocator}. */
    public Tensor matmul(Tensor a, Tensor b, BufferAllocator allocator) {
        checkMatmulShapes(a, b, false);
        Tensor out = Tensor.allocate(allocator, a.rows(), b.cols());
        try {
            matmulInto(a, b, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** {@code out = a · b}; {@code out} must be {@code a.rows() × b.cols()} and not alias a or b. */
    public void matmulInto(Tensor a, Tensor b, Tensor out) {
        gemmInto(a, b, false, null, false, out, false);
    }

    /**
     * The general form: {@code out (=|+=) a · op(b) (+ bias)}.
     *
     * @param b          {@code k×n}, or {@code n×k} when {@code transposeB} (weights stored one row per output)
     * @param bias       a {@code 1×n} tensor added to every row, or null
     * @param accumulate add to {@code out}'s contents instead of overwriting them
     * @param out        {@code m×n}, not aliasing a, b or bias
     */
    public void gemmInto(Tensor a, Tensor b, boolean transposeB, Tensor bias, boolean accumulate, Tensor out) {
        gemmInto(a, b, transposeB, bias, accumulate, out, false);
    }

    /** Softmax of every row of {@code input} into a new tensor from {@code allocator}. */
    public Tensor softmax(Tensor input, BufferAllocator allocator) {
        Objects.requireNonNull(input, "input");
        Tensor out = Tensor.allocate(allocator, input.rows(), input.cols());
        try {
            softmaxInto(input, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * {@code out = softmax(input)} row by row; {@code out} may be {@code input} (in place). Rows holding
     * NaN or {@code +inf}, and rows of only {@code -inf}, come out as NaN (see {@link Softmax}).
     */
    public void softmaxInto(Tensor input, Tensor out) {
        Objects.requireNonNull(input, "input");
        checkShape(out, input.rows(), input.cols(), "softmax output");
        int rows = input.rows();
        int cols = input.cols();
        MemorySegment in = input.liveSegment();
        MemorySegment o = out.liveSegment();
        long elements = (long) rows * cols;
        int units = (int) Math.min(rows, elements / MIN_TILE_ELEMENTS);
        if (units <= 1) {
            Softmax.rows(in, o, cols, 0, rows);
            return;
        }
        SoftmaxTiles loop = softmaxTiles.getAndSet(null);
        if (loop == null) {
            loop = new SoftmaxTiles(pool);
        }
        try {
            loop.in = in;
            loop.out = o;
            loop.rows = rows;
            loop.cols = cols;
            loop.run(tileCount(units));
        } finally {
            loop.in = null;
            loop.out = null;
            softmaxTiles.set(loop);
        }
    }

    /**
     * Tiles for {@code units} pieces of work each worth a task: a few per worker, so that uneven
     * tiles even out, never more than the units.
     */
    private int tileCount(int units) {
        return Math.min(units, pool.size() * TileScheduler.TILES_PER_WORKER);
    }

    /** {@code softmax(a · b)} into a new tensor: the batch-feature job. */
    public Tensor matmulSoftmax(Tensor a, Tensor b, BufferAllocator allocator) {
        checkMatmulShapes(a, b, false);
        Tensor out = Tensor.allocate(allocator, a.rows(), b.cols());
        try {
            matmulSoftmaxInto(a, b, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** {@code out = softmax(a · b)}, each block of rows normalised right after it is computed. */
    public void matmulSoftmaxInto(Tensor a, Tensor b, Tensor out) {
        gemmInto(a, b, false, null, false, out, true);
    }

    private void gemmInto(Tensor a, Tensor b, boolean transposeB, Tensor bias, boolean accumulate, Tensor out,
                          boolean softmax) {
        checkMatmulShapes(a, b, transposeB);
        int m = a.rows();
        int k = a.cols();
        int n = transposeB ? b.rows() : b.cols();
        checkShape(out, m, n, "matmul output");
        if (bias != null) {
            checkShape(bias, 1, n, "bias");
        }
        MemorySegment as = a.liveSegment();
        MemorySegment bs = b.liveSegment();
        MemorySegment cs = out.liveSegment();
        MemorySegment biasSeg = bias == null ? null : bias.liveSegment();
        int units = matmulUnits(m, n, k);
        if (!KernelWarmup.vectorKernelsReady()) {
            bridge.gemm(as, bs, cs, m, n, k, transposeB, biasSeg, accumulate, softmax, units <= 1 ? 1 : tileCount(units),
                    Matmul.rowGroup(SPECIES));
            return;
        }
        if (units <= 1) {
            Matmul.multiply(SPECIES, as, bs, cs, m, n, k, transposeB, biasSeg, accumulate);
            if (softmax) {
                Softmax.rows(cs, cs, n, 0, m);
            }
            return;
        }
        long packedBytes = Matmul.packedBBytes(SPECIES, k, n);
        MemorySegment packed = borrowPackedB(packedBytes);
        GemmTiles loop = borrowGemmTiles();
        MemorySegment[] copies = loop.ownCopies;
        try {
            packB(bs, k, n, transposeB, packed);
            copyToNodes(packed, packedBytes, copies);
            loop.copies = copies;
            runGemmTiles(loop, packed, as, cs, biasSeg, m, n, k, accumulate, softmax, units);
        } finally {
            packedB.set(packed);
            for (int i = 0; i < copies.length; i++) {
                if (copies[i] != null) {
                    nodeCopies.set(i, copies[i]);
                    copies[i] = null;
                }
            }
            gemmTiles.set(loop);
        }
    }

    /**
     * Packs {@code w} ({@code k×n}) once, and copies it to each NUMA node this object's workers
     * use, for any number of later {@link #matmulInto(Tensor, PreparedWeights, Tensor)} calls (by
     * any thread, with this or another {@code ParallelOps}): a batch job's weights, prepared once
     * per job instead of once per batch. Close the result to free it.
     */
    public PreparedWeights prepare(Tensor w) {
        return prepare(w, false);
    }

    /** {@link #prepare(Tensor)} for weights stored transposed: {@code w} is {@code n×k}, one row per output. */
    public PreparedWeights prepare(Tensor w, boolean transposed) {
        PreparedWeights p = PreparedWeights.pack(w, transposed, weightNodes);
        weightCopies.add(p.nodeCopies());
        return p;
    }

    /** {@code out = a · w}; the same bits as {@link #matmulInto(Tensor, Tensor, Tensor)} with the unprepared weights. */
    public void matmulInto(Tensor a, PreparedWeights w, Tensor out) {
        gemmInto(a, w, null, false, out, false);
    }

    /** {@code out = softmax(a · w)}; the same bits as the unprepared call. */
    public void matmulSoftmaxInto(Tensor a, PreparedWeights w, Tensor out) {
        gemmInto(a, w, null, false, out, true);
    }

    /** {@code out = a · w} into a new tensor from {@code allocator}. */
    public Tensor matmul(Tensor a, PreparedWeights w, BufferAllocator allocator) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Tensor out = Tensor.allocate(allocator, a.rows(), w.cols());
        try {
            matmulInto(a, w, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * {@code out (=|+=) a · w (+ bias)} with prepared weights (transposed or not, as prepared); the
     * same bits as {@link #gemmInto(Tensor, Tensor, boolean, Tensor, boolean, Tensor)}.
     */
    public void gemmInto(Tensor a, PreparedWeights w, Tensor bias, boolean accumulate, Tensor out) {
        gemmInto(a, w, bias, accumulate, out, false);
    }

    private void gemmInto(Tensor a, PreparedWeights w, Tensor bias, boolean accumulate, Tensor out, boolean softmax) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "prepared weights");
        int m = a.rows();
        int k = w.rows();
        int n = w.cols();
        if (a.cols() != k) {
            throw new IllegalArgumentException("matmul shapes do not fit: a is " + m + "×" + a.cols()
                    + ", the prepared weights are " + k + "×" + n + " (a's columns must equal the weights' rows)");
        }
        checkShape(out, m, n, "matmul output");
        if (bias != null) {
            checkShape(bias, 1, n, "bias");
        }
        MemorySegment as = a.liveSegment();
        MemorySegment cs = out.liveSegment();
        MemorySegment biasSeg = bias == null ? null : bias.liveSegment();
        w.acquire();
        try {
            int units = matmulUnits(m, n, k);
            float[][] rowsForBridge = w.rowsForBridge();
            if (rowsForBridge != null) { // null once the vector kernels are compiled
                bridge.gemmRows(as, rowsForBridge, cs, m, n, k, biasSeg, accumulate, softmax,
                        units <= 1 ? 1 : tileCount(units), Matmul.rowGroup(SPECIES));
                return;
            }
            if (units <= 1) {
                Matmul.multiplyPacked(SPECIES, w.packed(), as, cs, m, n, k, 0, m, biasSeg, accumulate);
                if (softmax) {
                    Softmax.rows(cs, cs, n, 0, m);
                }
                return;
            }
            GemmTiles loop = borrowGemmTiles();
            try {
                loop.prepared = w;
                runGemmTiles(loop, w.packed(), as, cs, biasSeg, m, n, k, accumulate, softmax, units);
            } finally {
                loop.prepared = null;
                gemmTiles.set(loop);
            }
        } finally {
            w.release();
        }
    }

    /** Tiles a {@code m×n×k} product is worth: at most one per row group, each of at least {@link #MIN_TILE_MACS}. */
    private static int matmulUnits(int m, int n, int k) {
        long macs = (long) m * n * Math.max(k, 1);
        int groups = (m + Matmul.rowGroup(SPECIES) - 1) / Matmul.rowGroup(SPECIES);
        return (int) Math.min(groups, macs / MIN_TILE_MACS);
    }

    private GemmTiles borrowGemmTiles() {
        GemmTiles loop = gemmTiles.getAndSet(null);
        return loop != null ? loop : new GemmTiles(pool, weightNodes.length);
    }

    private void runGemmTiles(GemmTiles loop, MemorySegment packed, MemorySegment as, MemorySegment cs,
                              MemorySegment biasSeg, int m, int n, int k, boolean accumulate, boolean softmax,
                              int units) {
        try {
            loop.packed = packed;
            loop.a = as;
            loop.c = cs;
            loop.bias = biasSeg;
            loop.m = m;
            loop.n = n;
            loop.k = k;
            loop.groups = (m + Matmul.rowGroup(SPECIES) - 1) / Matmul.rowGroup(SPECIES);
            loop.accumulate = accumulate;
            loop.softmax = softmax;
            loop.run(tileCount(units));
        } finally {
            loop.packed = null;
            loop.a = null;
            loop.c = null;
            loop.bias = null;
            loop.copies = null;
        }
    }

    /** Packs B into {@code packed}: on the calling thread when small, by column panels on the pool when large. */
    private void packB(MemorySegment bs, int k, int n, boolean transposeB, MemorySegment packed) {
        int panels = Matmul.panelCount(SPECIES, n);
        if ((long) k * n < PARALLEL_PACK_FLOATS) {
            Matmul.packB(SPECIES, bs, k, n, transposeB, packed, 0, panels);
            return;
        }
        PackTiles loop = packTiles.getAndSet(null);
        if (loop == null) {
            loop = new PackTiles(pool);
        }
        try {
            loop.b = bs;
            loop.packed = packed;
            loop.k = k;
            loop.n = n;
            loop.transposeB = transposeB;
            loop.panels = panels;
            loop.run(tileCount(panels));
        } finally {
            loop.b = null;
            loop.packed = null;
            packTiles.set(loop);
        }
    }

    /** The tiles of a matmul (or fused matmul and softmax): whole row groups of A against the shared packed B. */
    private final class GemmTiles extends TileLoop {
        /** This loop's own per-node copies of packed B, for unprepared calls. */
        final MemorySegment[] ownCopies;
        /** The per-node copies of this call (unprepared), or null. */
        MemorySegment[] copies;
        /** The weights of this call when prepared, or null. */
        PreparedWeights prepared;
        MemorySegment packed;
        MemorySegment a;
        MemorySegment c;
        MemorySegment bias;
        int m;
        int n;
        int k;
        int groups;
        boolean accumulate;
        boolean softmax;

        GemmTiles(ThreadPool pool, int nodes) {
            super(pool);
            this.ownCopies = new MemorySegment[nodes];
        }

        @Override
        protected void runTile(int tile, int tiles) {
            int mr = Matmul.rowGroup(SPECIES);
            int rs = split(groups, tiles, tile) * mr;
            int re = Math.min(m, split(groups, tiles, tile + 1) * mr);
            MemorySegment local = weightNodes.length == 0 ? packed : localCopy(this, rs, re);
            if (!softmax) {
                Matmul.multiplyPacked(SPECIES, local, a, c, m, n, k, rs, re, bias, accumulate);
                return;
            }
            int block = Matmul.rowBlock(SPECIES);
            for (int r = rs; r < re; r += block) {
                int e = Math.min(re, r + block);
                Matmul.multiplyPacked(SPECIES, local, a, c, m, n, k, r, e, bias, accumulate);
                Softmax.rows(c, c, n, r, e);
            }
        }
    }

    /** Packing a large B, a range of column panels per tile. */
    private static final class PackTiles extends TileLoop {
        MemorySegment b;
        MemorySegment packed;
        int k;
        int n;
        int panels;
        boolean transposeB;

        PackTiles(ThreadPool pool) {
            super(pool);
        }

        @Override
        protected void runTile(int tile, int tiles) {
            Matmul.packB(SPECIES, b, k, n, transposeB, packed, split(panels, tiles, tile), split(panels, tiles, tile + 1));
        }
    }

    /** Softmax, a range of rows per tile. */
    private static final class SoftmaxTiles extends TileLoop {
        MemorySegment in;
        MemorySegment out;
        int rows;
        int cols;

        SoftmaxTiles(ThreadPool pool) {
            super(pool);
        }

        @Override
        protected void runTile(int tile, int tiles) {
            Softmax.rows(in, out, cols, split(rows, tiles, tile), split(rows, tiles, tile + 1));
        }
    }

    /** Copies packed B to page-aligned memory preferred on each weight node. */
    private void copyToNodes(MemorySegment packed, long bytes, MemorySegment[] copies) {
        for (int i = 0; i < copies.length; i++) {
            MemorySegment copy = nodeCopies.getAndSet(i, null);
            if (copy == null || copy.byteSize() < bytes) {
                copy = HugePageBuffers.allocate(Math.max(bytes, PAGE), PAGE);
                NodePages.moveTo(copy, weightNodes[i]);
            }
            MemorySegment.copy(packed, 0, copy, 0, bytes);
            copies[i] = copy;
            weightCopies.increment();
        }
    }

    /**
     * The calling worker's node's copy of the tiles' packed B (the shared one for a caller off the
     * pool), and the output rows {@code [rs, re)} moved to that node before they are written.
     */
    private MemorySegment localCopy(GemmTiles loop, int rs, int re) {
        if (ThreadPool.currentWorkerIndex() < 0) {
            return loop.packed; // the calling thread belongs to no node in particular
        }
        int node = ThreadPool.currentNode();
        for (int i = 0; i < weightNodes.length; i++) {
            if (weightNodes[i] == node) {
                NodePages.moveTo(loop.c.asSlice((long) rs * loop.n * Float.BYTES,
                        (long) (re - rs) * loop.n * Float.BYTES), node);
                return loop.prepared != null ? loop.prepared.forNode(node) : loop.copies[i];
            }
        }
        return loop.packed;
    }

    /** The first of {@code count} items that belongs to part {@code part} of {@code parts} even parts. */
    private static int split(int count, int parts, int part) {
        return (int) ((long) count * part / parts);
    }

    private MemorySegment borrowPackedB(long bytes) {
        MemorySegment s = packedB.getAndSet(null);
        if (s == null || s.byteSize() < bytes) {
            s = HugePageBuffers.allocate(Math.max(bytes, 64), 64);
        }
        return s;
    }

    private static void checkMatmulShapes(Tensor a, Tensor b, boolean transposeB) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        int bk = transposeB ? b.cols() : b.rows();
        if (a.cols() != bk) {
            throw new IllegalArgumentException("matmul shapes do not fit: a is " + a.rows() + "×" + a.cols()
                    + ", b is " + b.rows() + "×" + b.cols() + (transposeB
                    ? " (transposed: a's columns must equal b's columns)"
                    : " (a's columns must equal b's rows)"));
        }
    }

    private static void checkShape(Tensor t, int rows, int cols, String what) {
        Objects.requireNonNull(t, what);
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(what + " is " + t.rows() + "×" + t.cols()
                    + ", expected " + rows + "×" + cols);
        }
    }
}
