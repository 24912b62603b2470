package io.numarrow.bench.job;

import io.numarrow.Settings;
import io.numarrow.bench.Median;
import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * {@code numarrow bench --suite job}: the whole {@code compute} command, each run a fresh JVM
 * through the launcher, against a numpy script of the same job ({@code tools/baselines/numpy_job.py})
 * on the same numbers, in the same run. Wall time is the median of {@code runs}; peak RSS comes
 * from {@code /usr/bin/time} where it is installed. Then, for the 400k shape, the warm figure
 * ({@link WarmJob}: {@code ComputeJob.run} five times in this JVM) against the same numpy wall.
 */
public final class JobBench {
    /** A job shape: rows × d → h, in batches of 4000 rows. */
    record Shape(String name, int rows, int d, int h, int batches) {
    }

    static final List<Shape> SHAPES = List.of(new Shape("400k", 400_000, 256, 256, 100), new Shape("4k", 4_000, 256, 256, 1));

    /** One way of running the job: a command line and what it writes. */
    record Variant(String impl, String writes, List<String> command, Map<String, String> env) {
    }

    record Run(double seconds, long peakRssKb, boolean ok) {
    }

    private final Path home;
    private final int runs;
    private final Path work;
    /** Parts to run, matched against "SHAPE IMPL" ("400k numarrow --drop-input", "400k warm"); null: all. */
    private final Pattern filter;

    JobBench(Path home, int runs, Path work, Pattern filter) {
        this.home = home;
        this.runs = runs;
        this.work = work;
        this.filter = filter;
    }

    /** @param filter a regular expression found in the names of the parts to run ("400k warm"), or null for all */
    public static int run(int runs, String filter) throws Exception {
        Path home = Settings.home();
        Path work = Files.createTempDirectory("numarrow-job-bench");
        try {
            return new JobBench(home, runs, work, filter == null ? null : Pattern.compile(filter)).runAll();
        } finally {
            deleteTree(work);
        }
    }

    int runAll() throws Exception {
        System.out.println("job benchmark: numarrow compute --ops matmul,softmax in a fresh JVM per run (launcher included), "
                + runs + " runs each, median wall; cpus=" + Runtime.getRuntime().availableProcessors()
                + "; OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for numpy"
                + (filter == null ? "" : "; only the parts matching '" + filter.pattern() + "'"));
        String numpy = numpyVersion();
        if (numpy == null) {
            System.out.println("numpy baseline skipped: python3 with numpy not found (Debian: apt-get install python3-numpy)");
        }
        boolean time = Files.isExecutable(Path.of("/usr/bin/time"));
        for (Shape shape : SHAPES) {
            boolean warm = shape.rows() >= 100_000 && selected(shape.name() + " warm");
            Path dir = work.resolve(shape.name());
            List<Variant> variants = variants(shape, dir, numpy).stream()
                    .filter(v -> selected(shape.name() + " " + v.impl())).toList();
            if (variants.isEmpty() && !warm) {
                continue;
            }
            Files.createDirectories(dir);
            exec(List.of(launcher(), "gen", "--out-dir", dir.toString(), "--rows", String.valueOf(shape.rows()),
                    "--dim", String.valueOf(shape.d()), "--hidden", String.valueOf(shape.h()),
                    "--batches", String.valueOf(shape.batches()), "--null-every", "0", "--quiet"), Map.of(), dir.resolve("gen.log"));
            if (numpy != null) {
                exportNpy(dir);
            }
            double numarrowMedian = Double.NaN;
            double numpyMedian = Double.NaN;
            for (Variant v : variants) {
                List<Run> results = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    results.add(timed(v, dir, time));
                }
                double[] secs = results.stream().mapToDouble(Run::seconds).sorted().toArray();
                double median = Median.of(secs);
                long rss = results.stream().mapToLong(Run::peakRssKb).max().orElse(-1);
                boolean ok = results.stream().allMatch(Run::ok);
                String written = outputSize(dir, v);
                System.out.printf(Locale.ROOT, "%-5s %-28s median %7.3f s  (min %.3f, max %.3f)  peak RSS %s  writes %s (%s)%s%n",
                        shape.name(), v.impl(), median, secs[0], secs[secs.length - 1],
                        rss < 0 ? "n/a" : (rss / 1024) + " MB", written, v.writes(), ok ? "" : "  FAILED (see its log)");
                if (v.impl().equals("numarrow")) {
                    numarrowMedian = median;
                } else if (v.impl().startsWith("numpy")) {
                    numpyMedian = median;
                }
            }
            if (!Double.isNaN(numpyMedian) && !Double.isNaN(numarrowMedian)) {
                System.out.printf(Locale.ROOT, "%-5s ratio numarrow wall / numpy wall: %.2f× (below 1 = numarrow faster)%n",
                        shape.name(), numarrowMedian / numpyMedian);
            }
            if (warm) {
                warm(dir, shape, numpy, numpyMedian);
            }
            deleteTree(dir);
        }
        return 0;
    }

    private boolean selected(String part) {
        return filter == null || filter.matcher(part).find();
    }

    private List<Variant> variants(Shape shape, Path dir, String numpy) {
        List<Variant> variants = new ArrayList<>();
        List<String> compute = List.of(launcher(), "compute", "--input", dir.resolve("batch.arrow").toString(),
                "--weights", dir.resolve("weights.arrow").toString(), "--output", dir.resolve("out.arrow").toString(),
                "--ops", "matmul,softmax", "--quiet");
        variants.add(new Variant("numarrow", "input columns + output", compute, Map.of()));
        List<String> dropInput = new ArrayList<>(compute);
        dropInput.add("--drop-input");
        variants.add(new Variant("numarrow --drop-input", "output only", dropInput, Map.of()));
        if (shape.rows() >= 100_000) {
            variants.add(new Variant("numarrow -Xmx128m", "input columns + output", compute,
                    Map.of("NUMARROW_JAVA_OPTS", "-Xmx128m")));
        }
        if (numpy != null) {
            variants.add(numpyVariant(dir, numpy));
        }
        return variants;
    }

    private Variant numpyVariant(Path dir, String numpy) {
        return new Variant("numpy " + numpy, "output only (.npy)", List.of("python3",
                home.resolve("tools/baselines/numpy_job.py").toString(), dir.resolve("x.npy").toString(),
                dir.resolve("w.npy").toString(), dir.resolve("out.npy").toString(), "--chunk", "4000"), Map.of());
    }

    /**
     * The warm figure: {@link WarmJob} in this JVM against the numpy script's fresh-process wall in
     * the same run ({@code numpyMedian}, or measured here when the numpy part was filtered out).
     */
    private void warm(Path dir, Shape shape, String numpy, double numpyMedian) throws Exception {
        WarmJob.Figures f = WarmJob.measure(dir);
        System.out.printf(Locale.ROOT, "%-5s numarrow warm, ComputeJob.run ×%d in this JVM, median of runs 3-%d (min-max):"
                        + " input kept %s; --drop-input %s; the kernels alone over the same rows %s%n",
                shape.name(), WarmJob.RUNS, WarmJob.RUNS, f.kept().range(), f.dropped().range(), f.kernels().range());
        System.out.printf(Locale.ROOT, "%-5s   4th run, input kept: %s%n", shape.name(), WarmJob.stages(f.kept().fourth()));
        System.out.printf(Locale.ROOT, "%-5s   4th run, --drop-input: %s%n", shape.name(), WarmJob.stages(f.dropped().fourth()));
        if (Double.isNaN(numpyMedian) && numpy != null) {
            Variant v = numpyVariant(dir, numpy);
            double[] secs = new double[Math.max(3, runs)];
            for (int i = 0; i < secs.length; i++) {
                secs[i] = timed(v, dir, false).seconds();
            }
            Arrays.sort(secs);
            numpyMedian = Median.of(secs);
            System.out.printf(Locale.ROOT, "%-5s %-28s median %7.3f s  (min %.3f, max %.3f), after the warm runs%n",
                    shape.name(), v.impl(), numpyMedian, secs[0], secs[secs.length - 1]);
        }
        System.out.printf(Locale.ROOT, "%-5s warm ratios: kept / numpy %s (issue 25's target ≤ 0.50×); kept / dropped %.2f×"
                        + " (≤ 1.15×); compute of the kept runs 3-%d (median) / kernels alone %.2f× (≤ 1.20×); --drop-input's %.2f×%n",
                shape.name(),
                Double.isNaN(numpyMedian) ? "n/a (no numpy)" : String.format(Locale.ROOT, "%.2f×", f.kept().median() / numpyMedian),
                f.kept().median() / f.dropped().median(), WarmJob.RUNS, f.kept().computeMedian() / f.kernels().median(),
                f.dropped().computeMedian() / f.kernels().median());
    }

    private Run timed(Variant v, Path dir, boolean useTime) throws IOException, InterruptedException {
        Path rssFile = dir.resolve("time.out");
        List<String> cmd = new ArrayList<>();
        if (useTime) {
            cmd.addAll(List.of("/usr/bin/time", "-f", "%M", "-o", rssFile.toString()));
        }
        cmd.addAll(v.command());
        long start = System.nanoTime();
        int code = exec(cmd, v.env(), dir.resolve("run.log"));
        double seconds = (System.nanoTime() - start) / 1e9;
        long rss = -1;
        if (useTime && Files.exists(rssFile)) {
            String[] out = Files.readString(rssFile).trim().split("\\s+");
            rss = Long.parseLong(out[out.length - 1]);
        }
        if (code != 0) {
            System.out.println("  " + v.impl() + " exited " + code + ": " + tail(dir.resolve("run.log")));
        }
        return new Run(seconds, rss, code == 0);
    }

    private int exec(List<String> cmd, Map<String, String> env, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("OPENBLAS_CORETYPE");
        pb.environment().remove("OPENBLAS_L2_SIZE");
        pb.environment().putAll(env);
        return pb.start().waitFor();
    }

    private String launcher() {
        return home.resolve("numarrow").toString();
    }

    private static String outputSize(Path dir, Variant v) throws IOException {
        Path out = dir.resolve(v.impl().startsWith("numpy") ? "out.npy" : "out.arrow");
        return Files.exists(out) ? (Files.size(out) / 1_000_000) + " MB" : "nothing";
    }

    private static String tail(Path log) throws IOException {
        List<String> l = Files.readAllLines(log);
        return l.isEmpty() ? "" : l.get(l.size() - 1);
    }

    private static String numpyVersion() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy; print(numpy.__version__)")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && !out.isEmpty() ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Writes the generated features and weights as float32 .npy files: numpy reads the very same numbers. */
    private static void exportNpy(Path dir) throws IOException {
        try (BufferAllocator allocator = new RootAllocator()) {
            exportColumn(dir.resolve("batch.arrow"), "features", dir.resolve("x.npy"), allocator);
            exportColumn(dir.resolve("weights.arrow"), "weights", dir.resolve("w.npy"), allocator);
        }
    }

    private static void exportColumn(Path arrow, String column, Path npy, BufferAllocator allocator) throws IOException {
        long rows = 0;
        int width = -1;
        try (ArrowReader reader = ArrowFiles.read(arrow, allocator)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                rows += root.getRowCount();
                width = TensorColumns.floatListColumn(root, column, arrow.toString()).getListSize();
            }
        }
        try (FileChannel out = FileChannel.open(npy, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
             ArrowReader reader = ArrowFiles.read(arrow, allocator)) {
            out.write(ByteBuffer.wrap(npyHeader(rows, width)));
            while (reader.loadNextBatch()) {
                FixedSizeListVector list = TensorColumns.floatListColumn(reader.getVectorSchemaRoot(), column, arrow.toString());
                try (Tensor t = TensorColumns.view(list)) {
                    ByteBuffer bytes = t.segment().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                    while (bytes.hasRemaining()) {
                        out.write(bytes);
                    }
                }
            }
        }
    }

    /** A version 1.0 .npy header for a C-order float32 matrix, padded to 64 bytes as numpy does. */
    static byte[] npyHeader(long rows, int cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(total - unpadded) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length).put(h);
        return b.array();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
