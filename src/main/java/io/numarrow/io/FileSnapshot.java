package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * A file's identity, size and modification time when a reader opened it. A mapped file that shrinks
 * under its reader cannot be read past its new end (the kernel raises SIGBUS, which the JVM turns into
 * an {@link InternalError} where it can); readers compare against the snapshot before each batch, and
 * name the cause when such an error comes.
 */
public final class FileSnapshot {
    private final Path file;
    private final Object key;
    private final long size;
    private final FileTime modified;

    private FileSnapshot(Path file, Object key, long size, FileTime modified) {
        this.file = file;
        this.key = key;
        this.size = size;
        this.modified = modified;
    }

    public static FileSnapshot take(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileSnapshot(file, a.fileKey(), a.size(), a.lastModifiedTime());
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    public Path file() {
        return file;
    }

    public long size() {
        return size;
    }

    /**
     * Whether the file was written, truncated or removed since the snapshot. A file replaced by a
     * rename is not a change: the reader still holds the old one, whole.
     */
    public boolean changed() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (key != null && !Objects.equals(key, a.fileKey())) {
                return false;
            }
            return a.size() != size || !a.lastModifiedTime().equals(modified);
        } catch (IOException e) {
            return false; // removed: its pages stay readable while mapped
        }
    }

    /** Throws the bad-input error "input file changed while being read" if {@link #changed()}. */
    public void checkUnchanged() {
        if (changed()) {
            throw changedError(null);
        }
    }

    /** The error that names the cause, for a fault (an {@link InternalError}) met while reading the file. */
    public BadInputException changedError(Throwable cause) {
        long now;
        try {
            now = Files.size(file);
        } catch (IOException e) {
            now = -1;
        }
        return new BadInputException(file + ": input file changed while being read (it was " + size + " bytes"
                + (now >= 0 ? ", now " + now : "") + "); rerun when nothing writes to it", cause);
    }

    /**
     * Turns a memory fault while {@code file} was mapped into the bad-input error when the file changed;
     * rethrows the fault otherwise. Use as {@code throw snapshot.explain(fault)}.
     */
    public RuntimeException explain(InternalError fault) {
        if (changed()) {
            return changedError(fault);
        }
        throw fault;
    }
}
