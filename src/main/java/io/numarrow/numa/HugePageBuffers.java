package io.numarrow.numa;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scratch buffers of megabytes (packed weights) backed by 2 MiB pages where the kernel allows: the
 * matmul walks its packed B panel by panel, and on 4 KiB pages a 16 MiB B needs 4096 TLB entries where
 * 2 MiB pages need 8 (the gain measured: docs/performance.md). Transparent huge pages are usually
 * "madvise" only, so the buffer is mapped on a 2 MiB boundary and advised before it is touched.
 *
 * <p>The mapping belongs to an automatic arena: it is unmapped once the segment is unreachable. Where
 * there is no {@code mmap} (not Linux), the buffer is ordinary memory.
 */
public final class HugePageBuffers {
    /** Buffers at least this large are aligned and advised. */
    public static final long MIN_BYTES = 2L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(HugePageBuffers.class);

    private HugePageBuffers() {
    }

    /** A zeroed buffer of at least {@code bytes}, aligned to {@code alignment} (and to 2 MiB when large). */
    public static MemorySegment allocate(long bytes, long alignment) {
        if (bytes < MIN_BYTES || alignment > HUGE_PAGE) {
            return Arena.ofAuto().allocate(bytes, alignment);
        }
        long rounded = LinuxMemory.alignUp(bytes, HUGE_PAGE);
        long address;
        try {
            // mapped fresh and advised before anything touches it: pages faulted in later come as
            // huge pages at once (memory from malloc is zeroed, so faulted in small, on allocation)
            address = PageSource.mapAligned(rounded, HUGE_PAGE);
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("no anonymous mapping for {} bytes of scratch ({}): ordinary memory", rounded, e.toString());
            return Arena.ofAuto().allocate(bytes, alignment);
        }
        boolean advised = LinuxMemory.advise(address, rounded, LinuxMemory.MADV_HUGEPAGE);
        LOG.debug("{} bytes of scratch mapped at 0x{}: huge pages {}", rounded, Long.toHexString(address),
                advised ? "advised" : "declined");
        return MemorySegment.ofAddress(address).reinterpret(rounded, Arena.ofAuto(),
                unused -> LinuxMemory.unmap(address, rounded));
    }
}
