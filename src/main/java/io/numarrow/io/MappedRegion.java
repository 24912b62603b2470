package io.numarrow.io;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.ForeignAllocation;

/**
 * A range of a {@link FileMapping} handed to Arrow as a foreign allocation: Arrow buffers over
 * it read the file's pages in place. It holds a reference on the mapping until Arrow releases it.
 */
final class MappedRegion extends ForeignAllocation {
    private final FileMapping mapping;
    private final AtomicBoolean released = new AtomicBoolean();

    private MappedRegion(FileMapping mapping, long offset, long length) {
        super(length, mapping.address() + offset);
        this.mapping = mapping;
    }

    /** A region of {@code mapping}, which must contain it; retains the mapping. */
    static MappedRegion of(FileMapping mapping, long offset, long length) {
        mapping.checkRange(offset, length);
        mapping.retain();
        return new MappedRegion(mapping, offset, length);
    }

    @Override
    protected void release0() {
        release();
    }

    /**
     * Drops this region's reference once, however often it is called: Arrow releases a foreign
     * allocation it failed to wrap only for some failures, so the caller releases it too.
     */
    void release() {
        if (released.compareAndSet(false, true)) {
            mapping.release();
        }
    }
}
