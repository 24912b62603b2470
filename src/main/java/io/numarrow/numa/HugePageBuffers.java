package io.numarrow.numa;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scratch buffers of megabytes (packed weights) backed by 2 MiB pages where the kernel allows: the
 * matmul walks its packed B panel by panel, and on 4 KiB pages a 16 MiB B needs 4096 TLB entries where
 * 2 MiB pages need 8. Transparent huge pages are usually "madvise" only, so the buffer is aligned to
 * 2 MiB and advised. Measured on 2048³, one thread, with every buffer on huge pages: 2-3% faster.
 *
 * <p>Memory comes from an automatic arena: it is freed when the last reference to the segment is gone.
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
        if (bytes < MIN_BYTES) {
            return Arena.ofAuto().allocate(bytes, alignment);
        }
        long rounded = LinuxMemory.alignUp(bytes, HUGE_PAGE);
        MemorySegment s = Arena.ofAuto().allocate(rounded, Math.max(alignment, HUGE_PAGE));
        boolean advised = false;
        try {
            advised = LinuxMemory.advise(s.address(), rounded, LinuxMemory.MADV_HUGEPAGE);
        } catch (RuntimeException | LinkageError e) {
            // no madvise here (not Linux): ordinary pages, nothing lost but the TLB gain
        }
        LOG.debug("{} bytes of scratch at 0x{}: huge pages {}", rounded, Long.toHexString(s.address()),
                advised ? "advised" : "declined");
        return s;
    }
}
