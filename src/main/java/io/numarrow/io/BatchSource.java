package io.numarrow.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where a job's record batches come from: an Arrow IPC file (mapped or through Arrow's reader), a
 * Parquet file or a set of them. Batches come in file order; each is independent of the next, so a
 * caller may keep up to {@link #maxInFlight()} of them open while it asks for the next.
 * Bad input is reported as a {@link io.numarrow.BadInputException} naming the file.
 */
public interface BatchSource extends AutoCloseable {
    /**
     * What the input holds, as far as its metadata tells without reading any batch: for progress, and
     * so that nothing else needs to open the input to find out. Each figure is -1 when unknown.
     *
     * @param rows    rows in every batch together
     * @param batches record batches
     * @param bytes   the input's size on disk
     */
    record Totals(long rows, int batches, long bytes) {
        public static final Totals UNKNOWN = new Totals(-1, -1, -1);
    }

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

    /**
     * The files this source reads (every Parquet file of a folder or glob), so that a job can refuse
     * an output that is one of them; empty when the source does not say.
     */
    default List<Path> files() {
        return List.of();
    }

    /** What the input holds, from its metadata; {@link Totals#UNKNOWN} by default. */
    default Totals totals() {
        return Totals.UNKNOWN;
    }

    /**
     * The error to throw for a memory fault met while this source's batches were in use: a mapped
     * input that shrank under the job faults as an {@link InternalError}, which this turns into
     * "input file changed while being read". Rethrows the fault when the source cannot explain it.
     */
    default RuntimeException explainFault(InternalError fault) {
        throw fault;
    }

    /**
     * Asks the source to leave the read-ahead of each next batch to the caller: once it returns true,
     * {@link #next()} no longer brings the following batch in, and the caller runs
     * {@link #readAhead(int)} where it costs the computing least (a pool task beside the tiles,
     * rather than its own path between two batches). False, and nothing changed, for a source that
     * does not read ahead this way; the default.
     */
    default boolean leaveReadAheadToCaller() {
        return false;
    }

    /**
     * Brings batch {@code index}'s pages in now, if it exists (a hint: nothing when it does not, or
     * after {@link #close()}); may run on another thread beside {@link #next()}, but must have
     * returned before {@link #close()} is called. Does nothing by default.
     */
    default void readAhead(int index) {
    }

    /** How many batches a caller may hold open at once; at least 1. */
    default int maxInFlight() {
        return 1;
    }

    @Override
    void close() throws IOException;
}
