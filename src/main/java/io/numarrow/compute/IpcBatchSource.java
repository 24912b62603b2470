package io.numarrow.compute;

import io.numarrow.BadInputException;
import io.numarrow.io.ArrowFiles;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;
import org.apache.arrow.vector.types.pojo.Schema;

/** The batches of one Arrow IPC file, through {@link ArrowFiles#read}; each batch is the reader's root, valid until the next. */
final class IpcBatchSource implements BatchSource {
    private final Path file;
    private final ArrowReader reader;
    private final VectorSchemaRoot root;
    private int index;

    private IpcBatchSource(Path file, ArrowReader reader, VectorSchemaRoot root) {
        this.file = file;
        this.reader = reader;
        this.root = root;
    }

    static IpcBatchSource open(Path file, BufferAllocator allocator) {
        ArrowReader reader = ArrowFiles.read(file, allocator);
        try {
            return new IpcBatchSource(file, reader, reader.getVectorSchemaRoot());
        } catch (IOException | InvalidArrowFileException | IllegalArgumentException | IndexOutOfBoundsException
                 | IllegalStateException e) {
            closeQuietly(reader);
            throw new BadInputException(file + ": not a valid Arrow IPC file (" + e.getMessage() + ")", e);
        }
    }

    DictionaryProvider dictionaries() {
        return reader;
    }

    @Override
    public Schema schema() {
        return root.getSchema();
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public InputBatch next() throws IOException {
        boolean loaded;
        try {
            loaded = reader.loadNextBatch();
        } catch (InvalidArrowFileException | IllegalArgumentException | IndexOutOfBoundsException
                 | IllegalStateException e) {
            throw new BadInputException(file + ": corrupt record batch (" + e.getMessage() + ")", e);
        }
        if (!loaded) {
            return null;
        }
        int i = index++;
        return InputBatch.ofReusedRoot(root, i);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    private static void closeQuietly(ArrowReader reader) {
        try {
            reader.close();
        } catch (IOException | RuntimeException e) {
            // already failing
        }
    }
}
