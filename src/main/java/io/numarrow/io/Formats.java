package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.ServiceLoader;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Which file format a job reads and writes, and the {@link BatchSource}/{@link BatchSink} for it.
 * Input: Parquet when the file starts with {@code PAR1}, or for a folder or a glob; Arrow IPC
 * otherwise. Output: Parquet when the name ends in {@code .parquet}, Arrow IPC otherwise. Either
 * can be forced. Parquet comes from {@link ParquetFormat}, which {@code io.parquet} provides as a
 * service, so that {@code io} does not depend on it; its classes (and DuckDB's native engine) load
 * only when a Parquet file is used.
 */
public class Formats {
    /** The DuckDB and Arrow C Data artifacts the Parquet path needs, for the message when they are absent. */
    static final String PARQUET_ARTIFACTS = "org.duckdb:duckdb_jdbc and org.apache.arrow:arrow-c-data";

    /** A file format. */
    public enum Format {
        ARROW, PARQUET;

        /** {@code arrow} (or {@code ipc}) or {@code parquet}, any case; null or {@code auto} for null. */
        public static Format parse(String name) {
            if (name == null || name.equalsIgnoreCase("auto")) {
                return null;
            }
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "arrow", "ipc" -> ARROW;
                case "parquet" -> PARQUET;
                default -> throw new BadInputException("unknown format '" + name + "': use arrow, parquet or auto");
            };
        }
    }

    /** Parquet page compression. */
    public enum Compression {
        SNAPPY, ZSTD;

        public static Compression parse(String name) {
            if (name == null) {
                return SNAPPY;
            }
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "snappy" -> SNAPPY;
                case "zstd" -> ZSTD;
                default -> throw new BadInputException("unknown Parquet compression '" + name + "': use snappy or zstd");
            };
        }
    }

    /**
     * A job's format choices.
     *
     * @param input       the input format, or null to tell from the file
     * @param output      the output format, or null to tell from the output name
     * @param compression Parquet output compression
     */
    public record Options(Format input, Format output, Compression compression) {
        public static final Options AUTO = new Options(null, null, Compression.SNAPPY);

        public Options {
            compression = compression == null ? Compression.SNAPPY : compression;
        }
    }

    /** Only for the deprecated {@code compute.Formats}, which inherits these names. */
    protected Formats() {
    }

    /** The format of {@code input}: {@code forced} if given, else Parquet for a folder, a glob or a file starting with PAR1. */
    public static Format inputFormat(Path input, Format forced) {
        if (forced != null) {
            return forced;
        }
        String name = input.toString();
        if (name.indexOf('*') >= 0 || name.indexOf('?') >= 0 || name.indexOf('[') >= 0 || Files.isDirectory(input)) {
            return Format.PARQUET;
        }
        if (!Files.isRegularFile(input)) {
            return Format.ARROW; // the IPC checks say what is wrong with it
        }
        try (FileChannel ch = FileChannel.open(input, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(4);
            ch.read(head, 0);
            return head.position() == 4 && head.get(0) == 'P' && head.get(1) == 'A' && head.get(2) == 'R'
                    && head.get(3) == '1' ? Format.PARQUET : Format.ARROW;
        } catch (IOException e) {
            throw new BadInputException(input + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The format of {@code output}: {@code forced} if given, else Parquet for a name ending in .parquet. */
    public static Format outputFormat(Path output, Format forced) {
        if (forced != null) {
            return forced;
        }
        Path name = output.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".parquet") ? Format.PARQUET : Format.ARROW;
    }

    /**
     * Opens the batches of {@code input}; {@code column} is the features column, which a Parquet
     * source delivers as {@code FixedSizeList<float32>[d]} whichever way the file stores it.
     */
    public static BatchSource openSource(Path input, Format format, String column, BufferAllocator allocator) {
        if (format == Format.PARQUET) {
            return parquet().openSource(input, column, allocator);
        }
        return IpcBatchSource.open(input, allocator);
    }

    /**
     * Opens a sink for batches of {@code schema} at {@code output}; {@code source} (or null) is where
     * the batches come from, for the dictionaries of dictionary-encoded columns. An Arrow IPC sink is
     * bound to the first root written, so every write must pass that same root.
     */
    public static BatchSink openSink(Path output, Format format, Schema schema, Compression compression,
                                     BatchSource source, BufferAllocator allocator) {
        if (format == Format.PARQUET) {
            return parquet().openSink(output, schema, compression, allocator);
        }
        return IpcBatchSink.open(output, schema, allocator, source == null ? null : source.dictionaries());
    }

    /** The Parquet implementation on the class path, with its DuckDB and Arrow C Data artifacts. */
    private static ParquetFormat parquet() {
        requireParquetSupport();
        return ServiceLoader.load(ParquetFormat.class, Formats.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new BadInputException("Parquet files need numarrow's io.parquet classes"
                        + " (the ParquetFormat service is not on the class path)"));
    }

    private static void requireParquetSupport() {
        try {
            Class.forName("org.duckdb.DuckDBConnection", false, Formats.class.getClassLoader());
            Class.forName("org.apache.arrow.c.Data", false, Formats.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new BadInputException("Parquet files need " + PARQUET_ARTIFACTS + " on the class path ("
                    + e.getMessage() + " is missing); numarrow's CLI ships both in target/lib");
        }
    }
}
