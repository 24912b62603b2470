package io.numarrow.io;

import io.numarrow.BadInputException;
import io.numarrow.tensor.FixedShapeTensorType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Opening Arrow IPC files for reading, and writing them atomically. */
public final class ArrowFiles {
    private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    /** "ARROW1" + 2 bytes padding at the start, footer length + "ARROW1" at the end. */
    private static final long MIN_FILE_SIZE = 8 + 4 + 6;

    static {
        FixedShapeTensorType.register();
    }

    private ArrowFiles() {
    }

    /**
     * A reader over the Arrow IPC file (or stream) at {@code file}. The file is checked first:
     * missing, empty, not Arrow, or cut short each give a {@link BadInputException} naming it.
     *
     * <p>An IPC file is memory-mapped and its batches are views of the mapping, not copies
     * ({@link MappedArrowFileReader}); a corrupt one fails here or at {@code loadNextBatch} with a
     * {@link BadInputException}. Compressed or dictionary-encoded files, and streams, are read by
     * Arrow's own readers.
     */
    public static ArrowReader read(Path file, BufferAllocator allocator) {
        return open(file, allocator).reader();
    }

    /**
     * A reader over an IPC file, with what the file holds as its footer tells it (and the checks of
     * {@link IpcFileLayout} read it) and the file as it was when mapped.
     *
     * @param totals   rows and batches when the footer was read, the file's size always
     * @param snapshot the mapped file at open, or null when the reader does not map it
     */
    record Opened(ArrowReader reader, BatchSource.Totals totals, FileSnapshot snapshot) {
        /** See {@link BatchSource#explainFault}: only a mapped file faults. */
        RuntimeException explainFault(InternalError fault) {
            if (snapshot == null) {
                throw fault;
            }
            return snapshot.explain(fault);
        }
    }

    /** {@link #read}, with the totals and snapshot the reader's opening found. */
    static Opened open(Path file, BufferAllocator allocator) {
        IpcFormat format = checkIpcFile(file);
        long size = MappedArrowFileReader.sizeOf(file);
        if (format == IpcFormat.FILE) {
            return MappedArrowFileReader.open(file, size, allocator);
        }
        return new Opened(openStream(file, allocator), new BatchSource.Totals(-1, -1, size), null);
    }

    private static ArrowReader openStream(Path file, BufferAllocator allocator) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot open (" + e.getMessage() + ")", e);
        }
        boolean bigEndian;
        try {
            bigEndian = StreamLayoutCheck.check(file, channel, channel.size());
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return new CheckedReaders.Stream(file, channel, allocator, bigEndian);
    }

    /** The two Arrow IPC layouts. */
    public enum IpcFormat { FILE, STREAM }

    /** Checks that {@code file} looks like a complete Arrow IPC file or stream, and says which. */
    public static IpcFormat checkIpcFile(Path file) {
        if (!Files.exists(file)) {
            throw new BadInputException(file + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new BadInputException(file + ": is a folder, not an Arrow file");
        }
        if (!Files.isRegularFile(file)) {
            // checked before opening: opening a FIFO that has no writer blocks for ever
            throw new BadInputException(file + ": not a regular file (a pipe, FIFO or device); numarrow reads"
                    + " Arrow IPC files and streams saved to disk: save the data to a file first");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new BadInputException(file + ": is empty (0 bytes), not an Arrow IPC file");
            }
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(8, size));
            ch.read(head, 0);
            byte[] h = head.array();
            if (startsWith(h, FILE_MAGIC)) {
                if (size < MIN_FILE_SIZE) {
                    throw new BadInputException(file + ": truncated Arrow file (" + size + " bytes)");
                }
                ByteBuffer tail = ByteBuffer.allocate(FILE_MAGIC.length);
                ch.read(tail, size - FILE_MAGIC.length);
                if (!startsWith(tail.array(), FILE_MAGIC)) {
                    throw new BadInputException(file + ": truncated Arrow file (its footer is missing; "
                            + size + " bytes)");
                }
                return IpcFormat.FILE;
            }
            if (h.length >= 4 && (h[0] & h[1] & h[2] & h[3]) == (byte) 0xFF) {
                return IpcFormat.STREAM;
            }
            throw new BadInputException(file + ": not an Arrow IPC file (it does not start with ARROW1"
                    + " or an Arrow stream message)");
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Opens an atomic writer of {@code root}'s batches to {@code target}: batches go to a
     * temporary file in the same folder, renamed onto {@code target} by {@link AtomicArrowWriter#commit()}.
     */
    public static AtomicArrowWriter write(Path target, VectorSchemaRoot root, DictionaryProvider dictionaries) {
        return AtomicArrowWriter.open(target, root, dictionaries);
    }

    /** Writes {@code root} as a one-batch Arrow IPC file at {@code target}, atomically. */
    public static void write(Path target, VectorSchemaRoot root) {
        try (AtomicArrowWriter w = AtomicArrowWriter.open(target, root, null)) {
            w.writeBatch();
            w.commit();
        }
    }
}
