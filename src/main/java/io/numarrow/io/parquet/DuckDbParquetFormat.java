package io.numarrow.io.parquet;

import io.numarrow.io.BatchSink;
import io.numarrow.io.BatchSource;
import io.numarrow.io.Formats;
import io.numarrow.io.ParquetFormat;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/** Parquet through DuckDB: the {@link ParquetFormat} service (META-INF/services). */
public final class DuckDbParquetFormat implements ParquetFormat {
    @Override
    public BatchSource openSource(Path input, String column, BufferAllocator allocator) {
        return ParquetBatchSource.open(input, column, allocator);
    }

    @Override
    public BatchSink openSink(Path output, Schema schema, Formats.Compression compression, BufferAllocator allocator) {
        return ParquetBatchSink.open(output, schema, compression.name(), allocator);
    }
}
