package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.numarrow.BadInputException;
import io.numarrow.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15, items 5, 6 and the disk-full part of 8: outputs that leave no debris and replace only regular files;
 * issue 27 item 4: a writer's liveness is its lock, in any PID namespace.
 */
@Timeout(120)
class AtomicOutputTest {
    @TempDir
    Path dir;

    @Test
    void commitRenamesAndCloseWithoutCommitLeavesNothing() throws IOException {
        Path target = dir.resolve("out.arrow");
        try (AtomicOutput out = AtomicOutput.create(target)) {
            assertTrue(out.temp().getFileName().toString().contains(".numarrow-" + ProcessHandle.current().pid() + "-"),
                    out.temp().toString());
            out.channel().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            out.commit();
        }
        assertEquals(3, Files.size(target));
        try (AtomicOutput out = AtomicOutput.create(target)) {
            out.channel().write(ByteBuffer.wrap(new byte[] {9}));
        }
        assertEquals(List.of(target), entries(), "the failed write left only the old target");
        assertEquals(3, Files.size(target));
    }

    /**
     * A commit that replaces a file: the new bytes are at the target when it returns, while the old
     * file, already unlinked, is still held open (its freeing, which on a {@code discard} mount waits
     * for the device, is left to a daemon thread), and freed by that close.
     */
    @Test
    void aReplacedFileIsHeldOpenAcrossTheRenameAndFreedByItsLateClose() throws IOException {
        Path target = dir.resolve("old.arrow");
        Files.write(target, new byte[] {7, 7, 7, 7});
        long oldInode = (long) Files.getAttribute(target, "unix:ino");
        List<Runnable> held = new ArrayList<>();
        ReplacedFile.releaser = held::add;
        try (AtomicOutput out = AtomicOutput.create(target)) {
            out.channel().write(ByteBuffer.wrap(new byte[] {1, 2}));
            out.commit();
        } finally {
            ReplacedFile.releaser = ReplacedFile.DAEMON;
        }
        assertEquals(2, Files.size(target), "the new file is in place");
        assertEquals(List.of(target), entries());
        assertEquals(1, held.size(), "one replaced file left to close");
        assertEquals(1, openDeletedFiles(oldInode), "the old file is held open, unlinked");
        held.getFirst().run();
        assertEquals(0, openDeletedFiles(oldInode), "its close let it go");
    }

    /** This process's descriptors open on the unlinked file whose inode was {@code inode}. */
    private long openDeletedFiles(long inode) throws IOException {
        long n = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).toString().endsWith("(deleted)")
                            && (long) Files.getAttribute(fd, "unix:ino") == inode) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed meanwhile (the listing's own descriptor)
                }
            }
        }
        return n;
    }

    @Test
    void thePathFormIsWrittenByNameAndCommittedOrDeletedTheSameWay() throws IOException {
        Path target = dir.resolve("out.parquet");
        try (AtomicOutput out = AtomicOutput.createForPath(target)) {
            assertTrue(out.temp().getFileName().toString().contains(".numarrow-" + ProcessHandle.current().pid() + "-"),
                    out.temp().toString());
            assertEquals(dir, out.temp().getParent(), "beside the target");
            assertThrows(IllegalStateException.class, out::channel);
            Files.write(out.temp(), new byte[] {1, 2, 3, 4}); // as DuckDB does: by name, truncating
            out.commit();
        }
        assertEquals(4, Files.size(target));
        try (AtomicOutput out = AtomicOutput.createForPath(target)) {
            Files.write(out.temp(), new byte[] {9});
        }
        assertEquals(List.of(target), entries(), "the failed write left only the old target");
        assertEquals(4, Files.size(target));

        Path link = Files.createSymbolicLink(dir.resolve("link.parquet"), target);
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicOutput.createForPath(link));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertThrows(BadInputException.class, () -> AtomicOutput.createForPath(dir));
        assertEquals(List.of(link, target), entries(), "no temporary file");
    }

    @Test
    void aRenameThatFailsNamesTheTargetAndLeavesNothing() throws IOException {
        Path target = dir.resolve("out.parquet");
        try (AtomicOutput out = AtomicOutput.createForPath(target)) {
            Files.write(out.temp(), new byte[] {1});
            Files.createDirectory(target); // a folder appeared at the target meanwhile, not empty:
            Files.write(target.resolve("keep"), new byte[] {2}); // no rename may replace it, even as root
            UncheckedIOException e = assertThrows(UncheckedIOException.class, out::commit);
            assertTrue(e.getMessage().startsWith(target + ": cannot write the output: "), e.getMessage());
        }
        assertEquals(List.of(target), entries(), "the temporary file is gone");
        try (Stream<Path> inside = Files.list(target)) {
            assertEquals(List.of(target.resolve("keep")), inside.toList(), "the folder is left as it was");
        }
    }

    /** Issue 27: the output's folder removed during the run (rm -rf) is said, not "cannot write the output: TMP -> OUT". */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anOutputFolderRemovedDuringTheRunIsNamed(boolean channelForm) throws IOException {
        Path folder = Files.createDirectory(dir.resolve("results"));
        Path target = folder.resolve("out.arrow");
        try (AtomicOutput out = channelForm ? AtomicOutput.create(target) : AtomicOutput.createForPath(target)) {
            if (channelForm) {
                out.channel().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            } else {
                Files.write(out.temp(), new byte[] {1, 2, 3});
            }
            Files.delete(out.temp());
            Files.delete(folder);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, out::commit);
            assertEquals(target + ": cannot write the output: its folder " + folder + " was removed during the run"
                    + " (nothing was left behind)", e.getMessage());
        }
        assertFalse(Files.exists(folder));
    }

    @Test
    void aSymbolicLinkIsRefusedAndLeftAlone() throws IOException {
        Path real = Files.writeString(dir.resolve("real.arrow"), "keep");
        Path link = Files.createSymbolicLink(dir.resolve("link.arrow"), real);
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicOutput.create(link));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("keep", Files.readString(real));
        assertEquals(2, entries().size(), "no temporary file");
    }

    @Test
    void aDeviceNodeIsRefusedNotReplaced() {
        // /dev/null itself: refused before anything is created, so it is never touched
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicOutput.create(Path.of("/dev/null")));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertTrue(Files.exists(Path.of("/dev/null")) && !Files.isRegularFile(Path.of("/dev/null")));
    }

    @Test
    void aFifoIsRefused() throws Exception {
        Path fifo = dir.resolve("fifo.arrow");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicOutput.create(fifo));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertFalse(Files.isRegularFile(fifo));
    }

    @Test
    void aFolderIsRefused() {
        BadInputException e = assertThrows(BadInputException.class, () -> AtomicOutput.create(dir));
        assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
    }

    @Test
    void dashAndDevStdoutMeanStandardOutput() {
        for (String s : new String[] {"-", "/dev/stdout"}) {
            try (AtomicOutput out = AtomicOutput.create(Path.of(s))) {
                assertTrue(out.isStandardOutput());
                out.commit();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 246, 250, 255})
    void longTargetNamesGetTemporaryNamesWithin255Bytes(int length) throws IOException {
        Path target = dir.resolve("o".repeat(length - 6) + ".arrow");
        try (AtomicOutput out = AtomicOutput.create(target)) {
            assertTrue(out.temp().getFileName().toString().getBytes(StandardCharsets.UTF_8).length <= 255);
            out.commit();
        }
        assertTrue(Files.isRegularFile(target));
    }

    @Test
    void multiByteNamesAreShortenedAtACharacterBoundary() throws IOException {
        String name = "é".repeat(120) + ".arrow"; // 246 bytes
        try (AtomicOutput out = AtomicOutput.create(dir.resolve(name))) {
            String temp = out.temp().getFileName().toString();
            assertTrue(temp.getBytes(StandardCharsets.UTF_8).length <= 255, temp);
            assertFalse(temp.contains("\uFFFD"));
            out.commit();
        }
        assertEquals("ab", AtomicOutput.truncateUtf8("abé", 3));
        assertEquals("abé", AtomicOutput.truncateUtf8("abé", 4));
    }

    @Test
    void unlockedTemporaryFilesAreRemovedWhateverPidTheyName() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path deadPid = Files.write(dir.resolve(".out.arrow.numarrow-" + gone.pid() + "-abc123.tmp"), new byte[10]);
        // a running pid, this very process's, but no writer holds the file's lock: it is debris
        Path livePid = Files.write(dir.resolve(".out.arrow.numarrow-" + ProcessHandle.current().pid() + "-zz9.tmp"), new byte[10]);
        Path unrelated = Files.write(dir.resolve(".notes.tmp"), new byte[1]);
        try (AtomicOutput out = AtomicOutput.create(dir.resolve("other.arrow"))) {
            assertFalse(Files.exists(deadPid), "a dead writer's temp file is removed");
            assertFalse(Files.exists(livePid), "an unlocked temp file is removed even when its pid runs");
            assertTrue(Files.exists(unrelated), "files not named by numarrow are kept");
        }
    }

    /** Issue 27 item 4: a writer in another PID namespace has a pid the host does not know; its lock says it runs. */
    @Test
    void aTemporaryFileWhoseLockIsHeldIsKeptWhateverPidItNames() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path held = Files.write(dir.resolve(".out.arrow.numarrow-" + gone.pid() + "-abc123.tmp"), new byte[10]);
        Process holder = holdLock(held);
        try {
            assertEquals(0, AtomicOutput.removeStaleTemps(dir));
            try (AtomicOutput out = AtomicOutput.create(dir.resolve("other.arrow"))) {
                assertTrue(Files.exists(held), "a file whose writer holds its lock is kept, whatever pid its name says");
            }
        } finally {
            release(holder);
        }
        assertEquals(1, AtomicOutput.removeStaleTemps(dir), "once the lock is free the file is debris");
        assertEquals(List.of(), entries());
    }

    @Test
    void anotherOutputOfThisJvmIsKeptAndCommits() throws IOException {
        Path first = dir.resolve("first.arrow");
        try (AtomicOutput a = AtomicOutput.create(first)) {
            a.channel().write(ByteBuffer.wrap(new byte[] {1, 2}));
            try (AtomicOutput b = AtomicOutput.create(dir.resolve("second.arrow"))) {
                assertTrue(Files.exists(a.temp()), "a live output of the same process is not swept");
                b.commit();
            }
            a.commit();
        }
        assertEquals(2, Files.size(first));
        assertEquals(List.of(first, dir.resolve("second.arrow")), entries());
    }

    @Test
    void aKillMinus9LeavesATemporaryFileTheNextRunRemoves() throws Exception {
        Process child = new ProcessBuilder(ChildJvm.command(TempFileHolder.class, dir.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Path temp;
        try {
            temp = awaitTemp(child);
        } finally {
            child.destroyForcibly(); // SIGKILL: no hook runs
            child.waitFor(60, TimeUnit.SECONDS);
        }
        assertTrue(Files.exists(temp), "kill -9 leaves the temporary file (nothing can run then)");
        try (AtomicOutput next = AtomicOutput.create(dir.resolve("next.arrow"))) {
            assertFalse(Files.exists(temp), "the next output in the folder removed it");
        }
        assertEquals(List.of(), entries());
    }

    /**
     * A real writer in another PID namespace (as in a container sharing the folder), with a pid that
     * is no process on the host: its temporary file is kept while it runs. Needs root for
     * {@code unshare --pid}; skipped with one line elsewhere.
     */
    @Test
    void aWriterInAnotherPidNamespaceIsKept() throws Exception {
        assumeTrue(runs("unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "true"),
                "skipped: unshare --pid is not permitted here (needs root)");
        long pid = pidUnusedOnTheHost();
        List<String> command = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                "sh", "-c", "echo $1 > /proc/sys/kernel/ns_last_pid; shift; \"$@\"; exit $?", "sh", Long.toString(pid - 1)));
        command.addAll(ChildJvm.command(TempFileHolder.class, dir.toString()));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Path temp = awaitTemp(child);
            assertTrue(temp.getFileName().toString().contains(".numarrow-" + pid + "-"),
                    "the writer's pid in its namespace is " + pid + ": " + temp);
            assertTrue(ProcessHandle.of(pid).isEmpty(), "pid " + pid + " is no process on the host");
            try (AtomicOutput out = AtomicOutput.create(dir.resolve("other.arrow"))) {
                assertTrue(Files.exists(temp), "the live writer's file is kept");
            }
            child.getOutputStream().close(); // the holder closes its output and exits
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the writer did not stop");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(List.of(), entries(), "the writer removed its own file on close");
    }

    /** A pid the host does not use now, away from the low ones the kernel and init take. */
    private static long pidUnusedOnTheHost() throws IOException {
        // read whole: a sysctl file read from an offset past 0, as Files.readString does, gives nothing more
        long max = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/kernel/pid_max")).get(0).strip());
        for (long pid = Math.min(max - 1, 30_000); pid > 300; pid -= 97) {
            if (ProcessHandle.of(pid).isEmpty()) {
                return pid;
            }
        }
        throw new IllegalStateException("every pid tried is in use");
    }

    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Holds {@code file}'s flock lock in another process (flock(1)) until {@link #release}. */
    static Process holdLock(Path file) throws IOException {
        assumeTrue(runs("flock", "--version"), "skipped: flock(1) is not installed");
        Process p = new ProcessBuilder("flock", file.toString(), "-c", "echo locked; exec cat")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals("locked", ChildJvm.awaitLine(p, "locked"), "flock(1) took the lock");
        return p;
    }

    static void release(Process holder) throws Exception {
        holder.getOutputStream().close();
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS), "flock(1) did not let go");
    }

    /** Reads the holder's "temp PATH" line. */
    private static Path awaitTemp(Process child) throws IOException {
        String line = ChildJvm.awaitLine(child, "temp ");
        assertTrue(line != null, "the holder did not start");
        Path temp = Path.of(line.substring(5));
        assertTrue(Files.exists(temp));
        return temp;
    }

    @Test
    void aFullDiskIsNamed() {
        try (AtomicOutput out = AtomicOutput.create(dir.resolve("out.arrow"))) {
            String message = out.writeFailure(new IOException("No space left on device")).getMessage();
            assertTrue(message.contains("no space left on device"), message);
            assertTrue(message.contains("out.arrow"), message);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalDeletesTheTemporaryFile(String signal) throws Exception {
        assumeFalse(ChildJvm.ignoresSignal(signal), "skipped: this process ignores SIG" + signal + " (a background job), so its child would too");
        Process child = new ProcessBuilder(ChildJvm.command(TempFileHolder.class, dir.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Path temp;
        try {
            temp = awaitTemp(child);
            assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(child.pid())).start().waitFor());
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the holder did not stop on SIG" + signal);
        } finally {
            child.destroyForcibly();
        }
        assertFalse(Files.exists(temp), "SIG" + signal + " left " + temp);
        assertEquals(List.of(), entries());
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
