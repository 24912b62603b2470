package io.numarrow.threading;

import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.ScalarGemm;
import io.numarrow.numa.NodePages;
import io.numarrow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix {@code B} packed once for many multiplications ({@link ParallelOps#prepare}), and,
 * on a pool whose workers sit on several NUMA nodes, copied once to each of those nodes. A batch job
 * prepares its weights at the start and passes them to every batch's
 * {@link ParallelOps#matmulInto(Tensor, PreparedWeights, Tensor)}; the calls then do no packing and
 * no copying. The packed layout is the kernels' own ({@link Matmul#packB}); nothing outside reads it.
 *
 * <p>Thread-safe: any number of callers may use one object at once. {@link #close()} frees the
 * memory once the calls that are running have finished; a call that starts after it throws
 * {@link IllegalStateException}.
 */
public final class PreparedWeights implements AutoCloseable {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final long PAGE = 4096;
    /** Bit set in {@link #state} once closed; the bits below count the calls using the weights. */
    private static final int CLOSED = 1 << 30;

    private final int k;
    private final int n;
    private final boolean transposed;
    private final int[] nodes;
    private final Arena arena;
    private final MemorySegment packed;
    /** Per node of {@link #nodes}, the packed copy in that node's memory. */
    private final MemorySegment[] nodeCopies;
    private final AtomicInteger state = new AtomicInteger();
    /**
     * B in rows for the scalar bridge, kept only when the weights were prepared before the vector
     * kernels were compiled (a job's first batches): null otherwise, and dropped once they are.
     */
    private volatile float[][] rowsForBridge;

    private PreparedWeights(int k, int n, boolean transposed, int[] nodes, Arena arena, MemorySegment packed,
                            MemorySegment[] nodeCopies, float[][] rowsForBridge) {
        this.rowsForBridge = rowsForBridge;
        this.k = k;
        this.n = n;
        this.transposed = transposed;
        this.nodes = nodes;
        this.arena = arena;
        this.packed = packed;
        this.nodeCopies = nodeCopies;
    }

    /**
     * Packs {@code b} ({@code k×n}, or {@code n×k} when {@code transposed}) on the calling thread and
     * copies the result to each of {@code nodes} (empty: one copy serves every worker).
     */
    static PreparedWeights pack(Tensor b, boolean transposed, int[] nodes) {
        Objects.requireNonNull(b, "weights");
        int k = transposed ? b.cols() : b.rows();
        int n = transposed ? b.rows() : b.cols();
        long bytes = Math.max(Matmul.packedBBytes(SPECIES, k, n), Float.BYTES);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment packed = arena.allocate(bytes, 64);
            if (k > 0 && n > 0) {
                Matmul.packB(SPECIES, b.liveSegment(), k, n, transposed, packed, 0, Matmul.panelCount(SPECIES, n));
            }
            MemorySegment[] copies = new MemorySegment[nodes.length];
            for (int i = 0; i < nodes.length; i++) {
                // page-aligned and whole pages, so that moving them to the node moves nothing else
                copies[i] = arena.allocate(alignUp(bytes, PAGE), PAGE);
                NodePages.moveTo(copies[i], nodes[i]);
                MemorySegment.copy(packed, 0, copies[i], 0, bytes);
            }
            float[][] rows = KernelWarmup.vectorKernelsReady() ? null : ScalarGemm.copyB(b.liveSegment(), k, n, transposed, null);
            return new PreparedWeights(k, n, transposed, nodes.clone(), arena, packed, copies, rows);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** B in rows for {@link BridgeGemm} while the vector kernels are not compiled yet, else null. */
    float[][] rowsForBridge() {
        float[][] rows = rowsForBridge;
        if (rows != null && KernelWarmup.vectorKernelsReady()) {
            rowsForBridge = null; // never needed again in this JVM
            return null;
        }
        return rows;
    }

    /** Rows of B as multiplied: the {@code k} of {@code a[m×k] · B}. */
    public int rows() {
        return k;
    }

    /** Columns of the product: the {@code n} of {@code a[m×k] · B[k×n]}. */
    public int cols() {
        return n;
    }

    /** Whether B was given transposed ({@code n×k}, one row per output). */
    public boolean transposed() {
        return transposed;
    }

    /** How many per-node copies these weights have (0 when one copy serves every worker). */
    public int nodeCopies() {
        return nodeCopies.length;
    }

    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Marks one call as using the weights; throws once they are closed. */
    void acquire() {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                throw new IllegalStateException("prepared weights " + k + "×" + n + " are closed");
            }
        } while (!state.compareAndSet(s, s + 1));
    }

    void release() {
        if (state.decrementAndGet() == CLOSED) {
            arena.close();
        }
    }

    /** The packed B shared by every thread. */
    MemorySegment packed() {
        return packed;
    }

    /** The copy of packed B on {@code node}, or the shared one when these weights have none there. */
    MemorySegment forNode(int node) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] == node) {
                return nodeCopies[i];
            }
        }
        return packed;
    }

    /** Frees the packed weights, at once or when the last running call ends; idempotent. */
    @Override
    public void close() {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (s == 0) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "PreparedWeights[" + k + "×" + n + (transposed ? ", transposed" : "")
                + (nodes.length > 0 ? ", copies on nodes " + java.util.Arrays.toString(nodes) : "")
                + (isClosed() ? ", closed" : "") + "]";
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
