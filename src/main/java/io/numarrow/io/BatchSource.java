package io.numarrow.io;

import java.io.IOException;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where a job's record batches come from: an Arrow IPC file (mapped or through Arrow's reader), a
 * Parquet file or a set of them. Batches come in file order; each is independent of the next, so a
 * caller may keep up to {@link #maxInFlight()} of them open while it asks for the next.
 * Bad input is reported as a {@link io.numarrow.BadInputException} naming the file.
 */
public interface BatchSource extends AutoCloseable {
    /** The schema every batch has. */
    Schema schema();

    /** The input, for messages (a file name, or a glob). */
    String describe();

    /** The next batch, or null at the end. */
    InputBatch next() throws IOException;

    /** The dictionaries of dictionary-encoded columns, for a sink that writes them through; null if none. */
    default DictionaryProvider dictionaries() {
        return null;
    }

    /** How many batches a caller may hold open at once; at least 1. */
    default int maxInFlight() {
        return 1;
    }

    @Override
    void close() throws IOException;
}
