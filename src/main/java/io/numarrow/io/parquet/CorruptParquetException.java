package io.numarrow.io.parquet;

/** A Parquet file whose footer, page headers or pages do not decode; the caller names the file. */
final class CorruptParquetException extends RuntimeException {
    CorruptParquetException(String message) {
        super(message);
    }

    CorruptParquetException(String message, Throwable cause) {
        super(message, cause);
    }
}
