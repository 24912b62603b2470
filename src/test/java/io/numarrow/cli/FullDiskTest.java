package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.numarrow.ChildJvm;
import io.numarrow.JobInputs;
import io.numarrow.SmallDisk;
import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.Ops;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 27 item 5: a disk that fills up under the output, here a 20 MB tmpfs (mounting one needs
 * root; skipped with one line elsewhere). The run fails with exit 1 and one line saying so, leaves
 * nothing on the disk, and frees every buffer it allocated: the in-process runs close their
 * allocator, which throws on Arrow's leak report.
 */
@Timeout(300)
class FullDiskTest {
    @TempDir
    static Path inputs;
    static JobInputs in;

    @TempDir
    Path dir;
    Path disk;
    boolean mounted;

    @BeforeEach
    void mountASmallDisk() throws Exception {
        disk = Files.createDirectory(dir.resolve("disk"));
        mounted = SmallDisk.mount(disk);
        assumeTrue(mounted, "skipped: cannot mount a 20 MB tmpfs here (needs root)");
        if (in == null) {
            // 100k rows of 64 features, kept beside a 64-wide output: about 55 MB to write
            in = JobInputs.write(inputs, 100_000, 64, 64, 25, 0);
        }
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            assertTrue(SmallDisk.unmount(disk), "umount " + disk);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"out.arrow", "out.parquet"})
    void theCommandSaysSoInOneLineAndLeavesNothing(String name) throws Exception {
        Path err = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(ChildJvm.command(Main.class, "compute", "--input", in.x().toString(), "--weights",
                in.w().toString(), "--output", disk.resolve(name).toString(), "--quiet"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "compute did not finish");
        List<String> lines = Files.readAllLines(err).stream().filter(l -> !l.isBlank() && !testClassPathNoise(l)).toList();
        assertEquals(1, p.exitValue(), String.join("\n", lines));
        assertEquals(1, lines.size(), "one line, no leak report or allocator dump:\n" + String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("numarrow: " + disk.resolve(name)
                + ": cannot write the output: no space left on device (nothing was left behind)"), lines.get(0));
        assertEquals(List.of(), entries(), "nothing left on the full disk");
    }

    @ParameterizedTest
    @ValueSource(strings = {"out.arrow", "out.parquet"})
    void theJobFreesEverythingItAllocated(String name) throws Exception {
        try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            for (int run = 0; run < 3; run++) { // the failure meets the other stages at a different point each time
                try (BufferAllocator allocator = new RootAllocator()) { // its close throws on a leak
                    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ComputeJob.run(
                            new ComputeJob.Spec(in.x(), in.w(), disk.resolve(name), "features", Ops.MATMUL_SOFTMAX, "output"),
                            new ParallelOps(pool), allocator));
                    assertTrue(e.getMessage().contains("no space left on device"), e.getMessage());
                }
                assertEquals(List.of(), entries(), "nothing left on the full disk");
                assertFalse(Files.exists(disk.resolve(name)));
            }
        }
    }

    /**
     * What a JVM on the test class path prints before numarrow runs: the incubator module's start-up
     * warning and SLF4J's note on the two providers there (the CLI's own class path has one).
     */
    private static boolean testClassPathNoise(String line) {
        return line.startsWith("WARNING: Using incubator modules") || line.startsWith("SLF4J(");
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(disk)) {
            return s.toList();
        }
    }
}
