package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.KernelsAlone;
import io.numarrow.io.FinishTimes;
import io.numarrow.jit.KernelCompile;
import io.numarrow.threading.WorkerStats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobStatsTest {
    @Test
    void oneLinePerShareOfTheTime() {
        long now = System.nanoTime(); // the first batch now: the test's JVM may be younger than any earlier instant
        ComputeJob.Result r = new ComputeJob.Result(400_000, 100, 2_000_000_000L, Path.of("out.arrow"),
                new ComputeJob.Timings(100_000_000L, 300_000_000L, 1_500_000_000L, 400_000_000L, 50_000_000L, now));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JobStats.print(r, new KernelCompile.Result(true, true, 100, 350, 40, null), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> labels = List.of("jvm start to first batch", "kernels compiled", "jit compile time", "setup", "read",
                "compute", "write", "commit", "total", "rows/s");
        assertEquals(labels.size(), lines.size(), String.join("\n", lines));
        for (int i = 0; i < labels.size(); i++) {
            assertTrue(lines.get(i).startsWith(labels.get(i) + " "), lines.get(i));
        }
        assertTrue(lines.get(1).contains(" 0.350 s of JVM uptime (0.250 s compiling"), lines.get(1));
        assertTrue(lines.get(5).contains("1.500"), lines.get(5));
        assertTrue(lines.get(9).contains("200,000"), lines.get(9));
        double firstBatch = Double.parseDouble(lines.get(0).substring(26).trim().split(" ")[0]);
        assertTrue(firstBatch >= 0, "the first batch came after the JVM started: " + lines.get(0));
    }

    @Test
    void kernelsLeftToTheJitSayWhy() {
        ComputeJob.Result r = new ComputeJob.Result(0, 0, 1, Path.of("out.arrow"),
                new ComputeJob.Timings(0, 0, 0, 0, 0, 0));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JobStats.print(r, new KernelCompile.Result(false, false, 80, 80, 0, "-Xint: nothing is compiled"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("kernels compiled           n/a (-Xint: nothing is compiled): they compile as the job runs"), out);
        assertTrue(out.lines().findFirst().orElseThrow().contains("NaN"), "no batch, no first-batch time: " + out);
    }

    @Test
    void theKernelsAloneLineGivesEachStageAsAMultipleOfThem() {
        ComputeJob.Result r = new ComputeJob.Result(400_000, 100, 1_000_000_000L, Path.of("out.arrow"),
                new ComputeJob.Timings(100_000_000L, 50_000_000L, 600_000_000L, 200_000_000L, 240_000_000L, 1, true,
                        160_000_000L, 10_000_000L));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JobStats.printKernelsAlone(r, new KernelsAlone.Result(400_000, 100, 400_000_000L),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, lines.size(), String.join("\n", lines));
        String line = lines.getFirst();
        assertTrue(line.startsWith("kernels alone ") && line.contains(" 0.400 s (the same 400,000 rows"), line);
        assertTrue(line.contains("read 0.13×, compute 1.50×, write 0.50×, commit 0.60×, total 2.50× this"), line);
    }

    /** An output computed in place: the write line gives each piece of the batches' finishes, wall and CPU. */
    @Test
    void theInPlaceWriteLineGivesTheFinishesPiecesWallAndCpu() {
        FinishTimes pieces = new FinishTimes(110_000_000L, 100_000_000L, 126_000_000L, 116_000_000L, 43_000_000L, 34_000_000L);
        ComputeJob.Result r = new ComputeJob.Result(400_000, 100, 1_000_000_000L, Path.of("out.arrow"),
                new ComputeJob.Timings(1, 2, 3, 290_000_000L, 4, 0, true, 126_000_000L, 5_000_000L, pieces));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JobStats.print(r, null, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String write = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("write ")).findFirst()
                .orElseThrow();
        assertTrue(write.contains("   0.290 s (the pool finishing"), write);
        assertTrue(write.contains("output columns written 0.110 (0.100), input's kept columns 0.126 (0.116),"
                + " write-back started 0.043 (0.034) s; not hidden by the overlap 0.005 s"), write);
    }

    /** Input columns copied while the kernels compiled get a line of their own; none copied, no line. */
    @Test
    void theInputCopiedAheadHasALineWhenThereWasAny() {
        for (int ahead : new int[] {0, 79}) {
            FinishTimes pieces = new FinishTimes(1, 1, 2, 2, 3, 3, ahead, ahead == 0 ? 0 : 212_000_000L);
            ComputeJob.Result r = new ComputeJob.Result(400_000, 100, 1_000_000_000L, Path.of("out.arrow"),
                    new ComputeJob.Timings(1, 2, 3, 4, 5, 0, true, 2, 0, pieces));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            JobStats.print(r, null, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("input copied ahead")).toList();
            if (ahead == 0) {
                assertEquals(List.of(), lines);
            } else {
                assertEquals(1, lines.size());
                assertTrue(lines.getFirst().contains(" 0.212 s (the input's kept columns of 79 batches"), lines.getFirst());
            }
        }
    }

    @Test
    void onePerNodeLineSumsThatNodesWorkers() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<WorkerStats> workers = List.of(
                new WorkerStats(0, 0, 0, 10, 2, 0, 1),
                new WorkerStats(1, 0, 1, 5, 1, 0, 1),
                new WorkerStats(2, 3, 2, 7, 4, 1, 0));
        JobStats.printPerNode(workers, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("node 0 ") && lines.get(0).endsWith("15 tasks, 3 steals"), lines.get(0));
        assertTrue(lines.get(1).startsWith("node 3 ") && lines.get(1).endsWith("7 tasks, 4 steals"), lines.get(1));
    }

    @Test
    void aPoolWithoutNodesGetsOneWorkersLineAndNoNodeMemory() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<WorkerStats> workers = List.of(
                new WorkerStats(0, -1, -1, 10, 2, 0, 1),
                new WorkerStats(1, -1, -1, 5, 1, 0, 1));
        JobStats.printPerNode(workers, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith("workers ") && lines.get(0).contains("15 tasks, 3 steals"), lines.get(0));
        assertTrue(!lines.get(0).contains("node -1") && !lines.get(0).contains("memory unknown"), lines.get(0));
    }
}
