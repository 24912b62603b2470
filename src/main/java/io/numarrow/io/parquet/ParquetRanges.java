package io.numarrow.io.parquet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * numarrow's own Parquet reader over byte ranges of files, as a Spark task is handed them: of each range
 * the row groups whose midpoint lies in it, the rule Spark's own Parquet reader follows, so that the
 * ranges of one file are read once between them whichever reader reads each. Batches of
 * {@code batchRows} rows (the last one shorter) cross row groups and ranges; the features column is
 * {@code FixedSizeList<float32>[d]}, the others INT32, INT64, FLOAT, DOUBLE or UTF-8 (the layouts
 * {@code OwnParquetPlan} accepts). For io.numarrow.spark; not part of the API in docs/api.md.
 */
public final class ParquetRanges implements AutoCloseable {
    private final OwnParquetReader reader;
    private final int d;

    /** A features row whose length is not {@link #d()}: its row counted from the first of the ranges. */
    public static final class WrongRowLength extends RuntimeException {
        private final long row;
        private final int length;

        WrongRowLength(long row, int length, RowLengthException cause) {
            super(cause.getMessage(), cause);
            this.row = row;
            this.length = length;
        }

        public long row() {
            return row;
        }

        public int length() {
            return length;
        }
    }

    private ParquetRanges(OwnParquetReader reader, int d) {
        this.reader = reader;
        this.d = d;
    }

    /**
     * The reader of {@code [starts[i], ends[i])} of each {@code files[i]} (a file may come more than once),
     * or null where numarrow's reader declines them: another layout, type, codec or encoding, or no
     * non-null features row to take d from. The caller then reads them with another reader.
     */
    public static ParquetRanges open(List<Path> files, long[] starts, long[] ends, String column, int batchRows,
                                     BufferAllocator allocator) {
        OwnParquetPlan plan = OwnParquetPlan.of(files, new long[][] {starts, ends}, column, "Parquet input");
        return plan == null ? null : new ParquetRanges(new OwnParquetReader(plan, batchRows, allocator, true), plan.d());
    }

    /** The features' length: fixed by the files' Arrow schema, else that of the first non-null row. */
    public int d() {
        return d;
    }

    /** The current batch; its vectors and their buffers are refilled by each {@link #next()}. */
    public VectorSchemaRoot root() {
        try {
            return reader.getVectorSchemaRoot();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads the next batch into {@link #root()}; false at the end. */
    public boolean next() {
        try {
            return reader.loadNextBatch();
        } catch (RowLengthException e) {
            throw new WrongRowLength(reader.rowsBeforeFile() + e.row, e.length, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
