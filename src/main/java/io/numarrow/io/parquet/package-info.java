/**
 * Parquet in and out. Reading: numarrow's own reader ({@code OwnParquetReader},
 * chosen by {@code OwnParquetPlan} from the files' footers) for the common
 * layout of a features column and plain columns, and DuckDB's embedded engine
 * ({@code org.duckdb:duckdb_jdbc}) for everything else, its batches crossing into Java as Arrow through
 * the C Data interface ({@code arrow-c-data}) without a row-by-row copy. Writing: DuckDB.
 * {@link io.numarrow.io.Formats} finds them as the {@link io.numarrow.io.ParquetFormat} service, so
 * they load only when a Parquet file is used.
 */
package io.numarrow.io.parquet;
