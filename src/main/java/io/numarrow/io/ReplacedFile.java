package io.numarrow.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The regular file a commit's rename replaces, held open across the rename so that the kernel's
 * freeing of it (its page cache, its blocks, and on a file system mounted with {@code discard} the
 * device's discard of them, which the freeing waits for) happens at its last close, on a daemon
 * thread of its own, and not inside the rename the job waits for. The rename still replaces the
 * target atomically, and the old file is gone from the folder at once; only its storage comes back a
 * moment later (docs/performance.md, session 10: 0.19 s of an 853 MB output's commit). A process
 * that exits meanwhile closes it on exit.
 */
final class ReplacedFile {
    private static final Logger LOG = LoggerFactory.getLogger(ReplacedFile.class);

    /** Where {@link #releaseLater} hands the close: a daemon thread of its own (tests may hold it back). */
    static final Consumer<Runnable> DAEMON = ReplacedFile::onDaemonThread;
    static volatile Consumer<Runnable> releaser = DAEMON;

    private final FileChannel held;

    private ReplacedFile(FileChannel held) {
        this.held = held;
    }

    /**
     * Opens {@code target} for reading if it is a regular file (not through a link, never a FIFO or
     * device), else returns null, as when it cannot be opened: the rename then frees it itself.
     */
    static ReplacedFile hold(Path target) {
        try {
            if (!Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                return null;
            }
            return new ReplacedFile(FileChannel.open(target, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null; // nothing there, or not ours to read
        }
    }

    /** Closes it on a daemon thread: the old file's last close, after the rename unlinked it. */
    void releaseLater() {
        releaser.accept(this::closeNow);
    }

    private static void onDaemonThread(Runnable close) {
        try {
            Thread.ofPlatform().name("numarrow-replaced-file").daemon().start(close);
        } catch (OutOfMemoryError | IllegalStateException e) { // no thread to be had: close it here
            close.run();
        }
    }

    /** Closes it on this thread. */
    void closeNow() {
        try {
            held.close();
        } catch (IOException e) {
            LOG.debug("closing a replaced output file: {}", e.getMessage());
        }
    }
}
