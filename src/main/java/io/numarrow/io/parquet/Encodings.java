package io.numarrow.io.parquet;

/** Parquet's encoding and codec numbers, as the format's Thrift enums define them. */
final class Encodings {
    static final int PLAIN = 0;
    static final int PLAIN_DICTIONARY = 2;
    static final int RLE = 3;
    /** Deprecated levels packed most significant bit first; parquet-java lists it for levels of maximum 0. */
    static final int BIT_PACKED = 4;
    static final int RLE_DICTIONARY = 8;

    static final int UNCOMPRESSED = 0;
    static final int SNAPPY = 1;
    static final int ZSTD = 6;

    private Encodings() {
    }

    static boolean isDictionary(int encoding) {
        return encoding == PLAIN_DICTIONARY || encoding == RLE_DICTIONARY;
    }

    /** The codecs this package decodes; any other goes to DuckDB. */
    static boolean isKnownCodec(int codec) {
        return codec == UNCOMPRESSED || codec == SNAPPY || codec == ZSTD;
    }

    /** The encodings a column chunk may list and still be read here (BIT_PACKED for levels only). */
    static boolean isKnownEncoding(int encoding) {
        return encoding == PLAIN || encoding == PLAIN_DICTIONARY || encoding == RLE || encoding == RLE_DICTIONARY
                || encoding == BIT_PACKED;
    }
}
