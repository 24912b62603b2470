package io.numarrow.io;

import io.numarrow.numa.LinuxMemory;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * An exclusive {@code flock(2)} lock on a file, held through a descriptor of its own: the mark that
 * the file's writer still runs. {@link AtomicOutput} holds one on each temporary file until the
 * file is renamed or deleted, and deletes another run's temporary file only when it can take the
 * lock itself.
 *
 * <p>Why a lock and not the pid in the name: a pid means nothing outside its PID namespace (a
 * writer in a container sharing the folder has a pid the host does not know, or knows as another
 * process), while a lock is the same file-system object for every process on the host, and the
 * kernel drops it when its holder dies, kill -9 included. Why {@code flock} and not
 * {@link java.nio.channels.FileChannel#lock()}: the latter takes POSIX record locks, which belong to
 * the process and vanish when any descriptor of the file is closed in it, such as DuckDB's own
 * descriptor of the Parquet temporary file; a {@code flock} lock belongs to the open file and also
 * excludes another open file of the same process.
 */
final class WriterLock implements AutoCloseable {
    private static final int ENOENT = 2;
    private final int fd;
    private boolean closed;

    private WriterLock(int fd) {
        this.fd = fd;
    }

    /**
     * Locks {@code file} if no other open file holds its lock; returns null when one does.
     * {@code write} opens the file for writing, which locks over NFS need for an exclusive lock (a
     * writer's own temporary file); a reader that only judges a file opens it read-only.
     *
     * @throws NoSuchFileException when the file is gone
     * @throws IOException when the file cannot be opened or locked here (missing, not permitted, a
     *                     file system without locks)
     */
    static WriterLock tryLock(Path file, boolean write) throws IOException {
        int fd;
        try {
            fd = LinuxMemory.open(file.toString(), write ? LinuxMemory.O_RDWR : LinuxMemory.O_RDONLY);
        } catch (LinuxMemory.NativeCallException e) {
            if (e.errno() == ENOENT) {
                throw new NoSuchFileException(file.toString());
            }
            throw new IOException(file + ": cannot open to lock (" + e.getMessage() + ")", e);
        } catch (UnsupportedOperationException | IllegalStateException e) {
            throw new IOException(file + ": cannot open to lock (" + e.getMessage() + ")", e);
        }
        try {
            if (LinuxMemory.tryLockExclusive(fd)) {
                return new WriterLock(fd);
            }
        } catch (LinuxMemory.NativeCallException | UnsupportedOperationException | IllegalStateException e) {
            LinuxMemory.closeFd(fd);
            throw new IOException(file + ": cannot lock (" + e.getMessage() + ")", e);
        }
        LinuxMemory.closeFd(fd);
        return null;
    }

    /** Drops the lock (closing its descriptor). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LinuxMemory.closeFd(fd);
        }
    }
}
