package io.numarrow.bench.onnx;

import io.numarrow.JvmFlags;
import io.numarrow.bench.BenchMain;
import io.numarrow.bench.Median;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./numarrow bench --suite onnx}: numarrow's fused {@code matmulSoftmaxInto} on its pool, W
 * prepared once, against ONNX Runtime running the same MatMul+Softmax graph (W a constant initializer,
 * which it packs once), at the batch shape, each side in fresh JVMs
 * (alternating, so a noisy neighbour hits both), with the same data, threads and batch count.
 * Not JMH: what is measured is a whole fresh job, first batch included.
 */
public final class OnnxSuite {
    public static final int ROWS = 4000;
    public static final int K = 256;
    public static final int N = 256;
    public static final int BATCHES = 1000;
    public static final int THREADS = 2;

    private OnnxSuite() {
    }

    /** Figures of one fresh-JVM run of one side. */
    public record Figures(double firstMs, double first100S, double first1000S, double steadyMs) {
        /** From the end time of each batch (ns since before session or pool creation); needs 1000 batches. */
        static Figures of(long[] ends) {
            if (ends.length < 1000) {
                throw new IllegalArgumentException("need 1000 batches, got " + ends.length);
            }
            // Steady state: the median batch of the second half, when both sides are long compiled.
            int from = ends.length / 2;
            double[] perBatch = new double[ends.length - from];
            for (int b = from; b < ends.length; b++) {
                perBatch[b - from] = (ends[b] - ends[b - 1]) / 1e6;
            }
            return new Figures(ends[0] / 1e6, ends[99] / 1e9, ends[999] / 1e9, median(perBatch));
        }

        String line() {
            return String.format(Locale.ROOT, "figures %.3f %.5f %.5f %.5f", firstMs, first100S, first1000S, steadyMs);
        }

        static Figures parse(String line) {
            String[] p = line.trim().split(" ");
            return new Figures(Double.parseDouble(p[1]), Double.parseDouble(p[2]), Double.parseDouble(p[3]), Double.parseDouble(p[4]));
        }
    }

    /** Runs {@code repeats} fresh JVMs per side and prints medians, ranges and ratios. */
    public static int run(int repeats, PrintStream out) throws IOException, InterruptedException {
        List<Figures> ort = new ArrayList<>();
        List<Figures> numarrow = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            ort.add(runSide("ort"));
            numarrow.add(runSide("numarrow"));
            System.err.printf(Locale.ROOT, "onnx: run %d of %d done%n", r + 1, repeats);
        }
        out.printf(Locale.ROOT, "softmax(X·W), %d×%d→%d per batch, %d threads each side, %d fresh JVMs per side (median [min-max])%n",
                ROWS, K, N, THREADS, repeats);
        out.printf(Locale.ROOT, "%-44s %-26s %-26s %s%n", "", "ONNX Runtime", "numarrow", "numarrow/ORT rows/s");
        row(out, "first batch, session/pool creation incl. ms", ort, numarrow, Figures::firstMs, 1);
        row(out, "100 batches (" + 100 * ROWS / 1000 + "k rows) s", ort, numarrow, Figures::first100S, 3);
        row(out, "1000 batches (" + 1000 * ROWS / 1_000_000 + "M rows) s", ort, numarrow, Figures::first1000S, 3);
        row(out, "steady state ms per batch", ort, numarrow, Figures::steadyMs, 3);
        out.printf(Locale.ROOT, "%-44s %-26s %-26s%n", "steady state rows/s",
                String.format(Locale.ROOT, "%.0f", ROWS / (median(ort, Figures::steadyMs) / 1e3)),
                String.format(Locale.ROOT, "%.0f", ROWS / (median(numarrow, Figures::steadyMs) / 1e3)));
        return 0;
    }

    private static void row(PrintStream out, String label, List<Figures> ort, List<Figures> numarrow,
                            java.util.function.ToDoubleFunction<Figures> time, int decimals) {
        double o = median(ort, time);
        double n = median(numarrow, time);
        out.printf(Locale.ROOT, "%-44s %-26s %-26s %.2f×%n", label, spread(ort, time, decimals), spread(numarrow, time, decimals), o / n);
    }

    private static String spread(List<Figures> runs, java.util.function.ToDoubleFunction<Figures> time, int decimals) {
        double[] v = runs.stream().mapToDouble(time).sorted().toArray();
        String f = "%." + decimals + "f";
        return String.format(Locale.ROOT, f + " [" + f + "-" + f + "]", median(v), v[0], v[v.length - 1]);
    }

    private static double median(List<Figures> runs, java.util.function.ToDoubleFunction<Figures> time) {
        return median(runs.stream().mapToDouble(time).toArray());
    }

    private static double median(double[] values) {
        return Median.of(values);
    }

    /** One side in a JVM of its own, with numarrow's JVM flags and this JVM's class path. */
    private static Figures runSide(String side) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(JvmFlags.ofThisRepository());
        command.addAll(BenchMain.loggingFlags());
        command.addAll(List.of("-Xmx2g", "-cp", System.getProperty("java.class.path"), OnnxJobRun.class.getName(),
                side, String.valueOf(ROWS), String.valueOf(K), String.valueOf(N), String.valueOf(BATCHES), String.valueOf(THREADS)));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String figures = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("figures ")) {
                    figures = line;
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || figures == null) {
            throw new IllegalStateException("the " + side + " run exited with " + exit + (figures == null ? " and printed no figures" : ""));
        }
        return Figures.parse(figures);
    }
}
