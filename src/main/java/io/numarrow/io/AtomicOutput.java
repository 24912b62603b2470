package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An output file that appears complete or not at all, whatever the format: bytes go to a temporary
 * file beside the target, renamed onto it by {@link #commit()}. Two forms: a writer of ours (Arrow
 * IPC) writes through {@link #channel()} ({@link #create}); a writer that opens files by name itself
 * (DuckDB's Parquet {@code COPY}) writes to the path {@link #temp()} ({@link #createForPath}).
 *
 * <p>No debris: the temporary file is deleted by {@link #close()} without a commit, by a shutdown hook
 * on SIGINT and SIGTERM, and, after a kill -9 or a crash, by the next output opened in the same
 * folder: temporary names are {@code .<target>.numarrow-<pid>-<random>.tmp}, and one whose pid is no
 * longer a running process is removed. Names stay within 255 bytes (the target's part is shortened).
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
    private static final Pattern TEMP_NAME = Pattern.compile("^\\..*\\.numarrow-(\\d+)-[0-9a-z]+\\.tmp$");
    private static final Set<Path> LIVE_TEMPS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(AtomicOutput::deleteLiveTemps, "numarrow-temp-cleanup"));
    }

    private final Path target;
    private final Path temp;
    /** Null in the path form. */
    private final WritableByteChannel channel;
    private final boolean standardOutput;
    private boolean committed;
    private boolean closed;

    private AtomicOutput(Path target, Path temp, WritableByteChannel channel, boolean standardOutput) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.standardOutput = standardOutput;
    }

    /** Whether {@code target} means standard output ({@code -} or {@code /dev/stdout}). */
    public static boolean isStandardOutput(Path target) {
        String s = target.toString();
        return s.equals("-") || s.equals("/dev/stdout");
    }

    /**
     * Opens a temporary file for {@code target} (or standard output), after checking the target and
     * removing stale temporary files of dead processes from its folder.
     *
     * @throws BadInputException when the target is a folder, a link or a special file, or its folder is missing or not writable
     */
    public static AtomicOutput create(Path target) {
        if (isStandardOutput(target)) {
            return new AtomicOutput(target, null, new StandardOutputChannel(), true);
        }
        Path temp = checkedTemp(target);
        try {
            return new AtomicOutput(target.toAbsolutePath(), temp, FileChannel.open(temp, StandardOpenOption.WRITE), false);
        } catch (IOException e) {
            LIVE_TEMPS.remove(temp);
            deleteQuietly(temp);
            throw new BadInputException(target + ": cannot write in " + temp.getParent() + " (" + e.getMessage() + ")", e);
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
            Path temp = createTemp(target, folder, "stdout");
            LIVE_TEMPS.add(temp);
            return new AtomicOutput(target, temp, null, true);
        }
        return new AtomicOutput(target.toAbsolutePath(), checkedTemp(target), null, false);
    }

    /** Checks the target and its folder, clears stale temporary files there and makes this run's. */
    private static Path checkedTemp(Path target) {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new BadInputException(target + ": output folder " + folder + " does not exist");
        }
        checkTarget(target, absolute);
        removeStaleTemps(folder);
        Path temp = createTemp(target, folder, absolute.getFileName().toString());
        LIVE_TEMPS.add(temp);
        return temp;
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

    private static Path createTemp(Path target, Path folder, String name) {
        String pid = Long.toString(ProcessHandle.current().pid());
        for (int attempt = 0; ; attempt++) {
            String random = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
            String suffix = MARK + pid + "-" + random + ".tmp";
            String head = truncateUtf8(name, MAX_NAME_BYTES - 1 - suffix.getBytes(StandardCharsets.UTF_8).length);
            Path temp = folder.resolve("." + head + suffix);
            try {
                Files.createFile(temp);
                try {
                    // the output is an ordinary file (within the umask), not a private one
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: keep its defaults
                }
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw new BadInputException(target + ": cannot create a temporary file in " + folder, e);
                }
            } catch (IOException e) {
                throw new BadInputException(target + ": cannot write in " + folder + " (" + e.getMessage() + ")", e);
            }
        }
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

    /** Deletes temporary files in {@code folder} left by numarrow processes that no longer run. */
    static int removeStaleTemps(Path folder) {
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ".*" + MARK + "*.tmp")) {
            for (Path p : entries) {
                Matcher m = TEMP_NAME.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).isEmpty() && Files.deleteIfExists(p)) {
                    LOG.info("removed {}, left by numarrow process {} that is no longer running", p, pid);
                    removed++;
                }
            }
        } catch (IOException | SecurityException e) {
            LOG.debug("could not look for stale temporary files in {}", folder, e);
        }
        return removed;
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
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
            LIVE_TEMPS.remove(temp);
        } catch (IOException e) {
            throw writeFailure(e);
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

    /** A write error the user can read: a full disk or a folder removed says so, whatever the exception's class. */
    public UncheckedIOException writeFailure(IOException e) {
        Path folder = target.getParent();
        String why = !standardOutput && folder != null && !Files.isDirectory(folder)
                ? "its folder " + folder + " was removed during the run" // else only "TMP -> OUT" (the failed rename)
                : e.getMessage() != null && e.getMessage().contains("No space left on device")
                ? "no space left on device" : String.valueOf(e.getMessage());
        return new UncheckedIOException(target + ": cannot write the output: " + why
                + (standardOutput ? "" : " (nothing was left behind)"), e);
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
            // the next run into this folder removes it (its pid is then dead)
        }
    }
}
