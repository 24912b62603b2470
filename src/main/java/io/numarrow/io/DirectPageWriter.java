package io.numarrow.io;

import io.numarrow.numa.LinuxMemory;
import java.util.ArrayDeque;

/**
 * Whole pages written to a file with {@code O_DIRECT} by a thread of their own, in the order given:
 * the device reads them from the caller's memory (a mapped input's pages), so the copy into the page
 * cache and its write-back, which the pool's cores paid beside the tiles, are gone, and the thread
 * sleeps in the write instead of a pool worker (docs/performance.md, session 14). Where the file
 * system refuses {@code O_DIRECT}'s alignment ({@code EINVAL}), the rest goes through the page cache.
 *
 * <p>A write's source must stay mapped until {@link #drain()} or {@link #close()} returned. The first
 * failure stops the writing; {@link #submit} and {@link #drain()} rethrow it.
 */
final class DirectPageWriter implements AutoCloseable {
    /** Writes waiting at most: beyond, {@link #submit} waits, as the device is then what bounds the job. */
    private static final int QUEUED = 4;
    /** Threads writing at once: one write at a time leaves the device idle between its requests. */
    private static final int THREADS = 2;

    private record Write(long address, long length, long at, Runnable after) {
    }

    private final int directFd;
    private final int bufferedFd;
    private final ArrayDeque<Write> queue = new ArrayDeque<>();
    private final Thread[] threads = new Thread[THREADS];
    // guarded by this
    private int writing;
    private boolean stopping;
    private LinuxMemory.NativeCallException failure;
    private boolean buffered;
    private long directBytes;

    private DirectPageWriter(int directFd, int bufferedFd, String name) {
        this.directFd = directFd;
        this.bufferedFd = bufferedFd;
        for (int i = 0; i < THREADS; i++) {
            threads[i] = Thread.ofPlatform().daemon().name(name + "-" + i).unstarted(this::loop);
        }
    }

    /**
     * A writer to {@code path} (already open as {@code bufferedFd}, which it does not close), or null
     * when the file cannot be opened with {@code O_DIRECT}.
     */
    static DirectPageWriter open(String path, int bufferedFd) {
        int fd;
        try {
            fd = LinuxMemory.open(path, LinuxMemory.O_WRONLY | LinuxMemory.O_DIRECT);
        } catch (LinuxMemory.NativeCallException e) {
            return null;
        }
        DirectPageWriter w = new DirectPageWriter(fd, bufferedFd, "numarrow-direct-writes");
        for (Thread t : w.threads) {
            t.start();
        }
        return w;
    }

    /**
     * Queues {@code length} bytes at {@code address} for the file at {@code at} (both page-aligned),
     * then {@code after} on the writing thread; waits while {@link #QUEUED} writes wait.
     *
     * @throws LinuxMemory.NativeCallException the first write's failure
     */
    synchronized void submit(long address, long length, long at, Runnable after) {
        boolean interrupted = false;
        try {
            while (failure == null && queue.size() >= QUEUED) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the write must be queued: the finish's range is left to it
                }
            }
            if (failure != null) {
                throw failure;
            }
            queue.add(new Write(address, length, at, after));
            notifyAll();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until every queued write has ended; rethrows the first failure. */
    synchronized void drain() {
        boolean interrupted = false;
        try {
            while (failure == null && (writing > 0 || !queue.isEmpty())) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the commit's sync must follow every write
                }
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (true) {
            Write w;
            boolean toPageCache;
            synchronized (this) {
                while (!stopping && queue.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // only close() ends this thread: a queued write's range would be left unwritten
                    }
                }
                if (queue.isEmpty()) {
                    return;
                }
                w = queue.poll();
                writing++;
                toPageCache = buffered;
            }
            LinuxMemory.NativeCallException failed = null;
            boolean refused = false;
            try {
                LinuxMemory.writeFully(toPageCache ? bufferedFd : directFd, w.address, w.length, w.at);
            } catch (LinuxMemory.NativeCallException e) {
                refused = !toPageCache && e.errno() == LinuxMemory.EINVAL;
                failed = refused ? null : e;
            }
            if (refused) {
                try {
                    LinuxMemory.writeFully(bufferedFd, w.address, w.length, w.at);
                } catch (LinuxMemory.NativeCallException e) {
                    failed = e;
                }
            }
            try {
                w.after.run();
            } finally {
                synchronized (this) {
                    writing--;
                    buffered |= refused;
                    if (failed == null && !toPageCache && !refused) {
                        directBytes += w.length;
                    }
                    if (failed != null && failure == null) {
                        failure = failed;
                        queue.clear();
                    }
                    notifyAll();
                }
            }
        }
    }

    /** Bytes written with {@code O_DIRECT} so far (not those the page cache took after a refusal). */
    synchronized long directBytes() {
        return directBytes;
    }

    /** Drops the writes not yet begun, waits for the one in flight and closes the direct descriptor. */
    @Override
    public void close() {
        synchronized (this) {
            queue.clear();
            stopping = true;
            notifyAll();
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a write in flight reads from memory the caller unmaps next
                }
            }
        }
        LinuxMemory.closeFd(directFd);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
