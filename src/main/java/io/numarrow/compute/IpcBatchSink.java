package io.numarrow.compute;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The old name of {@link io.numarrow.io.IpcBatchSink}, forwarding to it.
 *
 * @deprecated moved to {@code io}: use {@link io.numarrow.io.IpcBatchSink}
 */
@Deprecated
public final class IpcBatchSink extends Forwarding.Sink {
    private IpcBatchSink(io.numarrow.io.IpcBatchSink sink) {
        super(sink);
    }

    /** See {@link io.numarrow.io.IpcBatchSink#open}. */
    public static IpcBatchSink open(Path target, Schema schema, BufferAllocator allocator, DictionaryProvider dictionaries) {
        return new IpcBatchSink(io.numarrow.io.IpcBatchSink.open(target, schema, allocator, dictionaries));
    }
}
