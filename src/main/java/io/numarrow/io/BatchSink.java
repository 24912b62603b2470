package io.numarrow.io;

import java.io.IOException;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Where a job's output batches go: written in the order given, to a temporary file beside the
 * target that {@link #commit()} renames into place. Closing a sink that was not committed deletes
 * what it wrote, so a failed run leaves nothing at the output path. A failure to write names the
 * output and the reason (numarrow's sinks throw {@link java.io.UncheckedIOException}s from
 * {@link AtomicOutput#writeFailure}), so that it is never taken for the input's.
 */
public interface BatchSink extends AutoCloseable {
    /** Writes one batch; its buffers are not kept after the call returns. */
    void write(VectorSchemaRoot batch) throws IOException;

    /** Makes the output appear at its path, complete. */
    void commit() throws IOException;

    @Override
    void close() throws IOException;
}
