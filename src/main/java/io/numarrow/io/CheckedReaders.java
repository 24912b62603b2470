package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;

/**
 * Arrow's own readers, for the inputs the mapped reader leaves to them (streams, compressed and
 * dictionary-encoded files), with the mapped path's error discipline: whatever Arrow throws on
 * corrupt input (IllegalArgumentException, IndexOutOfBoundsException, ArithmeticException,
 * "Error decompressing", an allocator refusing a huge length, ...) becomes a
 * {@link BadInputException} naming the file; decompression goes through {@link BoundedCodecFactory}.
 */
final class CheckedReaders {
    private CheckedReaders() {
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    static <T> T guard(Path file, String what, Call<T> call) {
        try {
            return call.run();
        } catch (BadInputException e) {
            throw e;
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            // OutOfMemoryError: a length that passed every check but still did not fit the heap
            throw new BadInputException(file + ": corrupt Arrow " + what + " (" + describe(e) + ")", e);
        }
    }

    /**
     * A loaded batch of a big-endian input, swapped into little-endian order before anything reads
     * it ({@link BigEndianInput}); nothing to do for a little-endian one.
     */
    private static boolean converted(boolean loaded, ArrowReader reader, Path file, boolean bigEndian) throws IOException {
        if (loaded && bigEndian) {
            BigEndianInput.toLittleEndian(reader.getVectorSchemaRoot(), file);
        }
        return loaded;
    }

    /**
     * Every vector of a loaded batch checked in full (buffer sizes, offsets, dictionary indices):
     * Arrow's readers load buffers shorter than their nodes claim, and the failure came later, from
     * whatever read them (the output writer, as exit 1).
     */
    private static boolean validated(boolean loaded, ArrowReader reader) throws IOException {
        if (loaded) {
            for (FieldVector v : reader.getVectorSchemaRoot().getFieldVectors()) {
                try {
                    ValueVectorUtility.validateFull(v);
                } catch (UnsupportedOperationException e) {
                    // Arrow has no full validation for this type (seen for extension types): sizes at least
                    ValueVectorUtility.validate(v);
                }
            }
        }
        return loaded;
    }

    /** Refuses, before any batch is read, a big-endian schema with columns that cannot be converted. */
    private static Schema checkedSchema(Schema schema, Path file, boolean bigEndian) {
        if (bigEndian) {
            BigEndianInput.checkConvertible(schema, file);
        }
        return schema;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() || m.equals("null") ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    /** A stream file, already checked by {@link StreamLayoutCheck}, big-endian as its schema message says. */
    static final class Stream extends ArrowStreamReader {
        private final Path file;
        private final boolean bigEndian;

        Stream(Path file, FileChannel channel, BufferAllocator allocator, boolean bigEndian) {
            super(channel, allocator, new BoundedCodecFactory(file));
            this.file = file;
            this.bigEndian = bigEndian;
        }

        @Override
        protected Schema readSchema() throws IOException {
            return checkedSchema(super.readSchema(), file, bigEndian);
        }

        @Override
        public VectorSchemaRoot getVectorSchemaRoot() {
            return guard(file, "stream", super::getVectorSchemaRoot);
        }

        @Override
        public boolean loadNextBatch() {
            return guard(file, "stream", () -> validated(converted(super.loadNextBatch(), this, file, bigEndian), this));
        }
    }

    /**
     * An IPC file the mapped reader leaves to Arrow's (compressed, dictionary-encoded, big-endian or
     * not mappable), its footer and batch headers already checked by {@link IpcFileLayout} where it
     * could be mapped.
     */
    static final class File extends ArrowFileReader {
        private final Path file;
        private final boolean bigEndian;

        File(Path file, FileChannel channel, BufferAllocator allocator, boolean bigEndian) {
            super(channel, allocator, new BoundedCodecFactory(file));
            this.file = file;
            this.bigEndian = bigEndian;
        }

        @Override
        protected Schema readSchema() throws IOException {
            return checkedSchema(super.readSchema(), file, bigEndian);
        }

        @Override
        public VectorSchemaRoot getVectorSchemaRoot() {
            return guard(file, "file", super::getVectorSchemaRoot);
        }

        @Override
        public boolean loadNextBatch() {
            return guard(file, "file", () -> validated(converted(super.loadNextBatch(), this, file, bigEndian), this));
        }

        @Override
        public boolean loadRecordBatch(ArrowBlock block) {
            return guard(file, "file", () -> validated(converted(super.loadRecordBatch(block), this, file, bigEndian), this));
        }
    }
}
