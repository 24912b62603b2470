package io.numarrow.compute;

import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaNodes;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ThreadPool;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One copy of a weight matrix {@code W} on each NUMA node the pool uses, so every worker reads
 * weights from its own node's memory ("mirror" mode). Each copy lives in a
 * {@link NumaAllocator#forNode} allocator of its own; {@link #close()} frees them all.
 *
 * <p>Batch jobs do not need it: {@code ParallelOps.prepare} packs the weights once and places the
 * packed copies on each node itself ({@link io.numarrow.threading.PreparedWeights}). This class is
 * for code that tiles rows itself with the unpacked weights: inside a tile task (running on a worker), take
 * {@link #forCurrentNode()} and pass its segment to the kernel in place of {@code W}'s:
 * <pre>{@code
 *   TileScheduler.forEachRowTile(pool, m, cost, (start, end) -> {
 *       Tensor w = weights.forCurrentNode();   // this worker's node's copy
 *       Matmul.rows(a.segment(), w.segment(), out.segment(), k, n, start, end);
 *   });
 * }</pre>
 * {@link ThreadPool#currentNode()} says which node the worker is on; until the pool pins workers
 * to nodes it says 0, and every worker reads node 0's copy.
 */
public final class ReplicatedWeights implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedWeights.class);

    private final int[] nodes;
    private final Tensor[] copies;
    private final BufferAllocator[] allocators;
    /** Copies by node id, for a lookup without search on the hot path. */
    private final Tensor[] byNodeId;
    private boolean closed;

    private ReplicatedWeights(int[] nodes, Tensor[] copies, BufferAllocator[] allocators) {
        this.nodes = nodes;
        this.copies = copies;
        this.allocators = allocators;
        int max = 0;
        for (int n : nodes) {
            max = Math.max(max, n);
        }
        this.byNodeId = new Tensor[max + 1];
        for (int i = 0; i < nodes.length; i++) {
            byNodeId[nodes[i]] = copies[i];
        }
    }

    /** Copies {@code w} onto every memory node of this machine. */
    public static ReplicatedWeights of(Tensor w) {
        return of(w, NumaNodes.detect().ids());
    }

    /**
     * Copies {@code w} onto each of {@code nodes} (the nodes the pool's workers run on).
     *
     * @throws IllegalArgumentException when a node does not exist
     */
    public static ReplicatedWeights of(Tensor w, Collection<Integer> nodes) {
        Objects.requireNonNull(w, "w");
        int[] ids = nodes.stream().mapToInt(Integer::intValue).distinct().sorted().toArray();
        if (ids.length == 0) {
            throw new IllegalArgumentException("weights need at least one NUMA node to live on");
        }
        Tensor[] copies = new Tensor[ids.length];
        BufferAllocator[] allocators = new BufferAllocator[ids.length];
        long bytes = w.elementCount() * Float.BYTES;
        try {
            for (int i = 0; i < ids.length; i++) {
                allocators[i] = NumaAllocator.forNode(ids[i]);
                copies[i] = Tensor.allocate(allocators[i], w.rows(), w.cols());
                if (bytes > 0) {
                    MemorySegment.copy(w.liveSegment(), 0, copies[i].liveSegment(), 0, bytes);
                }
            }
        } catch (RuntimeException e) {
            closeAll(copies, allocators);
            throw e;
        }
        LOG.debug("weights {}×{} copied to nodes {}", w.rows(), w.cols(), java.util.Arrays.toString(ids));
        return new ReplicatedWeights(ids, copies, allocators);
    }

    /** Loads {@code W} from {@code file} (see {@link Weights#load}) and copies it onto each of {@code nodes}. */
    public static ReplicatedWeights load(Path file, BufferAllocator allocator, Collection<Integer> nodes) {
        try (Tensor w = Weights.load(file, allocator)) {
            return of(w, nodes);
        }
    }

    /** The copy on the calling worker's node ({@link ThreadPool#currentNode()}), else the first copy. */
    public Tensor forCurrentNode() {
        return forNode(ThreadPool.currentNode());
    }

    /** The copy on {@code node}, or the first copy when there is none on that node. */
    public Tensor forNode(int node) {
        if (node >= 0 && node < byNodeId.length) {
            Tensor t = byNodeId[node];
            if (t != null) {
                return t;
            }
        }
        return copies[0];
    }

    public List<Integer> nodes() {
        List<Integer> list = new ArrayList<>(nodes.length);
        for (int n : nodes) {
            list.add(n);
        }
        return list;
    }

    public int rows() {
        return copies[0].rows();
    }

    public int cols() {
        return copies[0].cols();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeAll(copies, allocators);
        }
    }

    private static void closeAll(Tensor[] copies, BufferAllocator[] allocators) {
        RuntimeException first = null;
        for (int i = 0; i < copies.length; i++) {
            try {
                if (copies[i] != null) {
                    copies[i].close();
                }
                if (allocators[i] != null) {
                    allocators[i].close();
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
