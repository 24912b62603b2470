package io.numarrow.io.parquet;

/**
 * A page's Thrift {@code PageHeader}, with its data page (v1 or v2) or dictionary page header
 * flattened in.
 *
 * @param headerLength       the header's own bytes (the page's data follows it)
 * @param values             values in the page, nulls included (levels for a data page, entries for a dictionary)
 * @param encoding           the values' encoding
 * @param levelsEncoding     v1: the definition levels' encoding (RLE expected)
 * @param repetitionEncoding v1: the repetition levels' encoding (RLE expected)
 * @param defLength          v2: the definition levels' bytes (uncompressed, before the values)
 * @param repLength          v2: the repetition levels' bytes
 * @param compressed         v2: whether the values section is compressed
 */
record PageHeader(int type, int headerLength, int uncompressedSize, int compressedSize, int values, int encoding,
                  int levelsEncoding, int repetitionEncoding, int defLength, int repLength, boolean compressed) {
    static final int DATA_PAGE = 0;
    static final int DICTIONARY_PAGE = 2;
    static final int DATA_PAGE_V2 = 3;

    static PageHeader parse(CompactThrift in) {
        long start = in.position();
        int type = -1;
        int uncompressed = -1;
        int compressedSize = -1;
        int values = -1;
        int encoding = -1;
        int defEncoding = Encodings.RLE;
        int repEncoding = Encodings.RLE;
        int defLength = 0;
        int repLength = 0;
        boolean compressed = true;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 1 -> type = in.readI32();
                case 2 -> uncompressed = in.readI32();
                case 3 -> compressedSize = in.readI32();
                case 5, 7, 8 -> {
                    in.expectStruct();
                    in.beginStruct();
                    for (int g = in.nextField(); g >= 0; g = in.nextField()) {
                        switch (f * 100 + g) {
                            case 501, 701, 801 -> values = in.readI32();
                            case 502, 702, 804 -> encoding = in.readI32();
                            case 503 -> defEncoding = in.readI32();
                            case 504 -> repEncoding = in.readI32();
                            case 805 -> defLength = in.readI32();
                            case 806 -> repLength = in.readI32();
                            case 807 -> compressed = in.readBool();
                            default -> in.skip();
                        }
                    }
                    in.endStruct();
                }
                default -> in.skip();
            }
        }
        in.endStruct();
        if (type < 0 || uncompressed < 0 || compressedSize < 0) {
            throw new CorruptParquetException("a page header without its type or sizes");
        }
        if ((type == DATA_PAGE || type == DATA_PAGE_V2 || type == DICTIONARY_PAGE) && (values < 0 || encoding < 0)) {
            throw new CorruptParquetException("a data or dictionary page header without its value count or encoding");
        }
        if (defLength < 0 || repLength < 0 || (long) defLength + repLength > compressedSize) {
            throw new CorruptParquetException("a v2 page's levels (" + repLength + " + " + defLength
                    + " bytes) exceed the page's " + compressedSize + " bytes");
        }
        return new PageHeader(type, (int) (in.position() - start), uncompressed, compressedSize, values, encoding,
                defEncoding, repEncoding, defLength, repLength, compressed);
    }
}
