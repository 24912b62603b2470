package io.numarrow.compute;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The old name of {@link io.numarrow.io.IpcBatchSource}, forwarding to it.
 *
 * @deprecated moved to {@code io}: use {@link io.numarrow.io.IpcBatchSource}
 */
@Deprecated
public final class IpcBatchSource extends Forwarding.Source {
    private IpcBatchSource(io.numarrow.io.IpcBatchSource source) {
        super(source);
    }

    /** See {@link io.numarrow.io.IpcBatchSource#open}. */
    public static IpcBatchSource open(Path file, BufferAllocator allocator) {
        return new IpcBatchSource(io.numarrow.io.IpcBatchSource.open(file, allocator));
    }
}
