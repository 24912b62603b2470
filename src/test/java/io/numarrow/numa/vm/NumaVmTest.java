package io.numarrow.numa.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@link NumaGuestChecks} in QEMU guests of 2 and 4 NUMA nodes (one CPU each) through
 * {@code tools/numa-vm/run}. Skipped, with one line, where QEMU is missing (CI installs it), or
 * when {@code -Dnumarrow.vm=off}.
 */
@Timeout(value = 1000, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NumaVmTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private static final Path RUNNER = ROOT.resolve("tools/numa-vm/run");

    @BeforeAll
    static void guestAvailable() throws Exception {
        String skip = null;
        if ("off".equals(System.getProperty("numarrow.vm"))) {
            skip = "-Dnumarrow.vm=off";
        } else {
            Process check = new ProcessBuilder(RUNNER.toString(), "--check").redirectErrorStream(true).start();
            String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (check.waitFor() != 0) {
                skip = out;
            }
        }
        if (skip != null) {
            System.err.println("NUMA guest tests skipped: " + skip);
            Assumptions.abort("NUMA guest tests skipped: " + skip);
        }
    }

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {2, 4})
    void placementChecksPassInAGuestOf(int nodes) throws IOException, InterruptedException {
        Path log = Files.createTempFile("numa-vm-" + nodes, ".log");
        try {
            // The guest inherits this JVM's niceness (the brief runs the suite under nice).
            Process guest = new ProcessBuilder(RUNNER.toString(), "--nodes",
                    String.valueOf(nodes), "--mem-per-node", String.valueOf(nodes > 2 ? 512 : 768),
                    "--timeout", "480", NumaGuestChecks.class.getName())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!guest.waitFor(500, TimeUnit.SECONDS)) {
                guest.destroyForcibly();
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith("PASS") || l.startsWith("FAIL") || l.startsWith("    at ")
                            || l.startsWith("guest:") || l.startsWith("  workers") || l.startsWith("numa-vm")
                            || l.startsWith("NUMA guest") || l.startsWith("  "))
                    .toList();
            lines.forEach(l -> System.out.println("[" + nodes + " nodes] " + l));
            assertEquals(0, guest.exitValue(), "the " + nodes + "-node guest's checks: "
                    + String.join("\n", lines));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
