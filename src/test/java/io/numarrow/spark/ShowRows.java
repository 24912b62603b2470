package io.numarrow.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Prints the schema, row count and first rows of a Parquet folder (used by examples/run-local.sh). */
public final class ShowRows {
    private ShowRows() {
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("show-rows").getOrCreate();
        try {
            Dataset<Row> rows = spark.read().parquet(args[0]);
            rows.printSchema();
            System.out.printf("%,d rows%n", rows.count());
            rows.orderBy("id").show(args.length > 1 ? Integer.parseInt(args[1]) : 5, 60);
        } finally {
            spark.stop();
        }
    }
}
