package io.numarrow.compute;

import java.io.IOException;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where a job's record batches come from: an Arrow IPC file (mapped or through Arrow's reader), a
 * Parquet file or a set of them. Batches come in file order; each is independent of the next, so a
 * caller may keep up to {@link #maxInFlight()} of them open while it asks for the next.
 * Bad input is reported as {@link io.numarrow.BadInputException} naming the file.
 */
public interface BatchSource extends AutoCloseable {
    /** The schema every batch has. */
    Schema schema();

    /** The input, for messages (a file name, or a glob). */
    String describe();

    /** The next batch, or null at the end. */
    InputBatch next() throws IOException;

    /** How many batches a caller may hold open at once; at least 1. */
    default int maxInFlight() {
        return 1;
    }

    @Override
    void close() throws IOException;
}
