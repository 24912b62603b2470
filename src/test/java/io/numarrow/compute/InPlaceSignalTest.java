package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.numarrow.ChildJvm;
import io.numarrow.JobInputs;
import io.numarrow.io.AtomicOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 25: a job stopped while its output is mapped and half computed in place (the child has
 * finished its first batch in the file and waits, {@link InPlaceJobHolder}). SIGTERM and SIGINT
 * leave nothing, no temporary file either; {@code kill -9} leaves no output, and the temporary
 * file it leaves is removed by the next output made in the folder.
 */
@Timeout(180)
class InPlaceSignalTest {
    @TempDir
    static Path inputs;
    static JobInputs in;

    @TempDir
    Path dir;

    @BeforeAll
    static void writeInputs() {
        in = JobInputs.write(inputs, 4 * 4001, 64, 32, 4, 97);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT"})
    void aSignalMidJobLeavesNothing(String signal) throws Exception {
        assumeFalse(ChildJvm.ignoresSignal(signal), "skipped: this process ignores SIG" + signal + " (a background job), so its child would too");
        Process child = startPaused();
        try {
            assertEquals(1, temps().size(), "the mapped temporary file is there while the job runs");
            assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(child.pid())).start().waitFor());
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the job did not stop on SIG" + signal);
        } finally {
            child.destroyForcibly();
        }
        assertEquals(List.of(), entries(), "SIG" + signal + " left something");
    }

    @Test
    void aKillMinus9LeavesNoOutputAndATemporaryFileTheNextRunRemoves() throws Exception {
        Process child = startPaused();
        try {
            child.destroyForcibly(); // SIGKILL: no hook runs
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        assertFalse(Files.exists(dir.resolve("out.arrow")), "no output appears");
        List<Path> left = temps();
        assertEquals(1, left.size(), "kill -9 leaves the temporary file (nothing can run then)");
        try (AtomicOutput next = AtomicOutput.create(dir.resolve("next.arrow"))) {
            assertFalse(Files.exists(left.get(0)), "the next output in the folder removed it");
        }
        assertEquals(List.of(), entries());
    }

    private Process startPaused() throws Exception {
        Process child = new ProcessBuilder(ChildJvm.command(InPlaceJobHolder.class, in.x().toString(), in.w().toString(),
                dir.resolve("out.arrow").toString())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertNotNull(ChildJvm.awaitLine(child, "paused"), "the job did not reach its first batch");
        return child;
    }

    private List<Path> temps() throws Exception {
        return entries().stream().filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
    }

    private List<Path> entries() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
