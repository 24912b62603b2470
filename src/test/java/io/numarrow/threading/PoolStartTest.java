package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import io.numarrow.numa.CpuTopology;
import io.numarrow.numa.LinuxSched;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        return ChildJvm.runLoggingClassLoads(dir.resolve("probe.log"), PoolStartProbe.class, args);
    }
}
