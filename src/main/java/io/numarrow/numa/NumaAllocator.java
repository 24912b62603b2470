package io.numarrow.numa;

import io.numarrow.Settings;
import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Arrow {@link AllocationManager.Factory} whose memory is mapped with {@code mmap} and placed
 * on NUMA nodes with {@code mbind}. {@link #root(NumaPolicy)} and {@link #forNode(int)} give a
 * {@link BufferAllocator} usable anywhere Arrow takes one; Arrow keeps its own limits and
 * accounting on top (the memory a buffer reports is what was asked for).
 *
 * <p>Buffers are at least 64-byte aligned; small ones are sub-allocated from per-node chunks,
 * large ones get their own pages (huge pages advised from {@code hugePageThreshold} up). Freed
 * memory is reused by the same allocator and unmapped when the root allocator closes.
 *
 * <p>On a machine with one node, {@code LOCAL} and {@code INTERLEAVE} hand out ordinary (unbound)
 * memory and say so once in the log; when the kernel refuses {@code mbind}, every policy does.
 * Naming a node that does not exist is an {@link IllegalArgumentException}. Every decision is
 * logged at DEBUG and counted in {@link #stats()}.
 */
public final class NumaAllocator implements AllocationManager.Factory {
    private static final Logger LOG = LoggerFactory.getLogger(NumaAllocator.class);
    private static final AtomicBoolean ONE_NODE_LOGGED = new AtomicBoolean();
    private static final AtomicLong IDS = new AtomicLong();
    /** Where zero-length buffers point: aligned, never written. */
    private static final long EMPTY_ADDRESS = Arena.global().allocate(64, 64).address();

    public static final long DEFAULT_HUGE_PAGE_THRESHOLD = Settings.numaHugePageThreshold();
    public static final long DEFAULT_CHUNK_SIZE = 2L << 20;
    public static final long DEFAULT_SMALL_LIMIT = 64L << 10;
    public static final long DEFAULT_CACHE_LIMIT = Settings.numaCacheLimit();

    private final PlacementPlanner planner;
    private final PageSource pages;
    private final NodeHeap[] heaps;
    private final ArrowBuf empty = new ArrowBuf(ReferenceManager.NO_OP, null, 0, EMPTY_ADDRESS);
    private final String name;

    private NumaAllocator(Builder b) {
        this.planner = new PlacementPlanner(b.nodes, b.policy, b.node == null ? -1 : b.node, b.currentNode);
        this.pages = new PageSource(b.binder, b.hugePageThreshold);
        List<Placement> placements = planner.heaps();
        this.heaps = new NodeHeap[placements.size()];
        for (int i = 0; i < heaps.length; i++) {
            heaps[i] = new NodeHeap(placements.get(i), pages, b.chunkSize, b.smallLimit, b.cacheLimit);
        }
        this.name = "numa-" + b.policy.name().toLowerCase(Locale.ROOT) + "-" + IDS.incrementAndGet();
        if (planner.ordinaryMemoryOnly() && ONE_NODE_LOGGED.compareAndSet(false, true)) {
            // DEBUG: nothing is wrong, and a bad-input run must print its one error line alone
            LOG.debug("one NUMA node with memory ({}): {} gives ordinary memory, nothing to place",
                    b.nodes.ids(), b.policy);
        }
        LOG.debug("{}: policy {} over nodes {}, heaps {}, huge pages from {} bytes, small buffers up to {} bytes",
                name, b.policy, b.nodes.ids(), placements, b.hugePageThreshold, b.smallLimit);
    }

    /** A root allocator placing its memory by {@code policy} ({@code PREFERRED}: the calling thread's node). */
    public static BufferAllocator root(NumaPolicy policy) {
        return builder().policy(policy).root();
    }

    /** A root allocator preferring {@code node}; an {@link IllegalArgumentException} when no such node exists. */
    public static BufferAllocator root(NumaPolicy policy, int node) {
        return builder().policy(policy).node(node).root();
    }

    /** A root allocator whose memory goes to {@code node} (preferred: the kernel falls back when it is full). */
    public static BufferAllocator forNode(int node) {
        return builder().policy(NumaPolicy.PREFERRED).node(node).root();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The NUMA allocator behind {@code allocator}, if its root is one. */
    public static Optional<NumaAllocator> of(BufferAllocator allocator) {
        return allocator.getRoot() instanceof Root r ? Optional.of(r.numa) : Optional.empty();
    }

    public NumaPolicy policy() {
        return planner.policy();
    }

    public List<Placement> placements() {
        return planner.heaps();
    }

    public NumaStats stats() {
        long small = 0;
        long large = 0;
        long reused = 0;
        for (NodeHeap h : heaps) {
            small += h.smallAllocations();
            large += h.largeAllocations();
            reused += h.largeReused();
        }
        Map<String, Long> byHeap = new HashMap<>();
        pages.mappedByHeap.forEach((k, v) -> byHeap.put(k, v.sum()));
        return new NumaStats(planner.policy() + " " + placements(), !planner.ordinaryMemoryOnly()
                && !pages.bindingRefused(), pages.mmapCalls.sum(), pages.mappedBytes.sum(), pages.mbindCalls.sum(),
                pages.mbindRefused.sum(), pages.hugePageAdvice.sum(), small, large, reused, byHeap);
    }

    @Override
    public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        NodeHeap heap = heaps.length == 1 ? heaps[0] : heaps[planner.heapForThisAllocation()];
        int sizeClass = heap.classOf(size);
        long address = sizeClass >= 0 ? heap.allocateSmall(sizeClass) : heap.allocateLarge(size);
        if (LOG.isTraceEnabled()) {
            LOG.trace("{} bytes at 0x{} from heap {}", size, Long.toHexString(address), heap.placement());
        }
        return new Manager(accountingAllocator, heap, sizeClass, address, size);
    }

    @Override
    public ArrowBuf empty() {
        return empty;
    }

    private void release() {
        for (NodeHeap h : heaps) {
            h.release();
        }
        LOG.debug("{}: closed, memory unmapped", name);
    }

    @Override
    public String toString() {
        return name + " " + planner.policy() + " " + placements();
    }

    /** One buffer's memory: a block of a size class, or pages of its own. */
    private static final class Manager extends AllocationManager {
        private final NodeHeap heap;
        private final int sizeClass;
        private final long address;
        private final long size;

        Manager(BufferAllocator accountingAllocator, NodeHeap heap, int sizeClass, long address, long size) {
            super(accountingAllocator);
            this.heap = heap;
            this.sizeClass = sizeClass;
            this.address = address;
            this.size = size;
        }

        @Override
        public long getSize() {
            return size;
        }

        @Override
        protected long memoryAddress() {
            return address;
        }

        @Override
        protected void release0() {
            if (sizeClass >= 0) {
                heap.freeSmall(sizeClass, address);
            } else {
                heap.freeLarge(address, size);
            }
        }
    }

    /** The root allocator: unmaps the NUMA allocator's memory once Arrow has closed it cleanly. */
    private static final class Root extends RootAllocator {
        private final NumaAllocator numa;

        Root(NumaAllocator numa, long limit) {
            super(RootAllocator.configBuilder().allocationManagerFactory(numa).maxAllocation(limit).build());
            this.numa = numa;
        }

        @Override
        public void close() {
            super.close(); // throws on leaked buffers: their memory then stays mapped, still safe to touch
            numa.release();
        }

        @Override
        public String toString() {
            return numa + " " + super.toString();
        }
    }

    /** Options of a NUMA allocator; {@link #root()} makes the allocator. */
    public static final class Builder {
        private NumaPolicy policy = NumaPolicy.LOCAL;
        private Integer node;
        private NumaNodes nodes;
        private long limit = Long.MAX_VALUE;
        private long hugePageThreshold = DEFAULT_HUGE_PAGE_THRESHOLD;
        private long chunkSize = DEFAULT_CHUNK_SIZE;
        private long smallLimit = DEFAULT_SMALL_LIMIT;
        private long cacheLimit = DEFAULT_CACHE_LIMIT;
        private PageBinder binder = PageBinder.MBIND;
        private IntSupplier currentNode = LinuxMemory::currentNode;

        private Builder() {
        }

        public Builder policy(NumaPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The node for {@link NumaPolicy#PREFERRED}. */
        public Builder node(int node) {
            this.node = node;
            return this;
        }

        /** The machine's memory nodes (default: detected); tests pass a fake topology. */
        public Builder nodes(NumaNodes nodes) {
            this.nodes = Objects.requireNonNull(nodes, "nodes");
            return this;
        }

        /** Arrow's limit on the root allocator's memory (default: none). */
        public Builder limit(long bytes) {
            this.limit = requirePositive(bytes, "limit");
            return this;
        }

        /** Mappings of at least this many bytes are huge-page aligned and advised {@code MADV_HUGEPAGE}. */
        public Builder hugePageThreshold(long bytes) {
            this.hugePageThreshold = requirePositive(bytes, "hugePageThreshold");
            return this;
        }

        /** How much is mapped at a time for small buffers. */
        public Builder chunkSize(long bytes) {
            this.chunkSize = requirePositive(LinuxMemory.alignUp(bytes, LinuxMemory.PAGE_SIZE), "chunkSize");
            return this;
        }

        /** Buffers up to this size are sub-allocated from chunks (0: every buffer gets its own pages). */
        public Builder smallLimit(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("smallLimit must be >= 0, was " + bytes);
            }
            this.smallLimit = bytes;
            return this;
        }

        /** How many bytes of freed large buffers are kept mapped for reuse. */
        public Builder cacheLimit(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("cacheLimit must be >= 0, was " + bytes);
            }
            this.cacheLimit = bytes;
            return this;
        }

        /** Replaces {@code mbind} (tests record the calls). */
        Builder binder(PageBinder binder) {
            this.binder = Objects.requireNonNull(binder, "binder");
            return this;
        }

        /** Replaces the calling thread's node lookup (tests fake a thread on another node). */
        Builder currentNode(IntSupplier currentNode) {
            this.currentNode = Objects.requireNonNull(currentNode, "currentNode");
            return this;
        }

        /** The allocation manager factory alone, for callers that build their own Arrow config. */
        NumaAllocator build() {
            if (nodes == null) {
                nodes = NumaNodes.detect();
            }
            if (policy == NumaPolicy.PREFERRED && node == null) {
                int here = currentNode.getAsInt();
                node = nodes.contains(here) ? here : nodes.ids().get(0);
            }
            if (smallLimit > chunkSize / 2) {
                smallLimit = chunkSize / 2;
            }
            return new NumaAllocator(this);
        }

        /**
         * A root allocator over a new NUMA allocator.
         *
         * @throws IllegalArgumentException when the preferred node does not exist
         */
        public BufferAllocator root() {
            return new Root(build(), limit);
        }

        private static long requirePositive(long v, String what) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be positive, was " + v);
            }
            return v;
        }
    }
}
