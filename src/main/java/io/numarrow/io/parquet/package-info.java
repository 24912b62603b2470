/**
 * Parquet in and out through DuckDB's embedded engine ({@code org.duckdb:duckdb_jdbc}): DuckDB
 * reads and writes the files, and batches cross into and out of Java as Arrow through the C Data
 * interface ({@code arrow-c-data}), without a row-by-row copy. Nothing here parses Parquet itself.
 * These classes load only when a Parquet file is used ({@link io.numarrow.compute.Formats}).
 */
package io.numarrow.io.parquet;
