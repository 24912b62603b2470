package io.numarrow.io.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.io.InputBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Parquet written by Spark (parquet-java: a 3-level list of optional floats, Snappy, a dictionary
 * tried first and given up for PLAIN within a chunk when it grows too big) read by numarrow's own
 * reader: the same batches as DuckDB's, and the values Spark was given, row by row.
 */
@Timeout(180)
class SparkParquetReadTest {
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true);

    @TempDir
    static Path dir;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[1]").appName("SparkParquetReadTest")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static float value(long i, int k, boolean dictionary) {
        return (float) (dictionary ? ((i * 7 + k * 3) % 11) * 0.25 - 1 : Math.sin(i * 0.37 + k * 1.1));
    }

    @ParameterizedTest
    @CsvSource({"4001, 256, false, 3", "17, 5, true, 1", "1, 3, false, 1"})
    void sparkFilesReadAsDuckDbReadsThem(int rows, int d, boolean dictionary, int partitions) throws Exception {
        Path out = dir.resolve("spark-" + rows + "-" + d + "-" + dictionary);
        List<Row> list = new ArrayList<>();
        for (long i = 0; i < rows; i++) {
            float[] f = new float[d];
            for (int k = 0; k < d; k++) {
                f[k] = value(i, k, dictionary);
            }
            list.add(RowFactory.create(i, i % 7 == 3 ? null : f));
        }
        spark.createDataFrame(list, SCHEMA).repartition(partitions).sortWithinPartitions("id")
                .write().parquet(out.toString());
        try (Stream<Path> files = Files.list(out)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                assertNotNull(OwnParquetReaderTest.planOf(file), "numarrow reads " + file.getFileName());
            }
        }
        try (BufferAllocator allocator = new RootAllocator()) {
            OwnParquetReaderTest.assertSameAsDuckDb(out, allocator);
            int seen = 0;
            try (ParquetBatchSource source = ParquetBatchSource.open(out, "features", allocator, true)) {
                assertTrue(source.own);
                for (InputBatch b = source.next(); b != null; b = source.next()) {
                    BigIntVector ids = (BigIntVector) b.root().getVector("id");
                    FixedSizeListVector features = (FixedSizeListVector) b.root().getVector("features");
                    Float4Vector values = (Float4Vector) features.getDataVector();
                    for (int r = 0; r < b.root().getRowCount(); r++, seen++) {
                        long id = ids.get(r);
                        if (id % 7 == 3) {
                            assertTrue(features.isNull(r), "row of id " + id + " is null");
                            continue;
                        }
                        for (int k = 0; k < d; k++) {
                            assertEquals((double) value(id, k, dictionary), values.get(r * d + k), 0.0, "id " + id + " value " + k);
                        }
                    }
                }
            }
            assertEquals(rows, seen);
        }
    }
}
