package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The record batches of an Arrow IPC file (or stream), each in a root of its own so that a pipeline
 * can hold {@link #maxInFlight()} of them at once. Nothing is copied: each batch's root takes
 * references to the reader's buffers, which for a mapped file are views of the mapping
 * ({@link MappedArrowFileReader}); the next batch of a mapped file is pre-faulted as the current
 * one is handed out ({@link MappedArrowFileReader#prefetch}), on the thread that calls {@link #next()}
 * or, once the caller took it ({@link #leaveReadAheadToCaller()}), wherever the caller runs
 * {@link #readAhead(int)}; a closed batch's pages are unmapped ({@link MappedArrowFileReader#releasePages}). Nothing may
 * write into a batch's buffers or keep them past its {@link InputBatch#close()}.
 */
public final class IpcBatchSource implements BatchSource {
    /** One being read ahead, one computed, one being written. */
    static final int IN_FLIGHT = 3;

    private final Path file;
    private final BufferAllocator allocator;
    private final ArrowReader reader;
    private final Schema schema;
    private final ArrowFiles.Opened opened;
    private int index;
    /** Whether {@link #next()} pre-faults the following batch; false once the caller does it. */
    private boolean readAheadOnNext = true;

    private IpcBatchSource(Path file, BufferAllocator allocator, ArrowFiles.Opened opened, Schema schema) {
        this.file = file;
        this.allocator = allocator;
        this.reader = opened.reader();
        this.schema = schema;
        this.opened = opened;
    }

    /**
     * Opens {@code file}, checking it once ({@link ArrowFiles#checkIpcFile}, then its footer); a
     * missing, truncated or corrupt file is a {@link BadInputException} naming it.
     */
    public static IpcBatchSource open(Path file, BufferAllocator allocator) {
        Objects.requireNonNull(file, "file");
        ArrowFiles.Opened opened = ArrowFiles.open(file, allocator);
        ArrowReader reader = opened.reader();
        try {
            Schema schema = reader.getVectorSchemaRoot().getSchema();
            IpcBatchSource source = new IpcBatchSource(file, allocator, opened, schema);
            source.prefetch(0);
            return source;
        } catch (InvalidArrowFileException | IllegalArgumentException | IndexOutOfBoundsException
                 | IllegalStateException | IOException e) {
            closeQuietly(reader);
            throw new BadInputException(file + ": not a valid Arrow IPC file (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(reader);
            throw e;
        }
    }

    @Override
    public Schema schema() {
        return schema;
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public DictionaryProvider dictionaries() {
        return reader;
    }

    /** Rows and batches from the footer (unknown for a stream), and the file's size. */
    @Override
    public Totals totals() {
        return opened.totals();
    }

    @Override
    public RuntimeException explainFault(InternalError fault) {
        return opened.explainFault(fault);
    }

    @Override
    public InputBatch next() throws IOException {
        boolean loaded;
        try {
            loaded = reader.loadNextBatch();
        } catch (InvalidArrowFileException | IllegalArgumentException | IndexOutOfBoundsException
                 | IllegalStateException e) {
            throw new BadInputException(file + ": corrupt record batch " + index + " (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read record batch " + index + " (" + e.getMessage() + ")", e);
        }
        if (!loaded) {
            return null;
        }
        VectorSchemaRoot own = VectorSchemaRoot.create(schema, allocator);
        try (ArrowRecordBatch batch = new VectorUnloader(reader.getVectorSchemaRoot()).getRecordBatch()) {
            new VectorLoader(own).load(batch);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
        int i = index++;
        if (readAheadOnNext) {
            prefetch(index);
        }
        return batch(own, i, reader instanceof MappedArrowFileReader mapped ? mapped : null);
    }

    @Override
    public boolean leaveReadAheadToCaller() {
        if (!(reader instanceof MappedArrowFileReader)) {
            return false;
        }
        readAheadOnNext = false;
        return true;
    }

    @Override
    public void readAhead(int index) {
        prefetch(index);
    }

    private void prefetch(int batch) {
        if (reader instanceof MappedArrowFileReader mapped && batch < mapped.getRecordBatchCount()) {
            mapped.prefetch(batch);
        }
    }

    /** The mapped reader whose batches are views of the file, or null when Arrow's own reader reads it. */
    MappedArrowFileReader mappedReader() {
        return reader instanceof MappedArrowFileReader mapped ? mapped : null;
    }

    @Override
    public int maxInFlight() {
        return IN_FLIGHT;
    }

    @Override
    public List<Path> files() {
        return List.of(file);
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

    /**
     * A batch owning {@code root}; its close also gives back its pages to {@code mapped} (null when not
     * mapped): a job's resident memory stays a few batches, whatever the file's size.
     */
    private static InputBatch batch(VectorSchemaRoot root, int index, MappedArrowFileReader mapped) {
        return InputBatch.of(root, index, () -> {
            root.close();
            if (mapped != null) {
                mapped.releasePages(index);
            }
        });
    }
}
