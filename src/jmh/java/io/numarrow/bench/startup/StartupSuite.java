package io.numarrow.bench.startup;

import io.numarrow.Settings;
import io.numarrow.bench.Median;
import io.numarrow.compute.SyntheticData;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * {@code ./numarrow bench --suite startup}: what a fresh JVM gets done at first, each run in a JVM of its
 * own, numarrow and its baseline alternating, medians of the runs:
 * <ul>
 *   <li>the work {@code ParallelOps.matmul} does on 8192×256·256×256 in its first second against what
 *       OpenBLAS does in its first second ({@link FirstSecondProbe}), and numarrow without jvm.flags'
 *       compile policy ("numarrow-cold": the kernels run boxed until the JIT's default counts);</li>
 *   <li>the wall time of {@code ./numarrow compute} on one 4000-row batch (256 → 256, matmul and softmax),
 *       JVM start and launcher included, against {@code ./numarrow --version} (the launcher and a JVM
 *       that does nothing).</li>
 * </ul>
 */
public final class StartupSuite {
    static final int M = 8192;
    static final int N = 256;
    static final int K = 256;

    private StartupSuite() {
    }

    /** Runs the suite {@code runs} times per side; returns the exit status. */
    public static int run(int runs) throws Exception {
        if (!Settings.HOME.isSet()) {
            System.err.println("numarrow bench: the startup suite runs ./numarrow; start it through the launcher");
            return 2;
        }
        Map<String, List<Map<String, String>>> probes = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            for (String impl : List.of("numarrow", "numarrow-cold", "openblas")) {
                Map<String, String> line = probe(impl);
                System.err.println("  run " + (r + 1) + " " + impl + ": " + line);
                probes.computeIfAbsent(impl, x -> new ArrayList<>()).add(line);
            }
        }
        Path data = Files.createTempDirectory("numarrow-startup");
        try {
            double[] compute = new double[runs];
            double[] floor = new double[runs];
            Path x = data.resolve("batch.arrow");
            Path w = data.resolve("weights.arrow");
            try (BufferAllocator allocator = new RootAllocator()) {
                SyntheticData.writeFeatures(x, allocator, 4000, 256, 1, 97, 42);
                SyntheticData.writeWeights(w, allocator, 256, 256, 43);
            }
            String launcher = Settings.home().resolve("numarrow").toString();
            for (int r = 0; r < runs; r++) {
                Path out = data.resolve("out-" + r + ".arrow");
                compute[r] = wallSeconds(List.of(launcher, "compute", "--input", x.toString(), "--weights", w.toString(),
                        "--output", out.toString(), "--quiet"));
                floor[r] = wallSeconds(List.of(launcher, "--version"));
                System.err.printf(Locale.ROOT, "  run %d: compute 4000 rows %.3f s, --version %.3f s%n", r + 1, compute[r], floor[r]);
            }
            print(probes, compute, floor);
        } finally {
            try (var files = Files.walk(data)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private static void print(Map<String, List<Map<String, String>>> probes, double[] compute, double[] floor) {
        System.out.println();
        System.out.printf("%-9s %14s %14s %12s %12s %12s %10s%n", "impl", "first-s GFLOP", "start->call ms",
                "1st call ms", "best GFLOPS", "0.8x at ms", "warmup ms");
        for (var e : probes.entrySet()) {
            System.out.printf(Locale.ROOT, "%-9s %14.1f %14.0f %12.1f %12.1f %12.0f %10.0f%n", e.getKey(),
                    median(e.getValue(), "firstSecondGflop"), median(e.getValue(), "startToFirstCallMs"),
                    median(e.getValue(), "firstCallMs"), median(e.getValue(), "bestGflops"),
                    median(e.getValue(), "reach08Ms"), median(e.getValue(), "warmupMs"));
        }
        double mine = median(probes.get("numarrow"), "firstSecondGflop");
        double theirs = median(probes.get("openblas"), "firstSecondGflop");
        double cold = median(probes.get("numarrow-cold"), "firstSecondGflop");
        System.out.printf(Locale.ROOT, "%nfirst-second work %dx%d·%dx%d, numarrow / OpenBLAS: %.2f× (target ≥ 0.8×); "
                + "without the compile policy %.2f×%n", M, K, K, N, mine / theirs, cold / theirs);
        System.out.printf(Locale.ROOT, "compute, 1 batch of 4000×256→256 with JVM start: median %.3f s (target ≤ 0.6 s); "
                + "./numarrow --version: %.3f s%n", median(compute), median(floor));
        System.out.println("(medians of " + compute.length + " runs, each in a fresh JVM; cpus="
                + Runtime.getRuntime().availableProcessors() + ")");
    }

    /** One {@link FirstSecondProbe} in a fresh JVM with this JVM's flags. */
    private static Map<String, String> probe(String impl) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // numarrow-cold: without jvm.flags' compile policy, the kernels compile as the JIT's defaults have it
            if (!(impl.equals("numarrow-cold") && arg.startsWith("-XX:CompileCommand="))) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FirstSecondProbe.class.getName(),
                impl.replace("-cold", ""),
                String.valueOf(M), String.valueOf(N), String.valueOf(K)));
        String out = runForOutput(command);
        String line = out.lines().filter(l -> l.startsWith("impl=")).findFirst()
                .orElseThrow(() -> new IllegalStateException(impl + " probe printed no result:\n" + out));
        Map<String, String> values = new LinkedHashMap<>();
        for (String kv : line.split(" ")) {
            int eq = kv.indexOf('=');
            values.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        out.lines().filter(l -> l.startsWith("openblas core=")).findFirst().ifPresent(l -> values.put("baseline", l));
        return values;
    }

    private static double wallSeconds(List<String> command) throws Exception {
        long start = System.nanoTime();
        runForOutput(command);
        return (System.nanoTime() - start) / 1e9;
    }

    private static String runForOutput(List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("numarrow-startup", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("failed (" + p.exitValue() + "): " + String.join(" ", command) + "\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static double median(List<Map<String, String>> runs, String key) {
        return median(runs.stream().mapToDouble(r -> Double.parseDouble(r.get(key))).toArray());
    }

    private static double median(double[] values) {
        return Median.of(values);
    }
}
