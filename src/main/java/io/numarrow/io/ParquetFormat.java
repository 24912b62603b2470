package io.numarrow.io;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Parquet files as batch sources and sinks: a service that {@code io.parquet} provides (through
 * DuckDB), found by {@link Formats} with {@link java.util.ServiceLoader}, so that {@code io} does not
 * depend on the package that depends on it.
 */
public interface ParquetFormat {
    /** The batches of {@code input} (a file, a folder or a glob); {@code column} arrives as {@code FixedSizeList<float32>[d]}. */
    BatchSource openSource(Path input, String column, BufferAllocator allocator);

    /** A sink writing batches of {@code schema} to {@code output}. */
    BatchSink openSink(Path output, Schema schema, Formats.Compression compression, BufferAllocator allocator);
}
