package io.numarrow.threading;

import io.numarrow.kernels.Matmul;
import io.numarrow.numa.HugePageBuffers;
import io.numarrow.numa.NodePages;
import io.numarrow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix {@code B} packed for the matmul kernels and, on a pool whose workers sit on several
 * NUMA nodes, copied to each of those nodes: the form every matmul of {@link ParallelOps} multiplies by.
 * A batch job prepares its weights once ({@link ParallelOps#prepare}) and passes them to every batch's
 * {@link ParallelOps#matmulInto(Tensor, PreparedWeights, Tensor)}, which then packs and copies nothing;
 * a call given a plain tensor packs it into a reusable one its {@code ParallelOps} keeps. The packed
 * layout is the kernels' own ({@link Matmul#packB}); nothing outside reads it. Prepared weights may
 * hold a bias row ({@link ParallelOps#prepare(Tensor, Tensor)}), which every call adds inside the matmul
 * tile, as a model's intercepts: {@code a · B + bias}.
 *
 * <p>Threading: prepared weights do not change once made, and any number of callers may use one object
 * at once. {@link #close()} frees the memory once the calls that are running have finished; a call
 * that starts after it throws {@link IllegalStateException}. A reusable one is loaded and used by one
 * call at a time.
 */
public final class PreparedWeights implements AutoCloseable {
    /** Packs a {@code k×n} B ({@code n×k} when transposed) into {@code packed}, all its column panels. */
    @FunctionalInterface
    interface Packer {
        void pack(MemorySegment b, int k, int n, boolean transposed, MemorySegment packed);
    }

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final long PAGE = 4096;
    /** Bit set in {@link #state} once closed; the bits below count the calls using the weights. */
    private static final int CLOSED = 1 << 30;

    /** Kernel ids of the nodes that get a copy of their own; empty when one copy serves every worker. */
    private final int[] nodes;
    /** Where prepared weights live until closed; null for a reusable one, whose buffers the GC frees. */
    private final Arena arena;
    /** Per node of {@link #nodes}, the packed copy in that node's memory. */
    private final MemorySegment[] nodeCopies;
    private final AtomicInteger state = new AtomicInteger();
    // The weights loaded last: once for prepared weights, for every call for a reusable one.
    private int k;
    private int n;
    private boolean transposed;
    private MemorySegment packed;
    /** The bias row ({@code n} floats, a copy in {@link #arena}) every call adds, or null. */
    private MemorySegment bias;

    private PreparedWeights(int[] nodes, Arena arena) {
        this.nodes = nodes.clone();
        this.arena = arena;
        this.nodeCopies = new MemorySegment[nodes.length];
    }

    /**
     * Packs {@code b} ({@code k×n}, or {@code n×k} when {@code transposed}) and copies the result to each
     * of {@code nodes} (empty: one copy serves every worker); keeps a copy of {@code bias} ({@code 1×n},
     * or null).
     */
    static PreparedWeights pack(Tensor b, Tensor bias, boolean transposed, int[] nodes, Packer packer) {
        Objects.requireNonNull(b, "weights");
        int k = transposed ? b.cols() : b.rows();
        int n = transposed ? b.rows() : b.cols();
        if (bias != null && (bias.rows() != 1 || bias.cols() != n)) {
            throw new IllegalArgumentException("bias is " + bias.rows() + "×" + bias.cols() + ", expected 1×" + n
                    + " (one value per column of the " + k + "×" + n + " weights)");
        }
        Arena arena = Arena.ofShared();
        try {
            PreparedWeights w = new PreparedWeights(nodes, arena);
            w.load(b.liveSegment(), k, n, transposed, packer);
            if (bias != null) {
                // a copy, so that the caller may close its tensor; native, as the unchecked tiles need
                w.bias = arena.allocate(Math.max((long) n * Float.BYTES, Float.BYTES), 64);
                MemorySegment.copy(bias.liveSegment(), 0, w.bias, 0, (long) n * Float.BYTES);
            }
            return w;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Empty weights for {@link #reload} to fill call after call. */
    static PreparedWeights reusable(int[] nodes) {
        return new PreparedWeights(nodes, null);
    }

    /**
     * Loads {@code b} for one call into this reusable object, growing its buffers when too small: packed
     * and copied to each node. Returns the node copies made.
     */
    int reload(MemorySegment b, int k, int n, boolean transposed, Packer packer) {
        return load(b, k, n, transposed, packer);
    }

    private int load(MemorySegment b, int k, int n, boolean transposed, Packer packer) {
        this.k = k;
        this.n = n;
        this.transposed = transposed;
        long bytes = Math.max(Matmul.packedBBytes(SPECIES, k, n), Float.BYTES);
        packed = buffer(packed, bytes, 64);
        if (k > 0 && n > 0) {
            packer.pack(b, k, n, transposed, packed);
        }
        for (int i = 0; i < nodes.length; i++) {
            // page-aligned and whole pages, so that moving them to the node moves nothing else
            MemorySegment copy = buffer(nodeCopies[i], alignUp(bytes, PAGE), PAGE);
            if (copy != nodeCopies[i]) {
                NodePages.moveTo(copy, nodes[i]);
                nodeCopies[i] = copy;
            }
            MemorySegment.copy(packed, 0, copy, 0, bytes);
        }
        return nodes.length;
    }

    /** {@code have} when it holds {@code bytes}, else a new buffer: from the arena, or scratch on huge pages. */
    private MemorySegment buffer(MemorySegment have, long bytes, long alignment) {
        if (have != null && have.byteSize() >= bytes) {
            return have;
        }
        return arena != null ? arena.allocate(bytes, alignment) : HugePageBuffers.allocate(bytes, alignment);
    }

    /** Rows of B as multiplied: the {@code k} of {@code a[m×k] · B}. */
    public int rows() {
        return k;
    }

    /** Columns of the product: the {@code n} of {@code a[m×k] · B[k×n]}. */
    public int cols() {
        return n;
    }

    /** Whether these weights hold a bias row, which every call adds ({@link ParallelOps#prepare(Tensor, Tensor)}). */
    public boolean hasBias() {
        return bias != null;
    }

    /** The bias row every call adds, or null. */
    MemorySegment bias() {
        return bias;
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
            free();
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
            free();
        }
    }

    private void free() {
        if (arena != null) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "PreparedWeights[" + k + "×" + n + (transposed ? ", transposed" : "") + (bias != null ? ", bias" : "")
                + (nodes.length > 0 ? ", copies on nodes " + Arrays.toString(nodes) : "")
                + (isClosed() ? ", closed" : "") + "]";
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
