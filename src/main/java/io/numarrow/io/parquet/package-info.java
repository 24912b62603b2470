/**
 * Parquet in and out through DuckDB's embedded engine ({@code org.duckdb:duckdb_jdbc}): DuckDB
 * reads and writes the files, and batches cross into and out of Java as Arrow through the C Data
 * interface ({@code arrow-c-data}), without a row-by-row copy. Nothing here parses Parquet itself.
 * {@link io.numarrow.io.Formats} finds them as the {@link io.numarrow.io.ParquetFormat} service, so
 * they load only when a Parquet file is used.
 */
package io.numarrow.io.parquet;
