package io.numarrow.numa;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.OutOfMemoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps anonymous memory for the allocator's heaps, places it ({@link PageBinder}) and advises
 * huge pages for large mappings. Shared by the heaps of one allocator; it holds the counters of
 * {@link NumaStats}. When the kernel refuses {@code mbind} once, the allocator stops asking and
 * hands out ordinary memory, saying so once in the log.
 */
final class PageSource {
    private static final Logger LOG = LoggerFactory.getLogger(PageSource.class);
    static final long HUGE_PAGE = 2L << 20;
    /** Logged once per process, not once per allocator: tests and tools make many allocators. */
    private static final AtomicBoolean REFUSAL_LOGGED = new AtomicBoolean();

    private final PageBinder binder;
    private final long hugePageThreshold;
    private final AtomicBoolean refused = new AtomicBoolean();
    final LongAdder mmapCalls = new LongAdder();
    final LongAdder mappedBytes = new LongAdder();
    final LongAdder mbindCalls = new LongAdder();
    final LongAdder mbindRefused = new LongAdder();
    final LongAdder hugePageAdvice = new LongAdder();
    final Map<String, LongAdder> mappedByHeap = new ConcurrentHashMap<>();

    PageSource(PageBinder binder, long hugePageThreshold) {
        this.binder = binder;
        this.hugePageThreshold = hugePageThreshold;
    }

    boolean bindingRefused() {
        return refused.get();
    }

    /** Bytes a mapping of {@code bytes} really takes: whole pages, whole huge pages when advised. */
    long roundedSize(long bytes) {
        return LinuxMemory.alignUp(bytes, bytes >= hugePageThreshold ? HUGE_PAGE : LinuxMemory.PAGE_SIZE);
    }

    /**
     * Maps {@code bytes} (already {@link #roundedSize rounded}) placed as {@code placement}; huge
     * mappings start on a huge-page boundary so the kernel can back them with huge pages.
     *
     * @throws org.apache.arrow.memory.OutOfMemoryException when the kernel has no memory to map
     */
    long map(long bytes, Placement placement) {
        boolean huge = bytes >= hugePageThreshold;
        long address;
        try {
            address = huge ? mapAligned(bytes, HUGE_PAGE) : LinuxMemory.mapAnonymous(bytes);
        } catch (LinuxMemory.NativeCallException e) {
            throw new OutOfMemoryException("cannot map " + bytes + " bytes for "
                    + placement.label() + ": " + e.getMessage());
        }
        mmapCalls.increment();
        mappedBytes.add(bytes);
        mappedByHeap.computeIfAbsent(placement.label(), k -> new LongAdder()).add(bytes);
        bind(address, bytes, placement);
        if (huge && LinuxMemory.advise(address, bytes, LinuxMemory.MADV_HUGEPAGE)) {
            hugePageAdvice.increment();
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("mapped {} bytes at 0x{} for {}{}", bytes, Long.toHexString(address), placement,
                    huge ? ", huge pages advised" : "");
        }
        return address;
    }

    void unmap(long address, long bytes) {
        LinuxMemory.unmap(address, bytes);
        mappedBytes.add(-bytes);
    }

    /** Anonymous memory of {@code bytes} starting on an {@code alignment} boundary, not yet touched. */
    static long mapAligned(long bytes, long alignment) {
        long raw = LinuxMemory.mapAnonymous(bytes + alignment);
        long start = LinuxMemory.alignUp(raw, alignment);
        if (start > raw) {
            LinuxMemory.unmap(raw, start - raw);
        }
        long tail = raw + bytes + alignment - (start + bytes);
        if (tail > 0) {
            LinuxMemory.unmap(start + bytes, tail);
        }
        return start;
    }

    private void bind(long address, long bytes, Placement placement) {
        if (!placement.binds() || refused.get()) {
            return;
        }
        try {
            binder.bind(address, bytes, placement);
            mbindCalls.increment();
        } catch (LinuxMemory.NativeCallException e) {
            mbindRefused.increment();
            refused.set(true);
            if (REFUSAL_LOGGED.compareAndSet(false, true)) {
                LOG.warn("the kernel refused to place memory ({}); the NUMA allocator falls back to ordinary memory",
                        e.getMessage());
            } else {
                LOG.debug("mbind refused for {}: {}", placement, e.getMessage());
            }
        }
    }
}
