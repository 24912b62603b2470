package io.numarrow.spark;

import io.numarrow.io.ArrowFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Writes the {@code id} and {@code features} columns of a numarrow Arrow IPC file (such as
 * {@code data/batch.arrow}) as Parquet through Spark, one record batch at a time, so that Spark
 * jobs and {@code numarrow compute} can run on the very same rows. Example and benchmark helper:
 * the rows pass through the driver.
 *
 * <p>{@code java ... io.numarrow.spark.ArrowToParquet data/batch.arrow /tmp/batch.parquet}
 */
public final class ArrowToParquet {
    private ArrowToParquet() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: ArrowToParquet INPUT.arrow OUTPUT.parquet");
        }
        SparkSession spark = SparkSession.builder().appName("arrow-to-parquet")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            long rows = convert(spark, Path.of(args[0]), args[1]);
            System.out.printf("wrote %,d rows of %s to %s%n", rows, args[0], args[1]);
        } finally {
            spark.stop();
        }
    }

    /** Converts {@code arrowFile} into the Parquet folder {@code parquet} (replaced); returns the row count. */
    public static long convert(SparkSession spark, Path arrowFile, String parquet) {
        long rows = 0;
        SaveMode mode = SaveMode.Overwrite;
        try (BufferAllocator allocator = new RootAllocator();
             ArrowReader reader = ArrowFiles.read(arrowFile, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                List<Row> batch = new ArrayList<>(root.getRowCount());
                for (SparkTestData.FeatureRow row : SparkTestData.batchFeatures(root, "features", arrowFile.toString())) {
                    batch.add(RowFactory.create(row.id(), row.features()));
                }
                spark.createDataFrame(batch, SparkTestData.SCHEMA).write().mode(mode).parquet(parquet);
                mode = SaveMode.Append;
                rows += batch.size();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }
}
