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
 * Every way a JVM can run the kernels writes the same bytes: {@code numarrow compute} in fresh child JVMs
 * with jvm.flags' compile policy (the kernels compiled before the first batch), without it (the first
 * batches run boxed in the interpreter and C1, C2 later), C1 alone and the interpreter alone, against the
 * same job in this JVM once its kernels are warm (docs/reproducibility.md).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
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

    /**
     * The interpreter alone (a hundred times slower, hence a smaller job: 40 columns end on a masked
     * panel, 301 rows on a 1-row edge) and C1 alone, against this JVM.
     */
    @Test
    void interpreterAndC1AloneWriteTheSameFile() throws Exception {
        Path input = dir.resolve("small.arrow");
        Path weights = dir.resolve("small-weights.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(input, allocator, 2 * 301, 40, 2, 13, 21);
            SyntheticData.writeWeights(weights, allocator, 40, 40, 22);
        }
        Path warm = warmRun(Ops.MATMUL_SOFTMAX, input, weights, null);
        Path interpreted = dir.resolve("xint.arrow");
        Path c1 = dir.resolve("c1.arrow");
        runChild(List.of("-Xint"), true, Ops.MATMUL_SOFTMAX, input, weights, List.of(), interpreted);
        runChild(List.of("-XX:TieredStopAtLevel=1"), true, Ops.MATMUL_SOFTMAX, input, weights, List.of(), c1);
        assertSameBytes(warm, interpreted, "-Xint");
        assertSameBytes(warm, c1, "-XX:TieredStopAtLevel=1");
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
        Path compiledFirst = dir.resolve("compiled-first.arrow");
        Path boxedFirst = dir.resolve("boxed-first.arrow");
        Path c1Only = dir.resolve("c1-only.arrow");
        List<String> biasArgs = bias == null ? List.of() : List.of("--bias", bias.toString());
        runChild(List.of(), true, job, input, weights, biasArgs, compiledFirst);
        runChild(List.of(), false, job, input, weights, biasArgs, boxedFirst);
        runChild(List.of("-XX:TieredStopAtLevel=1"), true, job, input, weights, biasArgs, c1Only);
        Path warm = warmRun(job, input, weights, bias);
        assertSameBytes(warm, compiledFirst, "cold JVM, kernels compiled before the first batch");
        assertSameBytes(warm, boxedFirst, "cold JVM without the compile policy (first batches boxed)");
        assertSameBytes(warm, c1Only, "C1 alone");
    }

    /** The job twice in this JVM (so that every kernel has run warm); the second run's file. */
    private Path warmRun(Ops job, Path input, Path weights, Path bias) throws Exception {
        Path warm = dir.resolve("warm-" + input.getFileName());
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ParallelOps ops = new ParallelOps(pool);
            ComputeJob.Spec spec = new ComputeJob.Spec(input, weights, warm, "features", job, "output").withBias(bias);
            ComputeJob.run(spec, ops, allocator);
            Files.delete(warm);
            ComputeJob.run(spec, ops, allocator);
        }
        return warm;
    }

    /** {@code compute} in a child JVM with this JVM's flags plus {@code extra}; {@code policy} false drops the compile policy. */
    private static void runChild(List<String> extra, boolean policy, Ops job, Path input, Path weights, List<String> more,
                                 Path output) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")
                    && (policy || !arg.startsWith("-XX:CompileCommand="))) {
                command.add(arg);
            }
        }
        command.addAll(extra);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.numarrow.cli.Main", "compute",
                "--input", input.toString(), "--weights", weights.toString(), "--output", output.toString(),
                "--ops", job.toString(), "--threads", "2", "--quiet"));
        command.addAll(more);
        Path log = Files.createTempFile("numarrow-cold-run", ".log");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean finished = child.waitFor(150, TimeUnit.SECONDS);
            if (!finished) {
                child.destroyForcibly().waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(finished, "cold compute " + extra + " did not finish:\n" + out);
            assertEquals(0, child.exitValue(), "cold compute " + extra + " failed:\n" + out);
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
