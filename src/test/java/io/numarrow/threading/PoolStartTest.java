package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import io.numarrow.numa.CpuTopology;
import io.numarrow.numa.LinuxSched;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pool's start costs a fresh JVM: a default pool (workers not pinned, not placed by node) links no
 * native call, since linking one spins classes of its own at a JVM's start (docs/performance.md, issue 29,
 * session 12); a pinned pool still pins. Each in a JVM of its own, whose class loading shows what was linked.
 */
class PoolStartTest {
    @TempDir
    Path dir;

    @Test
    void aDefaultPoolLinksNoNativeCall() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/proc/thread-self/status")), "Linux with /proc/thread-self");
        List<String> out = runProbe();
        String done = marker(out);
        assertTrue(done.contains("pinned=0"), done);
        List<String> linked = out.stream().filter(l -> l.contains("DowncallStub") || l.contains("LinuxSched$")).toList();
        assertEquals(List.of(), linked, "native calls linked by a default pool's start");
    }

    @Test
    void aPinnedPoolStillPinsEveryWorker() throws Exception {
        Assumptions.assumeTrue(LinuxSched.isAvailable(), "sched_setaffinity");
        List<String> out = runProbe("pinned");
        String done = marker(out);
        int workers = CpuTopology.detect().defaultWorkerCount();
        assertTrue(done.contains("tasks=" + workers + " pinned=" + workers), done);
    }

    private static String marker(List<String> out) {
        String done = out.stream().filter(l -> l.startsWith(PoolStartProbe.DONE)).findFirst().orElse(null);
        assertNotNull(done, "the probe did not finish:\n" + String.join("\n", out));
        return done;
    }

    private List<String> runProbe(String... args) throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(PoolStartProbe.class, args));
        command.add(1, "-Xlog:class+load=info");
        Path log = dir.resolve("probe.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe did not finish");
        List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join("\n", out));
        return out;
    }
}
