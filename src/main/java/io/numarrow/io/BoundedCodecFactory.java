package io.numarrow.io;

import io.numarrow.BadInputException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * Arrow's codecs with the mapped path's discipline: a compressed buffer's declared decompressed
 * length (its 8-byte prefix) is checked before anything is allocated for it, and capped at
 * {@value #MAX_RATIO}× its compressed bytes (at least {@value #MIN_CAP_BYTES} bytes) and at what one
 * Arrow buffer can index; a decompression failure is a {@link BadInputException} naming the file.
 * The codec itself writes at most the declared length.
 */
final class BoundedCodecFactory implements CompressionCodec.Factory {
    /** Far above what real columns reach (zstd on float features: 1-3×; on constant columns: ~100×-1000×). */
    static final long MAX_RATIO = 4096;
    static final long MIN_CAP_BYTES = 1L << 20;

    private final Path file;

    BoundedCodecFactory(Path file) {
        this.file = file;
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType codecType) {
        return new Bounded(CompressionCodec.Factory.INSTANCE.createCodec(codecType), file);
    }

    @Override
    public CompressionCodec createCodec(CompressionUtil.CodecType codecType, int compressionLevel) {
        return new Bounded(CompressionCodec.Factory.INSTANCE.createCodec(codecType, compressionLevel), file);
    }

    /** The largest decompressed length accepted for {@code compressedBytes} of compressed data. */
    static long cap(long compressedBytes) {
        return Math.min(Integer.MAX_VALUE, Math.max(MIN_CAP_BYTES, compressedBytes * MAX_RATIO));
    }

    /** Why a compressed buffer's declared decompressed length is refused, or null when it is accepted. */
    static String refusal(long declared, long compressedBytes) {
        if (declared == CompressionUtil.NO_COMPRESSION_LENGTH || (declared >= 0 && declared <= cap(compressedBytes))) {
            return null;
        }
        return "it declares " + declared + " decompressed bytes from " + compressedBytes + " compressed (at most "
                + cap(compressedBytes) + " accepted)";
    }

    private record Bounded(CompressionCodec codec, Path file) implements CompressionCodec {
        @Override
        public ArrowBuf compress(BufferAllocator allocator, ArrowBuf uncompressedBuffer) {
            return codec.compress(allocator, uncompressedBuffer);
        }

        @Override
        public ArrowBuf decompress(BufferAllocator allocator, ArrowBuf compressedBuffer) {
            long bytes = compressedBuffer.writerIndex();
            if (bytes < CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH) {
                throw new BadInputException(file + ": corrupt compressed buffer: " + bytes
                        + " bytes, too short for its 8-byte length prefix");
            }
            long raw = compressedBuffer.getLong(0); // the prefix is little-endian; ArrowBuf reads native order
            long declared = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
            long data = bytes - CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
            String refusal = refusal(declared, data);
            if (refusal != null) {
                throw new BadInputException(file + ": corrupt compressed buffer: " + refusal);
            }
            try {
                return codec.decompress(allocator, compressedBuffer);
            } catch (BadInputException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new BadInputException(file + ": corrupt compressed buffer (" + e.getMessage() + ")", e);
            }
        }

        @Override
        public CompressionUtil.CodecType getCodecType() {
            return codec.getCodecType();
        }
    }
}
