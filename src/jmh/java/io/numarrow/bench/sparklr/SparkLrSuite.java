package io.numarrow.bench.sparklr;

import io.numarrow.JvmFlags;
import io.numarrow.bench.Median;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code ./numarrow bench --suite spark-lr}: Spark's own {@code LogisticRegressionModel.transform} against
 * numarrow's {@code NumarrowTransformer.fromModel} of the same model, on the same rows cached in a Spark
 * {@code local[2]} session, rounds rotating the order, each shape in a fresh JVM ({@link SparkLrRun}). Prints
 * rows/s of each side and their ratios: median (min-max) over the rounds. Not JMH: what is measured is
 * Spark jobs, scan to sink.
 */
public final class SparkLrSuite {
    /** rows, d, h: the shapes of issue 30. */
    static final int[][] SHAPES = {{200_000, 256, 16}, {100_000, 256, 256}};
    static final int PARTITIONS = 4;

    private SparkLrSuite() {
    }

    /**
     * @param filter a regular expression a shape's {@code ROWSxDxH} (the full-size rows) must contain to run,
     *               or null for every shape: one shape per run keeps a quiet window short
     */
    public static int run(int rounds, boolean quick, String filter, PrintStream out) throws IOException, InterruptedException {
        List<int[]> shapes = new ArrayList<>();
        for (int[] shape : SHAPES) {
            if (filter == null || Pattern.compile(filter).matcher(shape[0] + "x" + shape[1] + "x" + shape[2]).find()) {
                shapes.add(shape);
            }
        }
        if (shapes.isEmpty()) {
            System.err.println("numarrow bench: --filter '" + filter + "' matches none of the spark-lr shapes: "
                    + Arrays.stream(SHAPES).map(s -> s[0] + "x" + s[1] + "x" + s[2]).toList());
            return 2;
        }
        out.printf(Locale.ROOT, "Spark local[2], %d partitions, cached dense vectors, probability and prediction into"
                + " the noop sink; %d round%s per shape, the order rotating (median (min-max))%n", PARTITIONS, rounds,
                rounds == 1 ? "" : "s");
        out.printf(Locale.ROOT, "numarrow: NumarrowTransformer.fromModel with threads 0 (each task's batches on the"
                + " executor's pool) and threads 1 (each task on its own thread)%n");
        out.printf(Locale.ROOT, "%-22s %-28s %-28s %-22s %-28s %-22s %s%n", "rows × d → classes", "Spark LR rows/s",
                "numarrow threads 0 rows/s", "threads 0 / Spark", "numarrow threads 1 rows/s", "threads 1 / Spark",
                "max |Δp|");
        for (int[] shape : shapes) {
            int rows = quick ? shape[0] / 4 : shape[0];
            List<double[]> measured = new ArrayList<>();
            String check = runShape(rows, shape[1], shape[2], rounds, measured);
            double[] spark = measured.stream().mapToDouble(m -> m[0]).toArray();
            double[] pool = measured.stream().mapToDouble(m -> m[1]).toArray();
            double[] poolRatio = measured.stream().mapToDouble(m -> m[1] / m[0]).toArray();
            double[] ownThread = measured.stream().mapToDouble(m -> m[2]).toArray();
            double[] ownThreadRatio = measured.stream().mapToDouble(m -> m[2] / m[0]).toArray();
            out.printf(Locale.ROOT, "%-22s %-28s %-28s %-22s %-28s %-22s %s%n",
                    String.format(Locale.ROOT, "%,d × %d → %d", rows, shape[1], shape[2]),
                    spread(spark, 0), spread(pool, 0), spread(poolRatio, 2) + "×", spread(ownThread, 0),
                    spread(ownThreadRatio, 2) + "×", check);
        }
        return 0;
    }

    private static String spread(double[] values, int decimals) {
        double[] v = values.clone();
        Arrays.sort(v);
        String f = "%,." + decimals + "f";
        return String.format(Locale.ROOT, f + " (" + f + "-" + f + ")", Median.of(v), v[0], v[v.length - 1]);
    }


    /** Spark's jars, which the bench class path leaves out: the build lists them in target/spark.classpath. */
    private static String sparkClassPath() throws IOException {
        Path list = JvmFlags.repositoryRoot().resolve("target").resolve("spark.classpath");
        if (!Files.isRegularFile(list)) {
            throw new IOException(list + " is missing: build first (./numarrow build writes Spark's class path there)");
        }
        return Files.readString(list, StandardCharsets.UTF_8).strip();
    }

    /** One shape in a JVM of its own, with numarrow's flags and Spark's; fills {@code measured} with rows/s: Spark, threads 0, threads 1. */
    private static String runShape(int rows, int d, int h, int rounds, List<double[]> measured)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(JvmFlags.ofThisRepository());
        command.addAll(JvmFlags.read(JvmFlags.repositoryRoot().resolve(JvmFlags.SPARK_FILE_NAME)));
        command.addAll(List.of("-Xmx6g", "-cp", System.getProperty("java.class.path") + File.pathSeparator + sparkClassPath(),
                SparkLrRun.class.getName(),
                String.valueOf(rows), String.valueOf(d), String.valueOf(h), String.valueOf(rounds),
                String.valueOf(PARTITIONS)));
        Path log = Files.createTempFile("numarrow-spark-lr", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
            String check = "?";
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    String[] p = line.trim().split(" ");
                    if (p[0].equals("round")) {
                        measured.add(new double[] {Double.parseDouble(p[2]), Double.parseDouble(p[3]),
                                Double.parseDouble(p[4])});
                        System.err.printf(Locale.ROOT, "spark-lr %d×%d→%d: round %s: Spark %s rows/s, numarrow threads 0 %s,"
                                + " threads 1 %s (threads 1 through Spark's scan of the cache %s); the cached rows alone"
                                + " into noop %s%n", rows, d, h, p[1], p[2], p[3], p[4], p[6], p[5]);
                    } else if (p[0].equals("where")) {
                        System.err.println("spark-lr " + rows + "×" + d + "→" + h + ": " + line);
                    } else if (p[0].equals("check")) {
                        check = p[1];
                    }
                }
            }
            int exit = process.waitFor();
            if (exit != 0 || measured.size() != rounds) {
                throw new IllegalStateException("spark-lr " + rows + "×" + d + "→" + h + " exited with " + exit
                        + " after " + measured.size() + " of " + rounds + " rounds; its log:\n" + Files.readString(log));
            }
            return check;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
