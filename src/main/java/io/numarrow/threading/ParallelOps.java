package io.numarrow.threading;

import io.numarrow.jit.KernelCompile;
import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.RowArgmax;
import io.numarrow.kernels.Softmax;
import io.numarrow.numa.NodePages;
import io.numarrow.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tensor operations split across a {@link ThreadPool}: rows of the left operand are cut into tiles,
 * each run by a single-threaded kernel, which the pool's workers (and the caller, see {@link TileLoop})
 * claim one after another. The {@code ...Into} forms write into a tensor the caller provides (such as
 * an Arrow output column); the others allocate the result from the given allocator.
 *
 * <p>Implementation overview. Every matmul takes one route: B is packed into a {@link PreparedWeights}
 * (once per job by {@link #prepare}, or per call into one this object keeps), the call's operands go
 * into one holder ({@code GemmCall}), and its tiles run on the pool:
 * <pre>{@code
 *   for each tile, in parallel:   C[rows] = A[rows] · packed B    (+ softmax of each cache block, fused)
 * }</pre>
 * The one exception: a call given plain weights that is one thread's work, or too little to pay for
 * packing B and shipping it to another core ({@code PLAIN_SPLIT_MACS}), runs the kernel at once on the
 * calling thread, which reads a small B in place rather than pack it. What the code keeps true:
 * <ul>
 * <li>Same bits on every path (docs/reproducibility.md): the tile count, packing and per-node copies
 * change no result, nor does the JIT tier the kernels run at.</li>
 * <li>The kernels are compiled before a call first runs them ({@link KernelCompile}, once per JVM, on
 * the calling thread): no call runs them boxed while the JIT catches up.</li>
 * <li>Nothing allocated per call in steady state: the reusable weights, the tile loops with their
 * operand holders, and the kernels' scratch are kept for the next call ({@code Kept}).</li>
 * <li>Concurrent calls share nothing mutable: a call takes each kept object and puts it back when done,
 * so a second call running meanwhile makes its own; a holder is cleared before it goes back.</li>
 * <li>No more tiles than the work justifies, each worth {@code MIN_TILE_MACS}: a small problem runs on
 * the calling thread, a larger one on the caller and a few workers, a large one on the whole pool (the
 * caller in one worker's place, see {@link TileLoop}).</li>
 * <li>On a pool whose workers sit on several NUMA nodes, packed B has a copy on each
 * ({@link #weightNodes()}); a worker reads its node's copy and first moves the pages of the output rows
 * it writes to its node.</li>
 * </ul>
 *
 * <p>Threading: any number of threads may call one object at once.
 */
public final class ParallelOps {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Least matmul work (multiply-adds) worth a task of its own: more than handing it to a worker costs. */
    static final long MIN_TILE_MACS = 1L << 20;
    /** Least softmax work (elements) worth a task of its own. */
    static final long MIN_TILE_ELEMENTS = 1L << 15;
    /**
     * Whole row blocks ({@link Matmul#rowBlock}) per worker a matmul needs before its tiles are cut at row
     * blocks rather than row groups: enough for the workers to even out, and each tile then packs A and
     * streams B once per full block, where a tile shorter than a block streams B once per tile.
     */
    static final int ROW_BLOCKS_PER_WORKER = 2;
    /**
     * Least work (multiply-adds) a call given plain weights must be to be split: below it the calling thread
     * alone reads B in place. Split, B is packed per call on the caller and every other thread reads the
     * packed copy out of the caller's cache, which costs more than a second thread gives up to here.
     */
    static final long PLAIN_SPLIT_MACS = 1L << 22;
    /** B at least this large (floats) is packed by all workers, smaller on the calling thread. */
    static final long PARALLEL_PACK_FLOATS = 1L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(ParallelOps.class);

    private final ThreadPool pool;
    /** Every call runs on its calling thread alone ({@link #onCallingThread()}). */
    private final boolean callerOnly;
    /** Kernel ids of the nodes that get their own copy of packed B; empty when one copy serves all. */
    private final int[] weightNodes;
    private final LongAdder weightCopies = new LongAdder();
    private final PreparedWeights.Packer packer = this::packB;
    /** B of a call given plain weights, packed into buffers kept for the next such call. */
    private final Kept<PreparedWeights> reusableWeights;
    private final Kept<GemmTiles> gemmTiles = new Kept<>(GemmTiles::new);
    private final Kept<PackTiles> packTiles = new Kept<>(PackTiles::new);
    private final Kept<SoftmaxTiles> softmaxTiles = new Kept<>(SoftmaxTiles::new);
    private final Kept<ArgmaxTiles> argmaxTiles = new Kept<>(ArgmaxTiles::new);

    public ParallelOps(ThreadPool pool) {
        this(pool, false);
    }

    private ParallelOps(ThreadPool pool, boolean callerOnly) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.callerOnly = callerOnly;
        int[] nodes = pool.placements().stream().mapToInt(WorkerPlacement::node).filter(n -> n >= 0)
                .distinct().sorted().toArray();
        this.weightNodes = nodes.length > 1 ? nodes : new int[0];
        this.reusableWeights = new Kept<>(() -> PreparedWeights.reusable(weightNodes));
        if (weightNodes.length > 0) {
            LOG.debug("workers on NUMA nodes {}: packed weights are copied to each", Arrays.toString(weightNodes));
        }
    }

    public ThreadPool pool() {
        return pool;
    }

    /**
     * Operations over the same pool whose every call runs on its calling thread alone, without a task
     * to the workers: for callers that are already one per core, such as Spark's tasks, where handing
     * each batch to the pool only makes the threads take turns. Weights prepared by either object serve
     * both, with the same bits.
     */
    public ParallelOps onCallingThread() {
        return callerOnly ? this : new ParallelOps(pool, true);
    }

    /** The NUMA nodes that get their own copy of the packed weights (empty: one shared copy). */
    public List<Integer> weightNodes() {
        return Arrays.stream(weightNodes).boxed().toList();
    }

    /** How many per-node copies of packed weights this object has made so far. */
    public long weightCopies() {
        return weightCopies.sum();
    }

    /**
     * Starts getting the kernels compiled ({@link KernelCompile}, for a 256→256 matmul and softmax) on a
     * thread of its own, once per JVM, and returns at once: call it as early as possible, before reading
     * input, so that the compiling overlaps that work. The first matmul, softmax or {@link #prepare} then
     * waits for it to finish (compiling for its own shape instead if none was started), so no call runs
     * the kernels boxed and no worker competes with the compiler.
     */
    public static void startWarmup() {
        KernelCompileStart.start();
    }

    /**
     * Wall nanoseconds this JVM spent getting the kernels compiled before their first use ({@link
     * KernelCompile#result()}); 0 if it did not (not yet, or without jvm.flags' compile policy).
     */
    public long warmupNanos() {
        KernelCompile.Result r = KernelCompile.result();
        return r == null || !r.compiled() ? 0 : r.millis() * 1_000_000;
    }

    /** {@code a[m×k] · b[k×n]} into a new {@code m×n} tensor from {@code allocator}. */
    public Tensor matmul(Tensor a, Tensor b, BufferAllocator allocator) {
        checkMatmulShapes(a, b, false);
        return allocated(allocator, a.rows(), b.cols(), out -> matmulInto(a, b, out));
    }

    /** {@code out = a · b}; {@code out} must be {@code a.rows() × b.cols()} and not alias a or b. */
    public void matmulInto(Tensor a, Tensor b, Tensor out) {
        gemm(a, b, false, null, false, out, false);
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
        gemm(a, b, transposeB, bias, accumulate, out, false);
    }

    /** {@code softmax(a · b)} into a new tensor: the batch-feature job. */
    public Tensor matmulSoftmax(Tensor a, Tensor b, BufferAllocator allocator) {
        checkMatmulShapes(a, b, false);
        return allocated(allocator, a.rows(), b.cols(), out -> matmulSoftmaxInto(a, b, out));
    }

    /** {@code out = softmax(a · b)}, each block of rows normalised right after it is computed. */
    public void matmulSoftmaxInto(Tensor a, Tensor b, Tensor out) {
        gemm(a, b, false, null, false, out, true);
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
        return prepare(w, null, transposed);
    }

    /**
     * {@link #prepare(Tensor)} with a bias: {@code bias} ({@code 1×n}, or null) is kept with the packed
     * weights, and every call with them adds it to each row of the product inside the matmul tile (no
     * second pass): {@code softmax(a · w + bias)} is a multinomial logistic regression's scorer. The
     * bias is copied: the caller may close its tensor.
     */
    public PreparedWeights prepare(Tensor w, Tensor bias) {
        return prepare(w, bias, false);
    }

    /** {@link #prepare(Tensor, Tensor)} for weights stored transposed: {@code w} is {@code n×k}. */
    public PreparedWeights prepare(Tensor w, Tensor bias, boolean transposed) {
        Objects.requireNonNull(w, "weights");
        // a job's weights are prepared before its first batch: the kernels compiled now, softmax's too
        KernelCompile.compile(transposed ? w.cols() : w.rows(), transposed ? w.rows() : w.cols(), true, true, KernelCompileStart::beside);
        PreparedWeights p = PreparedWeights.pack(w, bias, transposed, weightNodes, packer);
        weightCopies.add(p.nodeCopies());
        return p;
    }

    /**
     * {@code out = a · w (+ w's bias)}; the same bits as {@link #matmulInto(Tensor, Tensor, Tensor)} with the
     * unprepared weights ({@link #gemmInto(Tensor, Tensor, boolean, Tensor, boolean, Tensor)} with the bias).
     */
    public void matmulInto(Tensor a, PreparedWeights w, Tensor out) {
        gemm(a, w, null, false, out, false, null);
    }

    /** {@code out = softmax(a · w (+ w's bias))}; the same bits as the unprepared call. */
    public void matmulSoftmaxInto(Tensor a, PreparedWeights w, Tensor out) {
        gemm(a, w, null, false, out, true, null);
    }

    /**
     * A model's scores and its class predictions in one pass: {@code out = a · w (+ w's bias)}, its
     * softmax when {@code softmax}, and for every row {@code i} the index of the largest entry of
     * {@code out}'s row into {@code classes} (an int32 at byte {@code 4i}; ties go to the lowest index,
     * a row holding NaN gives -1, see {@link RowArgmax}). Each cache block of rows is normalised and
     * its classes found right after it is computed, while still in cache. {@code out} holds the same
     * bits as {@link #matmulInto(Tensor, PreparedWeights, Tensor)} (or {@link #matmulSoftmaxInto(Tensor,
     * PreparedWeights, Tensor)}) give.
     *
     * @param classes at least {@code 4 · a.rows()} bytes, not overlapping the other operands
     */
    public void scoreInto(Tensor a, PreparedWeights w, boolean softmax, Tensor out, MemorySegment classes) {
        Objects.requireNonNull(classes, "classes");
        checkClasses(classes, a.rows());
        gemm(a, w, null, false, out, softmax, classes);
    }

    /**
     * For every row {@code i} of {@code input}, the index of its largest entry into {@code classes}
     * (an int32 at byte {@code 4i}; ties go to the lowest index; a row holding NaN gives -1), rows
     * split across workers.
     */
    public void argmaxInto(Tensor input, MemorySegment classes) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(classes, "classes");
        int rows = input.rows();
        checkClasses(classes, rows);
        ArgmaxTiles tiles = argmaxTiles.take();
        try {
            tiles.set(input.liveSegment(), classes, rows, input.cols());
            tiles.run(tileCount((int) Math.min(rows, (long) rows * input.cols() / MIN_TILE_ELEMENTS)));
        } finally {
            tiles.clear();
            argmaxTiles.put(tiles);
        }
    }

    /** {@code out = a · w} into a new tensor from {@code allocator}. */
    public Tensor matmul(Tensor a, PreparedWeights w, BufferAllocator allocator) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        return allocated(allocator, a.rows(), w.cols(), out -> matmulInto(a, w, out));
    }

    /**
     * {@code out (=|+=) a · w (+ bias)} with prepared weights (transposed or not, as prepared); the
     * same bits as {@link #gemmInto(Tensor, Tensor, boolean, Tensor, boolean, Tensor)}. {@code bias}
     * null adds the weights' own bias, if they hold one; weights that hold one take no other.
     */
    public void gemmInto(Tensor a, PreparedWeights w, Tensor bias, boolean accumulate, Tensor out) {
        gemm(a, w, bias, accumulate, out, false, null);
    }

    /** Softmax of every row of {@code input} into a new tensor from {@code allocator}. */
    public Tensor softmax(Tensor input, BufferAllocator allocator) {
        Objects.requireNonNull(input, "input");
        return allocated(allocator, input.rows(), input.cols(), out -> softmaxInto(input, out));
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
        KernelCompile.compile(cols, cols, false, true, KernelCompileStart::beside);
        SoftmaxTiles tiles = softmaxTiles.take();
        try {
            tiles.set(input.liveSegment(), out.liveSegment(), rows, cols);
            tiles.run(tileCount((int) Math.min(rows, (long) rows * cols / MIN_TILE_ELEMENTS)));
        } finally {
            tiles.clear();
            softmaxTiles.put(tiles);
        }
    }

    /** A call given plain weights: B packed into the reusable weights, unless the calling thread does it all. */
    private void gemm(Tensor a, Tensor b, boolean transposeB, Tensor bias, boolean accumulate, Tensor out,
                      boolean softmax) {
        checkMatmulShapes(a, b, transposeB);
        int m = a.rows();
        int k = a.cols();
        int n = transposeB ? b.rows() : b.cols();
        checkOutput(out, bias, m, n);
        KernelCompile.compile(k, n, true, softmax, KernelCompileStart::beside);
        if (plainCallOnCaller(m, n, k)) {
            // on this thread alone the kernel reads a small B in place rather than pack it
            MemorySegment c = out.liveSegment();
            Matmul.multiply(SPECIES, a.liveSegment(), b.liveSegment(), c, m, n, k, transposeB,
                    bias == null ? null : bias.liveSegment(), accumulate);
            if (softmax) {
                Softmax.rows(c, c, n, 0, m);
            }
            return;
        }
        PreparedWeights w = reusableWeights.take();
        try {
            weightCopies.add(w.reload(b.liveSegment(), k, n, transposeB, packer));
            gemm(a, w, bias, accumulate, out, softmax, null);
        } finally {
            reusableWeights.put(w);
        }
    }

    /** The matmul route: the call's operands into a kept holder, then its tiles on the pool. */
    private void gemm(Tensor a, PreparedWeights w, Tensor bias, boolean accumulate, Tensor out, boolean softmax,
                      MemorySegment classes) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "prepared weights");
        int m = a.rows();
        int k = w.rows();
        int n = w.cols();
        if (a.cols() != k) {
            throw new IllegalArgumentException("matmul shapes do not fit: a is " + m + "×" + a.cols()
                    + ", the prepared weights are " + k + "×" + n + " (a's columns must equal the weights' rows)");
        }
        checkOutput(out, bias, m, n);
        if (bias != null && w.hasBias()) {
            throw new IllegalArgumentException("the prepared weights " + k + "×" + n + " hold a bias already;"
                    + " pass null to add theirs, or prepare them without one");
        }
        KernelCompile.compile(k, n, true, softmax, KernelCompileStart::beside);
        w.acquire();
        GemmTiles tiles = gemmTiles.take();
        try {
            int unitRows = tileUnitRows(m);
            tiles.call.set(a.liveSegment(), w, out.liveSegment(), bias == null ? w.bias() : bias.liveSegment(),
                    m, n, k, accumulate, softmax, classes);
            tiles.unitRows = unitRows;
            tiles.run(tileCount(matmulUnits(m, n, k, unitRows)));
        } finally {
            tiles.call.clear();
            gemmTiles.put(tiles);
            w.release();
        }
    }

    /** Whether a call given plain weights runs on the calling thread alone, B read in place. */
    static boolean plainCallOnCaller(int m, int n, int k) {
        return (long) m * n * Math.max(k, 1) < PLAIN_SPLIT_MACS || matmulUnits(m, n, k, Matmul.rowGroup(SPECIES)) <= 1;
    }

    /**
     * Tiles a {@code m×n×k} product is worth: at most one per {@code unitRows} rows, each of at least
     * {@link #MIN_TILE_MACS}.
     */
    private static int matmulUnits(int m, int n, int k, int unitRows) {
        long macs = (long) m * n * Math.max(k, 1);
        return (int) Math.min(units(m, unitRows), macs / MIN_TILE_MACS);
    }

    private static int units(int m, int unitRows) {
        return (m + unitRows - 1) / unitRows;
    }

    /**
     * The rows a matmul's tiles are whole multiples of: the row block when there are enough whole blocks
     * for every worker ({@link #ROW_BLOCKS_PER_WORKER}), else the micro-kernel's row group. Either keeps
     * each row's sums, hence the bits, as they are: tiles only choose which rows a thread computes.
     */
    int tileUnitRows(int m) {
        int block = Matmul.rowBlock(SPECIES);
        return m / block >= (long) ROW_BLOCKS_PER_WORKER * pool.size() ? block : Matmul.rowGroup(SPECIES);
    }

    /** Tiles for {@code units} pieces of work each worth a task: a few per worker, so that uneven tiles even out. */
    private int tileCount(int units) {
        if (callerOnly) {
            return 1; // one tile, which TileLoop runs on the caller
        }
        return Math.max(1, Math.min(units, pool.size() * TileLoop.TILES_PER_WORKER));
    }

    /** Packs B into {@code packed}: on the calling thread when small, by column panels on the pool when large. */
    private void packB(MemorySegment b, int k, int n, boolean transposed, MemorySegment packed) {
        int panels = Matmul.panelCount(SPECIES, n);
        PackTiles tiles = packTiles.take();
        try {
            tiles.set(b, packed, k, n, transposed, panels);
            tiles.run((long) k * n < PARALLEL_PACK_FLOATS ? 1 : tileCount(panels));
        } finally {
            tiles.clear();
            packTiles.put(tiles);
        }
    }

    /** A matmul's operands, as its tiles read them: set for one call, cleared after it. */
    private final class GemmCall {
        private MemorySegment a;
        private PreparedWeights w;
        private MemorySegment c;
        private MemorySegment bias;
        private int m;
        private int n;
        private int k;
        private boolean accumulate;
        private boolean softmax;
        /** Where each row's class goes (int32), or null for none. */
        private MemorySegment classes;

        void set(MemorySegment a, PreparedWeights w, MemorySegment c, MemorySegment bias, int m, int n, int k,
                 boolean accumulate, boolean softmax, MemorySegment classes) {
            this.a = a;
            this.w = w;
            this.c = c;
            this.bias = bias;
            this.m = m;
            this.n = n;
            this.k = k;
            this.accumulate = accumulate;
            this.softmax = softmax;
            this.classes = classes;
        }

        void clear() {
            a = null;
            w = null;
            c = null;
            bias = null;
            classes = null;
        }

        /**
         * Rows {@code [rs, re)} of C, each cache block normalised, and its classes found, right after it is
         * computed when fused.
         */
        void rows(int rs, int re) {
            MemorySegment b = localPackedB(rs, re);
            int block = softmax || classes != null ? Matmul.rowBlock(SPECIES) : re - rs;
            for (int r = rs; r < re; r += block) {
                int e = Math.min(re, r + block);
                Matmul.multiplyPacked(SPECIES, b, a, c, m, n, k, r, e, bias, accumulate);
                finishRows(r, e);
            }
        }

        private void finishRows(int rs, int re) {
            if (softmax) {
                Softmax.rows(c, c, n, rs, re);
            }
            if (classes != null) {
                RowArgmax.rows(c, n, rs, re, classes);
            }
        }

        /**
         * The packed B this thread reads: on a pool over several nodes, a worker's own node's copy, with
         * the output rows {@code [rs, re)} moved to that node before they are written.
         */
        private MemorySegment localPackedB(int rs, int re) {
            Worker self = Worker.current();
            if (weightNodes.length == 0 || self == null || self.pool != pool) {
                return w.packed(); // one copy serves all, or a thread of no node in particular
            }
            NodePages.moveTo(c.asSlice((long) rs * n * Float.BYTES, (long) (re - rs) * n * Float.BYTES), self.node);
            return w.forNode(self.node);
        }
    }

    /** The tiles of a matmul: whole units of rows of A (row blocks or row groups) against the packed B. */
    private final class GemmTiles extends TileLoop {
        final GemmCall call = new GemmCall();
        /** Rows of A per unit for the current run ({@link #tileUnitRows}); published to helpers by their queueing. */
        int unitRows;

        GemmTiles() {
            super(pool);
        }

        @Override
        protected void runTile(int tile, int tiles) {
            int units = units(call.m, unitRows);
            call.rows(split(units, tiles, tile) * unitRows, Math.min(call.m, split(units, tiles, tile + 1) * unitRows));
        }
    }

    /** Packing a large B, a range of column panels per tile; its operands set for one call, cleared after. */
    private final class PackTiles extends TileLoop {
        private MemorySegment b;
        private MemorySegment packed;
        private int k;
        private int n;
        private boolean transposed;
        private int panels;

        PackTiles() {
            super(pool);
        }

        void set(MemorySegment b, MemorySegment packed, int k, int n, boolean transposed, int panels) {
            this.b = b;
            this.packed = packed;
            this.k = k;
            this.n = n;
            this.transposed = transposed;
            this.panels = panels;
        }

        void clear() {
            b = null;
            packed = null;
        }

        @Override
        protected void runTile(int tile, int tiles) {
            Matmul.packB(SPECIES, b, k, n, transposed, packed, split(panels, tiles, tile), split(panels, tiles, tile + 1));
        }
    }

    /** Softmax, a range of rows per tile; its operands set for one call, cleared after. */
    private final class SoftmaxTiles extends TileLoop {
        private MemorySegment in;
        private MemorySegment out;
        private int rows;
        private int cols;

        SoftmaxTiles() {
            super(pool);
        }

        void set(MemorySegment in, MemorySegment out, int rows, int cols) {
            this.in = in;
            this.out = out;
            this.rows = rows;
            this.cols = cols;
        }

        void clear() {
            in = null;
            out = null;
        }

        @Override
        protected void runTile(int tile, int tiles) {
            Softmax.rows(in, out, cols, split(rows, tiles, tile), split(rows, tiles, tile + 1));
        }
    }

    /** Row classes, a range of rows per tile; its operands set for one call, cleared after. */
    private final class ArgmaxTiles extends TileLoop {
        private MemorySegment in;
        private MemorySegment classes;
        private int rows;
        private int cols;

        ArgmaxTiles() {
            super(pool);
        }

        void set(MemorySegment in, MemorySegment classes, int rows, int cols) {
            this.in = in;
            this.classes = classes;
            this.rows = rows;
            this.cols = cols;
        }

        void clear() {
            in = null;
            classes = null;
        }

        @Override
        protected void runTile(int tile, int tiles) {
            RowArgmax.rows(in, cols, split(rows, tiles, tile), split(rows, tiles, tile + 1), classes);
        }
    }

    /** One reusable object: a call takes it and puts it back when done; a call running meanwhile makes another. */
    private static final class Kept<T> {
        private final AtomicReference<T> kept = new AtomicReference<>();
        private final Supplier<T> make;

        Kept(Supplier<T> make) {
            this.make = make;
        }

        T take() {
            T t = kept.getAndSet(null);
            return t != null ? t : make.get();
        }

        void put(T t) {
            kept.set(t);
        }
    }

    /** The first of {@code count} items that belongs to part {@code part} of {@code parts} even parts. */
    private static int split(int count, int parts, int part) {
        return (int) ((long) count * part / parts);
    }

    /** A new {@code rows×cols} tensor from {@code allocator}, filled by {@code into}; closed if that throws. */
    private static Tensor allocated(BufferAllocator allocator, int rows, int cols, Consumer<Tensor> into) {
        Tensor out = Tensor.allocate(allocator, rows, cols);
        try {
            into.accept(out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
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

    private static void checkOutput(Tensor out, Tensor bias, int m, int n) {
        checkShape(out, m, n, "matmul output");
        if (bias != null) {
            checkShape(bias, 1, n, "bias");
        }
    }

    private static void checkClasses(MemorySegment classes, int rows) {
        if (classes.byteSize() < (long) rows * Integer.BYTES) {
            throw new IllegalArgumentException("classes has " + classes.byteSize() + " bytes, expected at least "
                    + (long) rows * Integer.BYTES + " (an int32 for each of " + rows + " rows)");
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
