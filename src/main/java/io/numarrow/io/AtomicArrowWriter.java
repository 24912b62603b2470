package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * Writes Arrow IPC record batches to a temporary file beside the target and renames it onto the
 * target in {@link #commit()}. Closing without a commit deletes the temporary file, so a failed
 * run leaves nothing at the target path.
 */
public final class AtomicArrowWriter implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final ArrowFileWriter writer;
    private boolean committed;
    private boolean closed;

    private AtomicArrowWriter(Path target, Path temp, FileChannel channel, ArrowFileWriter writer) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.writer = writer;
    }

    static AtomicArrowWriter open(Path target, VectorSchemaRoot root, DictionaryProvider dictionaries) {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new BadInputException(target + ": output folder " + folder + " does not exist");
        }
        if (Files.isDirectory(absolute)) {
            throw new BadInputException(target + ": is a folder; give a file path for the output");
        }
        Path temp;
        try {
            temp = Files.createTempFile(folder, "." + absolute.getFileName() + ".", ".tmp");
            // createTempFile makes the file private (0600); the output is an ordinary file.
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its defaults
            }
        } catch (IOException e) {
            throw new BadInputException(target + ": cannot write in " + folder + " (" + e.getMessage() + ")", e);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            ArrowFileWriter writer = new ArrowFileWriter(root, dictionaries, channel);
            writer.start();
            return new AtomicArrowWriter(absolute, temp, channel, writer);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            deleteQuietly(temp);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot start writing " + target, io);
            }
            throw (RuntimeException) e;
        }
    }

    /** Writes the root's current contents as one record batch. */
    public void writeBatch() {
        try {
            writer.writeBatch();
        } catch (IOException e) {
            throw new UncheckedIOException("writing a batch to " + temp, e);
        }
    }

    /** Finishes the file and moves it onto the target. */
    public void commit() {
        if (committed) {
            return;
        }
        try {
            writer.end();
            channel.force(true);
            writer.close(); // closes the channel too
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("finishing " + target, e);
        }
    }

    public Path target() {
        return target;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!committed) {
            try {
                writer.close();
            } catch (RuntimeException e) {
                // the file is abandoned anyway
            }
            closeQuietly(channel);
            deleteQuietly(temp);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to do for a file being abandoned
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temp file is hidden (dot-prefixed) and harmless
        }
    }
}
