package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.numarrow.MatrixFiles;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold JVM and a warm one write the same bytes: {@code numarrow compute} in fresh child JVMs (the first
 * batches run before C2 has compiled anything: on the scalar bridge, or with the warm-up turned off on
 * interpreted and C1-compiled vector kernels) against the same job in this JVM once its kernels are warm.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ColdWarmOutputTest {
    @TempDir
    Path dir;

    @Test
    void coldAndWarmMatmulRunsWriteIdenticalFiles() throws Exception {
        coldAndWarmRunsWriteIdenticalFiles(Ops.MATMUL);
    }

    /** Softmax's sum order follows docs/reproducibility.md, so the JIT tier changes no bit. */
    @Test
    void coldAndWarmMatmulSoftmaxRunsWriteIdenticalFiles() throws Exception {
        coldAndWarmRunsWriteIdenticalFiles(Ops.MATMUL_SOFTMAX);
    }

    /**
     * A model with intercepts, scored with its classes: the bias added in the tile (prepared with the
     * weights) and the argmax change no bit between a cold JVM and a warm one either.
     */
    @Test
    void coldAndWarmScoringWithBiasWriteIdenticalFiles() throws Exception {
        float[] b = new float[256];
        for (int j = 0; j < b.length; j++) {
            b[j] = (j % 13) / 4f - 1.5f;
        }
        coldAndWarmRunsWriteIdenticalFiles(Ops.MATMUL_SOFTMAX_ARGMAX, MatrixFiles.writeNpy(dir.resolve("b.npy"), "(256,)", b));
    }

    private void coldAndWarmRunsWriteIdenticalFiles(Ops job) throws Exception {
        coldAndWarmRunsWriteIdenticalFiles(job, null);
    }

    private void coldAndWarmRunsWriteIdenticalFiles(Ops job, Path bias) throws Exception {
        Path input = dir.resolve("batch.arrow");
        Path weights = dir.resolve("weights.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            // 256 columns as the job benchmark has; 4001 rows a batch end on a 5-row masked tile half the
            // time; every 97th row null
            SyntheticData.writeFeatures(input, allocator, 3 * 4001, 256, 3, 97, 11);
            SyntheticData.writeWeights(weights, allocator, 256, 256, 12);
        }
        List<String> biasArgs = bias == null ? List.of() : List.of("--bias", bias.toString());
        Path coldBridge = dir.resolve("cold-bridge.arrow");
        Path coldNoWarmup = dir.resolve("cold-no-warmup.arrow");
        runChild(List.of("-Dnumarrow.warmup=true"), job, input, weights, biasArgs, coldBridge);
        runChild(List.of("-Dnumarrow.warmup=false"), job, input, weights, biasArgs, coldNoWarmup);

        Path warm = dir.resolve("warm.arrow");
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ParallelOps ops = new ParallelOps(pool);
            awaitWarm(ops);
            ComputeJob.Spec spec = new ComputeJob.Spec(input, weights, warm, "features", job, "output").withBias(bias);
            ComputeJob.run(spec, ops, allocator); // once more, so that every kernel has run warm
            Files.delete(warm);
            ComputeJob.run(spec, ops, allocator);
        }
        assertSameBytes(warm, coldBridge, "cold JVM (scalar bridge first)");
        assertSameBytes(warm, coldNoWarmup, "cold JVM without warm-up (vector kernels interpreted first)");
    }

    private static void awaitWarm(ParallelOps ops) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (ops.warmupNanos() < 0) {
            if (System.nanoTime() > deadline) {
                fail("the kernel warm-up did not finish in 120 s");
            }
            Thread.sleep(10);
        }
    }

    private static void runChild(List<String> props, Ops job, Path input, Path weights, List<String> more, Path output)
            throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")
                    && !arg.startsWith("-Dnumarrow.warmup")) {
                command.add(arg);
            }
        }
        command.addAll(props);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.numarrow.cli.Main", "compute",
                "--input", input.toString(), "--weights", weights.toString(), "--output", output.toString(),
                "--ops", job.toString(), "--threads", "2", "--quiet"));
        command.addAll(more);
        Path log = Files.createTempFile("numarrow-cold-run", ".log");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean finished = child.waitFor(100, TimeUnit.SECONDS);
            if (!finished) {
                child.destroyForcibly().waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(finished, "cold compute did not finish:\n" + out);
            assertEquals(0, child.exitValue(), "cold compute failed:\n" + out);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void assertSameBytes(Path expected, Path actual, String what) throws Exception {
        byte[] e = Files.readAllBytes(expected);
        byte[] a = Files.readAllBytes(actual);
        int at = Arrays.mismatch(e, a);
        if (at >= 0) {
            fail(what + " wrote " + a.length + " bytes, the warm run " + e.length + "; first difference at byte " + at);
        }
    }
}
