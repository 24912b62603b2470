package io.numarrow.numa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of one {@link Placement}. Small buffers (up to {@code smallLimit}) come from
 * power-of-two size classes carved out of per-heap chunks, so they cost no system call; each
 * block is aligned to its class size (at least 64 bytes). Larger buffers get pages of their own
 * (page-aligned, huge-page aligned and advised above the threshold); freed ones are kept for reuse
 * up to {@code cacheLimit} bytes, so a steady allocate/free cycle makes no system calls either.
 * Everything is unmapped by {@link #release()} when the allocator closes.
 */
final class NodeHeap {
    static final int MIN_BLOCK = 64;
    private static final int MIN_SHIFT = Integer.numberOfTrailingZeros(MIN_BLOCK);

    private final Placement placement;
    private final PageSource pages;
    private final long chunkSize;
    private final long smallLimit;
    private final long cacheLimit;
    private final SizeClass[] classes;
    // counted under the locks already taken, so the hot path pays no extra atomic operation
    private long largeAllocations;
    private long largeReused;

    // chunk carving and large-block bookkeeping, under this heap's monitor
    private long chunkBase;
    private long chunkUsed;
    private long chunkLength;
    private final List<long[]> chunks = new ArrayList<>();
    private final Map<Long, LongStack> freeLarge = new HashMap<>();
    private final LongStack[] pow2Free = new LongStack[64];
    private long cachedBytes;
    private boolean released;

    NodeHeap(Placement placement, PageSource pages, long chunkSize, long smallLimit, long cacheLimit) {
        this.placement = placement;
        this.pages = pages;
        this.chunkSize = chunkSize;
        // classes are powers of two, so the limit is one too
        this.smallLimit = smallLimit < MIN_BLOCK ? 0 : Long.highestOneBit(smallLimit);
        this.cacheLimit = cacheLimit;
        int count = this.smallLimit == 0 ? 0 : Long.numberOfTrailingZeros(this.smallLimit) - MIN_SHIFT + 1;
        this.classes = new SizeClass[count];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new SizeClass((long) MIN_BLOCK << i);
        }
    }

    Placement placement() {
        return placement;
    }

    /** The size class of a small request, or -1 when it gets pages of its own. */
    int classOf(long size) {
        if (size > smallLimit || classes.length == 0) {
            return -1;
        }
        if (size <= MIN_BLOCK) {
            return 0;
        }
        return 64 - Long.numberOfLeadingZeros(size - 1) - MIN_SHIFT;
    }

    long allocateSmall(int sizeClass) {
        SizeClass c = classes[sizeClass];
        synchronized (c) {
            if (c.free.isEmpty()) {
                refill(c);
            }
            c.allocations++;
            return c.free.pop();
        }
    }

    void freeSmall(int sizeClass, long address) {
        SizeClass c = classes[sizeClass];
        synchronized (c) {
            c.free.push(address);
        }
    }

    /** Fills an empty class with a slab of blocks cut from the current chunk. */
    private void refill(SizeClass c) {
        long slab = Math.min(Math.max(c.blockSize * 16, 64 << 10), chunkSize);
        long base = carve(slab, c.blockSize);
        for (long a = base + slab - c.blockSize; a >= base; a -= c.blockSize) {
            c.free.push(a);
        }
    }

    private synchronized long carve(long bytes, long alignment) {
        checkOpen();
        long start = LinuxMemory.alignUp(chunkBase + chunkUsed, alignment);
        if (chunkBase == 0 || start + bytes > chunkBase + chunkLength) {
            long length = pages.roundedSize(Math.max(chunkSize, bytes));
            chunkBase = pages.map(length, placement);
            chunkLength = length;
            chunkUsed = 0;
            chunks.add(new long[] {chunkBase, length});
            start = chunkBase;
        }
        chunkUsed = start + bytes - chunkBase;
        return start;
    }

    /** Whole pages for a large buffer of {@code size} bytes. */
    synchronized long allocateLarge(long size) {
        checkOpen();
        long rounded = pages.roundedSize(size);
        LongStack cached = cacheFor(rounded, false);
        long address;
        if (cached != null && !cached.isEmpty()) {
            address = cached.pop();
            cachedBytes -= rounded;
            largeReused++;
        } else {
            address = pages.map(rounded, placement);
        }
        largeAllocations++;
        return address;
    }

    /** Takes back a block of {@link #allocateLarge}{@code (size)}. */
    synchronized void freeLarge(long address, long size) {
        long rounded = pages.roundedSize(size);
        if (released) {
            return;
        }
        if (cachedBytes + rounded <= cacheLimit) {
            cacheFor(rounded, true).push(address);
            cachedBytes += rounded;
        } else {
            pages.unmap(address, rounded);
        }
    }

    /**
     * The stack of freed blocks of {@code rounded} bytes. Arrow rounds requests below 16 MiB to
     * powers of two, so those sizes index an array (no boxing on the hot path); others use a map.
     */
    private LongStack cacheFor(long rounded, boolean create) {
        if (Long.bitCount(rounded) == 1) {
            int i = Long.numberOfTrailingZeros(rounded);
            if (pow2Free[i] == null && create) {
                pow2Free[i] = new LongStack();
            }
            return pow2Free[i];
        }
        LongStack s = freeLarge.get(rounded);
        if (s == null && create) {
            s = new LongStack();
            freeLarge.put(rounded, s);
        }
        return s;
    }

    /** Unmaps every chunk and large block; the allocator has checked that no buffer is live. */
    synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        for (long[] chunk : chunks) {
            pages.unmap(chunk[0], chunk[1]);
        }
        chunks.clear();
        for (int i = 0; i < pow2Free.length; i++) {
            LongStack s = pow2Free[i];
            while (s != null && !s.isEmpty()) {
                pages.unmap(s.pop(), 1L << i);
            }
        }
        for (Map.Entry<Long, LongStack> e : freeLarge.entrySet()) {
            LongStack s = e.getValue();
            while (!s.isEmpty()) {
                pages.unmap(s.pop(), e.getKey());
            }
        }
        freeLarge.clear();
        cachedBytes = 0;
    }

    private void checkOpen() {
        if (released) {
            throw new IllegalStateException("NUMA heap " + placement.label() + " is closed");
        }
    }

    long smallAllocations() {
        long n = 0;
        for (SizeClass c : classes) {
            synchronized (c) {
                n += c.allocations;
            }
        }
        return n;
    }

    synchronized long largeAllocations() {
        return largeAllocations;
    }

    synchronized long largeReused() {
        return largeReused;
    }

    private static final class SizeClass {
        final long blockSize;
        final LongStack free = new LongStack();
        long allocations;

        SizeClass(long blockSize) {
            this.blockSize = blockSize;
        }
    }

    /** A growable stack of addresses without boxing. */
    static final class LongStack {
        private long[] items = new long[16];
        private int size;

        void push(long v) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = v;
        }

        long pop() {
            return items[--size];
        }

        boolean isEmpty() {
            return size == 0;
        }
    }
}
