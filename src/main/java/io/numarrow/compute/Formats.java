package io.numarrow.compute;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The old name of {@link io.numarrow.io.Formats}: {@code Format}, {@code Compression},
 * {@code Options} and the format checks are inherited from it, the same types.
 *
 * @deprecated moved to {@code io}: use {@link io.numarrow.io.Formats}
 */
@Deprecated
public final class Formats extends io.numarrow.io.Formats {
    private Formats() {
    }

    /** See {@link io.numarrow.io.Formats#openSource}. */
    public static BatchSource openSource(Path input, Format format, String column, BufferAllocator allocator) {
        return new Forwarding.Source(io.numarrow.io.Formats.openSource(input, format, column, allocator));
    }

    /** See {@link io.numarrow.io.Formats#openSink}. */
    public static BatchSink openSink(Path output, Format format, Schema schema, Compression compression,
                                     BatchSource source, BufferAllocator allocator) {
        return new Forwarding.Sink(io.numarrow.io.Formats.openSink(output, format, schema, compression, source, allocator));
    }
}
