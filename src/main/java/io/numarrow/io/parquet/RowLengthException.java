package io.numarrow.io.parquet;

/** A features row whose length is not d: the file, the row within it (from 0) and its length. */
final class RowLengthException extends RuntimeException {
    final String file;
    final long row;
    final int length;

    RowLengthException(String file, long row, int length) {
        super(file + ": row " + row + " has " + length + " values");
        this.file = file;
        this.row = row;
        this.length = length;
    }
}
