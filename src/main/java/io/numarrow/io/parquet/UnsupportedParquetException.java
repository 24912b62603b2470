package io.numarrow.io.parquet;

/** A page uses what the footer did not announce and this package does not decode (an encoding, a codec). */
final class UnsupportedParquetException extends RuntimeException {
    UnsupportedParquetException(String message) {
        super(message);
    }
}
