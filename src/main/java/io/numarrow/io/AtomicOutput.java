package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An output file that appears complete or not at all, whatever the format: bytes go to a temporary
 * file beside the target, made durable once and renamed onto it by {@link #commit()}. Two forms: a
 * writer of ours (Arrow IPC) writes through {@link #channel()} ({@link #create}); a writer that
 * opens files by name itself (DuckDB's Parquet {@code COPY}) writes to the path {@link #temp()}
 * ({@link #createForPath}), in place: it must truncate and write that file, not replace it by
 * another (a rename onto it would drop the lock below).
 *
 * <p>The contract any writer keeps (a mapped writer too): the temporary file is the only file it
 * creates; it lies in the target's folder (so the rename is atomic on one file system); it is
 * synced once, by {@link #commit()}, just before the rename; and it is never left behind: deleted by
 * {@link #close()} without a commit, by a shutdown hook on SIGINT and SIGTERM, and, after a kill -9
 * or a crash, by the next output opened in the same folder.
 *
 * <p>How the next run tells a dead writer's file from a live one's: each writer holds a
 * {@link WriterLock} ({@code flock}) on its temporary file from creation to rename or deletion, and a
 * run deletes only temporary files whose lock it can take. That holds in any PID namespace, and for
 * several jobs in one JVM. Temporary names are {@code .<target>.numarrow-<pid>-<random>.tmp} (the
 * pid says who made it; it is not used to judge), within 255 bytes (the target's part is
 * shortened). {@code tmp_.<target>.numarrow-<pid>-<random>.tmp}, the file DuckDB wrote beside
 * numarrow's own before numarrow turned that off, is deleted with it.
 *
 * <p>Targets: a regular file (replaced) or a path that does not exist yet. A symbolic link, a device
 * node, a FIFO or a socket is refused, never replaced. {@code -} and {@code /dev/stdout} mean standard
 * output ({@link #isStandardOutput()}): the channel form writes straight to it, with no temporary file;
 * the path form writes a temporary file in {@code java.io.tmpdir}, copied to standard output by
 * {@link #commit()}.
 */
public final class AtomicOutput implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicOutput.class);
    private static final int MAX_NAME_BYTES = 255;
    private static final String MARK = ".numarrow-";
    private static final Pattern TEMP_NAME = Pattern.compile("^\\..*\\.numarrow-\\d+-[0-9a-z]+\\.tmp$");
    /** DuckDB's own temporary file beside one of ours, written by runs before its {@code USE_TMP_FILE} was turned off. */
    private static final String DUCKDB_PREFIX = "tmp_";
    private static final Set<Path> LIVE_TEMPS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(AtomicOutput::deleteLiveTemps, "numarrow-temp-cleanup"));
    }

    private final Path target;
    private final Path temp;
    /** Held from the temporary file's creation until it is renamed or deleted; null without one, or where locks fail. */
    private final WriterLock lock;
    /** Null in the path form. */
    private final WritableByteChannel channel;
    private final boolean standardOutput;
    private boolean committed;
    private boolean closed;

    private AtomicOutput(Path target, Temp temp, WritableByteChannel channel, boolean standardOutput) {
        this.target = target;
        this.temp = temp == null ? null : temp.path();
        this.lock = temp == null ? null : temp.lock();
        this.channel = channel;
        this.standardOutput = standardOutput;
    }

    /** A temporary file just made, and the lock that marks its writer alive. */
    private record Temp(Path path, WriterLock lock) {
        void abandon() {
            LIVE_TEMPS.remove(path);
            deleteQuietly(path);
            if (lock != null) {
                lock.close();
            }
        }
    }

    /** Whether {@code target} means standard output ({@code -} or {@code /dev/stdout}). */
    public static boolean isStandardOutput(Path target) {
        String s = target.toString();
        return s.equals("-") || s.equals("/dev/stdout");
    }

    /**
     * Opens a temporary file for {@code target} (or standard output), after checking the target and
     * removing from its folder the temporary files of runs that no longer run (whose lock it can take).
     *
     * @throws BadInputException when the target is a folder, a link or a special file, or its folder is missing or not writable
     */
    public static AtomicOutput create(Path target) {
        if (isStandardOutput(target)) {
            return new AtomicOutput(target, null, new StandardOutputChannel(), true);
        }
        Temp temp = checkedTemp(target);
        try {
            return new AtomicOutput(target.toAbsolutePath(), temp, FileChannel.open(temp.path(), StandardOpenOption.WRITE), false);
        } catch (IOException e) {
            temp.abandon();
            throw new BadInputException(target + ": cannot write in " + temp.path().getParent() + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The path form of {@link #create}, for a writer that opens the file by name itself: it writes to
     * {@link #temp()} (created empty, beside the target), and {@link #channel()} is not used. The
     * same checks, cleanup and signal hook apply.
     *
     * @throws BadInputException as {@link #create} does
     */
    public static AtomicOutput createForPath(Path target) {
        if (isStandardOutput(target)) {
            Path folder = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
            removeStaleTemps(folder);
            return new AtomicOutput(target, createTemp(target, folder, "stdout"), null, true);
        }
        return new AtomicOutput(target.toAbsolutePath(), checkedTemp(target), null, false);
    }

    /** Checks the target and its folder, clears stale temporary files there and makes this run's. */
    private static Temp checkedTemp(Path target) {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new BadInputException(target + ": output folder " + folder + " does not exist");
        }
        checkTarget(target, absolute);
        removeStaleTemps(folder);
        return createTemp(target, folder, absolute.getFileName().toString());
    }

    /** Refuses a target that is not a regular file, so that a rename never replaces a device, FIFO or link. */
    private static void checkTarget(Path target, Path absolute) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(absolute, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return; // does not exist yet
        }
        if (a.isDirectory()) {
            throw new BadInputException(target + ": is a folder; give a file path for the output");
        }
        if (a.isSymbolicLink()) {
            throw new BadInputException(target + ": is a symbolic link; numarrow replaces only regular files"
                    + " (give the path it points to, or '-' for standard output)");
        }
        if (!a.isRegularFile()) {
            throw new BadInputException(target + ": is not a regular file (a device, FIFO or socket); numarrow"
                    + " replaces only regular files (use '-' for standard output)");
        }
    }

    /**
     * Creates and locks a new temporary file (registered for the shutdown hook). A sweeper of another
     * run may see the file between its creation and the lock and delete it; the file is then gone
     * once the lock is ours, and another name is tried.
     */
    private static Temp createTemp(Path target, Path folder, String name) {
        String pid = Long.toString(ProcessHandle.current().pid());
        for (int attempt = 0; ; attempt++) {
            String random = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
            String suffix = MARK + pid + "-" + random + ".tmp";
            String head = truncateUtf8(name, MAX_NAME_BYTES - 1 - suffix.getBytes(StandardCharsets.UTF_8).length);
            Path temp = folder.resolve("." + head + suffix);
            try {
                Files.createFile(temp);
                LIVE_TEMPS.add(temp);
                try {
                    // the output is an ordinary file (within the umask), not a private one
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: keep its defaults
                }
                Temp locked = lockOwn(temp);
                if (locked != null) {
                    return locked;
                }
                LIVE_TEMPS.remove(temp);
                if (attempt > 100) {
                    throw new BadInputException(target + ": cannot create a temporary file in " + folder
                            + " (each one vanished before it could be locked)");
                }
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw new BadInputException(target + ": cannot create a temporary file in " + folder, e);
                }
            } catch (IOException e) {
                LIVE_TEMPS.remove(temp);
                deleteQuietly(temp);
                throw new BadInputException(target + ": cannot write in " + folder + " (" + e.getMessage() + ")", e);
            }
        }
    }

    /**
     * Locks a temporary file this run just made. Null when another run's sweep took the file first
     * (it deletes it). On a file system without locks the file stays unlocked: no sweep can then
     * judge it, and every sweep keeps it.
     */
    private static Temp lockOwn(Path temp) {
        WriterLock lock;
        try {
            lock = WriterLock.tryLock(temp, true);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.debug("{}: writing without a lock ({}); other runs will keep this file", temp, e.getMessage());
            return new Temp(temp, null);
        }
        if (lock == null) {
            return null;
        }
        if (!Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
            lock.close(); // a sweep held the lock between the file's creation and ours, and deleted it
            return null;
        }
        return new Temp(temp, lock);
    }

    /** The longest prefix of {@code s} within {@code maxBytes} UTF-8 bytes, cut at a character boundary. */
    static String truncateUtf8(String s, int maxBytes) {
        if (s.getBytes(StandardCharsets.UTF_8).length <= maxBytes) {
            return s;
        }
        int bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + len > maxBytes) {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return s.substring(0, i);
    }

    /**
     * Deletes the temporary files in {@code folder} whose writers no longer run: those whose
     * {@link WriterLock} this run can take, and DuckDB's {@code tmp_} file beside such a one (or
     * beside none). A file this run cannot open or lock is kept: it cannot tell.
     */
    static int removeStaleTemps(Path folder) {
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, "*" + MARK + "*.tmp")) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                boolean duckDb = name.startsWith(DUCKDB_PREFIX);
                Path own = duckDb ? p.resolveSibling(name.substring(DUCKDB_PREFIX.length())) : p;
                if (!TEMP_NAME.matcher(own.getFileName().toString()).matches()
                        || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                boolean deleted = duckDb ? !writerAlive(own) && Files.deleteIfExists(p) : deleteIfUnlocked(p);
                if (deleted) {
                    LOG.info("removed {}, left by a numarrow run that no longer runs", p);
                    removed++;
                }
            }
        } catch (IOException | SecurityException e) {
            LOG.debug("could not look for stale temporary files in {}", folder, e);
        }
        return removed;
    }

    /** Deletes {@code temp} if its lock can be taken, holding the lock while it deletes. */
    private static boolean deleteIfUnlocked(Path temp) throws IOException {
        WriterLock lock;
        try {
            lock = WriterLock.tryLock(temp, false);
        } catch (IOException e) {
            LOG.debug("kept {}: cannot tell whether its writer runs ({})", temp, e.getMessage());
            return false;
        }
        if (lock == null) {
            return false; // its writer holds it
        }
        try (lock) {
            return Files.deleteIfExists(temp);
        }
    }

    /** Whether the writer of {@code temp} still runs (or cannot be judged); false once the file is gone. */
    private static boolean writerAlive(Path temp) {
        if (!Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (WriterLock lock = WriterLock.tryLock(temp, false)) {
            return lock == null;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void deleteLiveTemps() {
        for (Path p : LIVE_TEMPS) {
            deleteQuietly(p);
        }
    }

    /** Where the bytes go until {@link #commit()}; the path form has none (write to {@link #temp()}). */
    public WritableByteChannel channel() {
        if (channel == null) {
            throw new IllegalStateException(target + ": opened in the path form; write to temp()");
        }
        return channel;
    }

    public Path target() {
        return target;
    }

    /** The temporary file, or null when the channel form writes to standard output. */
    public Path temp() {
        return temp;
    }

    public boolean isStandardOutput() {
        return standardOutput;
    }

    /**
     * Makes the written bytes durable and moves them onto the target (or, in the path form for
     * standard output, copies them there). The writer must have written and closed everything; the
     * channel is closed here (standard output is only flushed).
     *
     * @throws UncheckedIOException naming the target and the reason ({@link #writeFailure})
     */
    public void commit() {
        if (committed) {
            return;
        }
        try {
            if (standardOutput) {
                if (temp != null) {
                    copyToStandardOutput(temp);
                }
                committed = true;
                return;
            }
            if (channel != null) {
                ((FileChannel) channel).force(true);
                channel.close();
            } else {
                try (FileChannel written = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    written.force(true); // whoever wrote it, its pages reach the disk before the rename
                }
            }
            ReplacedFile replaced = ReplacedFile.hold(target);
            try {
                moveOnto(temp, target);
            } catch (IOException | RuntimeException e) {
                if (replaced != null) {
                    replaced.closeNow();
                }
                throw e;
            }
            if (replaced != null) {
                replaced.releaseLater(); // the old file's storage freed off the job's time (ReplacedFile)
            }
            committed = true;
            LIVE_TEMPS.remove(temp);
            releaseLock();
        } catch (IOException e) {
            throw writeFailure(e);
        }
    }

    private static void moveOnto(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void copyToStandardOutput(Path temp) throws IOException {
        WritableByteChannel out = new StandardOutputChannel();
        try (FileChannel in = FileChannel.open(temp, StandardOpenOption.READ)) {
            long size = in.size();
            for (long done = 0; done < size; ) {
                done += in.transferTo(done, size - done, out);
            }
        }
    }

    /** The exception's message, or what it is where it has none (a channel closed by an interrupt has none). */
    private static String reason(IOException e) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof ClosedByInterruptException ? "interrupted while writing (the thread was interrupted)"
                : e.getClass().getSimpleName();
    }

    /** A write error the user can read: a full disk or a folder removed says so, whatever the exception's class. */
    public UncheckedIOException writeFailure(IOException e) {
        Path folder = target.getParent();
        String why = !standardOutput && folder != null && !Files.isDirectory(folder)
                ? "its folder " + folder + " was removed during the run" // else only "TMP -> OUT" (the failed rename)
                : e.getMessage() != null && e.getMessage().contains("No space left on device")
                ? "no space left on device" : reason(e);
        return new UncheckedIOException(target + ": cannot write the output: " + why
                + (standardOutput ? "" : " (nothing was left behind)"), e);
    }

    /**
     * A writer's close: runs {@code release} (what the writer holds on this output) and then
     * {@link #close()}, on the first call only, so the writer's close is idempotent as this one is.
     */
    public void closeAfter(Runnable release) {
        if (closed) {
            return;
        }
        try {
            release.run();
        } finally {
            close();
        }
    }

    /** Deletes the temporary file unless a commit moved it onto the target. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (temp != null && (!committed || standardOutput)) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // the file is abandoned anyway
                }
            }
            deleteQuietly(temp);
            LIVE_TEMPS.remove(temp);
        }
        releaseLock(); // after the delete: no sweep may find the file unlocked while it still exists
    }

    private void releaseLock() {
        if (lock != null) {
            lock.close();
        }
    }

    /** Standard output as a channel that a writer's close leaves open (later prints still work). */
    private static final class StandardOutputChannel implements WritableByteChannel {
        private final WritableByteChannel out = Channels.newChannel(new FileOutputStream(FileDescriptor.out));
        private boolean open = true;

        @Override
        public int write(ByteBuffer src) throws IOException {
            return out.write(src);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // the next run into this folder removes it (its lock is free once this run ends)
        }
    }
}
