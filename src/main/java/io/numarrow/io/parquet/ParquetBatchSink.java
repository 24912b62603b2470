package io.numarrow.io.parquet;

import io.numarrow.BadInputException;
import io.numarrow.Settings;
import io.numarrow.io.AtomicOutput;
import io.numarrow.io.BatchSink;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;

/**
 * Writes batches to a Parquet file through DuckDB's {@code COPY ... TO}: DuckDB pulls the batches
 * (by reference, through the C stream interface) on a thread of its own while the job goes on. The
 * file's {@code ARROW:schema} metadata holds the Arrow schema, so pyarrow and arrow-rs read the
 * lists back as {@code FixedSizeList<float32>} and {@code output} with its
 * {@code arrow.fixed_shape_tensor} type; DuckDB itself is given the plain storage types. DuckDB
 * writes the path form of an {@link AtomicOutput}, a temporary file beside the target moved onto it
 * by {@link #commit()}. A failure to write names the output.
 */
public final class ParquetBatchSink implements BatchSink {
    private static final String STREAM = "numarrow_batches";
    private static final long ROW_GROUP_BYTES = 16L << 20;

    private final Path target;
    private final AtomicOutput output;
    private final DuckDBConnection connection;
    private final ArrowArrayStream stream;
    private final QueuedArrowReader reader;
    private final Thread copier;
    private volatile Throwable failure;
    private boolean committed;

    private ParquetBatchSink(Path target, AtomicOutput output, DuckDBConnection connection, ArrowArrayStream stream,
                             QueuedArrowReader reader, String copy) {
        this.target = target;
        this.output = output;
        this.connection = connection;
        this.stream = stream;
        this.reader = reader;
        this.copier = Thread.ofPlatform().name("numarrow-parquet-writer").daemon().unstarted(() -> {
            try (Statement s = connection.createStatement()) {
                s.execute(copy);
            } catch (Throwable e) {
                failure = e;
            }
        });
        copier.start();
    }

    /**
     * Starts writing batches of {@code schema} to {@code target}.
     *
     * @param compression {@code SNAPPY} or {@code ZSTD}
     */
    public static ParquetBatchSink open(Path target, Schema schema, String compression, BufferAllocator allocator) {
        AtomicOutput output = AtomicOutput.createForPath(target);
        DuckDBConnection connection = null;
        ArrowArrayStream stream = null;
        QueuedArrowReader reader = null;
        try {
            connection = DuckDb.open();
            try (Statement s = connection.createStatement()) {
                // One thread reads the stream and writes the file in the stream's order, so DuckDB's
                // order-preserving copy, which holds far more of the output in memory, is not needed.
                s.execute("SET threads = 1");
                s.execute("SET preserve_insertion_order = false");
            }
            reader = new QueuedArrowReader(allocator, storageSchema(schema));
            stream = ArrowArrayStream.allocateNew(allocator);
            Data.exportArrayStream(allocator, reader, stream);
            connection.registerArrowStream(STREAM, stream);
            String copy = "COPY (SELECT * FROM " + STREAM + ") TO " + DuckDb.literal(output.temp().toString())
                    + " (FORMAT parquet, USE_TMP_FILE false, COMPRESSION " + compression.toLowerCase(Locale.ROOT)
                    + ", ROW_GROUP_SIZE " + (Settings.parquetRowGroupRows() > 0 ? Settings.parquetRowGroupRows() : rowGroupRows(schema))
                    + ", KV_METADATA {" + DuckDb.literal(ArrowSchemaMetadata.KEY) + ": "
                    + DuckDb.literal(ArrowSchemaMetadata.encode(schema)) + "})";
            return new ParquetBatchSink(target, output, connection, stream, reader, copy);
        } catch (SQLException | RuntimeException e) {
            DuckDb.closeQuietly(connection);
            DuckDb.closeQuietly(stream);
            DuckDb.closeQuietly(reader);
            output.close();
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw new IllegalStateException("cannot start writing " + target + " (" + DuckDb.message(e) + ")", e);
        }
    }

    /**
     * Rows per row group: about 16 MiB of row data. DuckDB's writer holds several times a row
     * group's data while it encodes a list column, so its default of 122,880 rows multiplied the
     * peak RSS of wide rows (docs/performance.md).
     */
    static int rowGroupRows(Schema schema) {
        long rowBytes = 8;
        for (Field f : schema.getFields()) {
            ArrowType t = f.getType() instanceof ArrowType.ExtensionType ext ? ext.storageType() : f.getType();
            rowBytes += t instanceof ArrowType.FixedSizeList list ? 4L * list.getListSize() : 8;
        }
        return (int) Math.clamp(ROW_GROUP_BYTES / rowBytes / 2048 * 2048, 2048, 122_880);
    }

    /** The schema as DuckDB is given it: extension types replaced by their storage. */
    private static Schema storageSchema(Schema schema) {
        return new Schema(schema.getFields().stream().map(ParquetBatchSink::storageField).toList());
    }

    private static Field storageField(Field f) {
        if (f.getType() instanceof ArrowType.ExtensionType ext) {
            return new Field(f.getName(), new FieldType(f.isNullable(), ext.storageType(), f.getDictionary()),
                    f.getChildren());
        }
        return f;
    }

    @Override
    public void write(VectorSchemaRoot batch) {
        checkCopier();
        try {
            reader.put(new VectorUnloader(batch).getRecordBatch(), copier::isAlive);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing " + target, e);
        } catch (IllegalStateException e) {
            checkCopier();
            throw e;
        }
    }

    @Override
    public void commit() {
        if (committed) {
            return;
        }
        try {
            reader.end(copier::isAlive);
            copier.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while finishing " + target, e);
        } catch (IllegalStateException e) {
            // the copier stopped; its failure is the message
        }
        checkCopier();
        DuckDb.closeQuietly(connection);
        output.commit();
        committed = true;
    }

    private void checkCopier() {
        Throwable f = failure;
        if (f != null) {
            throw output.writeFailure(new IOException(DuckDb.message(f), f));
        }
    }

    @Override
    public void close() {
        output.closeAfter(() -> {
            try {
                if (!committed) {
                    reader.abort();
                    try {
                        copier.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                DuckDb.closeQuietly(connection);
                DuckDb.closeQuietly(stream);
                DuckDb.closeQuietly(reader);
            }
        });
    }

    @Override
    public String toString() {
        return "ParquetBatchSink[" + target + "]";
    }

}
