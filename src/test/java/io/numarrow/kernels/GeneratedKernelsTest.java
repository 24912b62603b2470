package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated micro-kernels are what their one source, {@code tools/kernels/gen_microkernels.py}, writes
 * today: an edit to a generated file, or to the script without regenerating, fails here. CI installs
 * python3 (.ci/run), so this runs there; elsewhere it is skipped when python3 is missing.
 */
class GeneratedKernelsTest {
    private static final Path SCRIPT = Path.of("tools/kernels/gen_microkernels.py");
    private static final Path SOURCES = Path.of("src/main/java/io/numarrow/kernels");

    @Test
    void generatedKernelsAreUpToDate(@TempDir Path out) throws Exception {
        assumeTrue(Files.isRegularFile(SCRIPT), "run from the repository root");
        Process p;
        try {
            p = new ProcessBuilder("python3", SCRIPT.toString(), out.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assumeTrue(false, "python3 is not installed: " + e.getMessage());
            return;
        }
        assumeTrue(p.waitFor(60, TimeUnit.SECONDS), "generator did not finish in 60 s");
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), "generator failed: " + log);
        for (String bits : new String[]{"512", "256", "128"}) {
            String name = "MicroKernel" + bits + ".java";
            assertEquals(Files.readString(out.resolve(name)), Files.readString(SOURCES.resolve(name)),
                    name + " differs from what " + SCRIPT + " writes: edit the script and run it (see its header)");
        }
    }
}
