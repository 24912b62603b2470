package io.numarrow.io;

import io.numarrow.BadInputException;
import io.numarrow.numa.LinuxMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole file mapped into memory, private and copy-on-write: buffers over it read the page
 * cache directly, and a reader that writes into one (Arrow allows it) changes its own copy of the
 * page, never the file, and never faults. The mapping is reference-counted: the reader holds one
 * reference, every Arrow buffer over it another, and the last {@link #release()} unmaps it.
 *
 * <p>Reads of metadata go through {@link #bytes} and {@link #segment}, which are bounds-checked:
 * a corrupt offset becomes an exception, never a read outside the mapping. The segment is scoped to
 * a shared arena that the last release closes (which unmaps the file), so a read through it after
 * that throws instead of faulting.
 *
 * <p>The file must not shrink while mapped: a page past its new end raises SIGBUS. The JVM turns
 * that into an {@link InternalError} for accesses it marks as unsafe; {@link #snapshot()} lets the
 * readers say why, and check between batches.
 */
final class FileMapping {
    private static final Logger LOG = LoggerFactory.getLogger(FileMapping.class);

    private final Path file;
    /** Open while mapped: the same file as the mapping for copies made by the kernel ({@link #fd()}). */
    private final int fd;
    /** How far around a faulting read the kernel maps pages already in the page cache (fault_around_bytes' default). */
    static final long FAULT_AROUND = 64 * 1024;
    private final long address;
    private final long size;
    private final Arena arena;
    private final MemorySegment segment;
    private final FileSnapshot snapshot;
    private final AtomicInteger references = new AtomicInteger(1);

    private FileMapping(Path file, int fd, long address, long size, FileSnapshot snapshot) {
        this.file = file;
        this.fd = fd;
        this.address = address;
        this.size = size;
        this.snapshot = snapshot;
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(size, arena, s -> {
            LinuxMemory.unmap(address, size);
            LinuxMemory.closeFd(fd);
            LOG.debug("unmapped {}", file);
        });
    }

    /** Maps all {@code size} bytes of {@code file} (size > 0); the caller holds the first reference. */
    static FileMapping map(Path file, long size) {
        int fd;
        try {
            // The kernel resolves a relative path against the process's directory; Java resolves
            // it against user.dir, which a JShell or IDE session may have set differently.
            fd = LinuxMemory.openReadOnly(file.toAbsolutePath().toString());
        } catch (LinuxMemory.NativeCallException e) {
            throw new BadInputException(file + ": cannot open (" + e.getMessage() + ")", e);
        }
        try {
            FileSnapshot snapshot = FileSnapshot.take(file);
            if (snapshot.size() != size) {
                throw snapshot.changedError(null);
            }
            long address = LinuxMemory.mapFilePrivate(fd, size, 0);
            LOG.debug("mapped {} ({} bytes) at 0x{}", file, size, Long.toHexString(address));
            return new FileMapping(file, fd, address, size, snapshot);
        } catch (LinuxMemory.NativeCallException e) {
            LinuxMemory.closeFd(fd);
            throw new Unavailable(file + ": cannot map into memory (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            LinuxMemory.closeFd(fd);
            throw e;
        }
    }

    /** The kernel would not map the file (no address space, or a strict commit limit). */
    static final class Unavailable extends RuntimeException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    Path file() {
        return file;
    }

    long size() {
        return size;
    }

    /** The file as it was when mapped. */
    FileSnapshot snapshot() {
        return snapshot;
    }

    long address() {
        return address;
    }

    /**
     * A read-only descriptor of the mapped file (the same inode, whatever happened to its name since),
     * open until the mapping is released: for {@code copy_file_range} from it.
     */
    int fd() {
        return fd;
    }

    /** The whole mapping as a bounds-checked segment. */
    MemorySegment segment() {
        return segment;
    }

    /** A little-endian view of {@code [offset, offset+length)} (checked to lie inside the mapping). */
    ByteBuffer bytes(long offset, int length) {
        checkRange(offset, length);
        return segment.asSlice(offset, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    boolean contains(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
    }

    void checkRange(long offset, long length) {
        if (!contains(offset, length)) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") lies outside the "
                    + size + "-byte file");
        }
    }

    /**
     * Unmaps the pages of {@code [offset, offset+length)}, and those of the kernel's fault-around
     * window on either side, from this process ({@code MADV_DONTNEED}); the page cache keeps them
     * and a later read maps them again. For a range nothing has written into (the mapping is
     * private: a write would be forgotten).
     */
    void dropPages(long offset, long length) {
        long from = Math.max(0, (offset - FAULT_AROUND) & -LinuxMemory.PAGE_SIZE);
        long to = Math.min(LinuxMemory.alignUp(size, LinuxMemory.PAGE_SIZE),
                LinuxMemory.alignUp(offset + length + FAULT_AROUND, LinuxMemory.PAGE_SIZE));
        if (to > from) {
            LinuxMemory.advise(address + from, to - from, LinuxMemory.MADV_DONTNEED);
        }
    }

    /** One more owner (an Arrow buffer over the mapping). */
    void retain() {
        int before;
        do {
            before = references.get();
            if (before <= 0) {
                throw new IllegalStateException(file + ": mapping already released");
            }
        } while (!references.compareAndSet(before, before + 1));
    }

    /** Drops one owner; the last one unmaps the file. */
    void release() {
        int left = references.decrementAndGet();
        if (left == 0) {
            arena.close(); // unmaps
        } else if (left < 0) {
            throw new IllegalStateException(file + ": mapping released more often than retained");
        }
    }

    boolean isMapped() {
        return references.get() > 0;
    }
}
