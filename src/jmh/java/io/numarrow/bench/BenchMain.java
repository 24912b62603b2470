package io.numarrow.bench;

import io.numarrow.JvmFlags;
import io.numarrow.bench.matmul.OpenBlas;
import io.numarrow.kernels.CpuIdentity;
import io.numarrow.kernels.FmaPeak;
import io.numarrow.kernels.Matmul;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./numarrow bench}: runs a JMH suite in which every numarrow benchmark has its baselines
 * in the same class, so they are measured in the same run, then prints each score and the
 * ratio of numarrow to each baseline (above 1 means numarrow is faster).
 */
@Command(name = "numarrow bench", mixinStandardHelpOptions = true,
        description = "JMH benchmarks of numarrow beside its baselines, measured in the same run.")
public final class BenchMain implements Callable<Integer> {
    static final List<String> SUITES = List.of("pool", "matmul", "softmax", "memory");

    @Option(names = "--suite", defaultValue = "all", description = "pool, matmul, softmax, memory or all (these four; default: ${DEFAULT-VALUE}); "
            + "job: the whole compute command against a numpy script, wall time of fresh JVMs; "
            + "startup: fresh JVMs' first second and a 1-batch compute; "
            + "onnx: numarrow against ONNX Runtime in fresh JVMs; "
            + "spark-lr: Spark's LogisticRegressionModel.transform against NumarrowTransformer.fromModel, local[2] "
            + "(these four are not JMH and not in all).")
    String suite;

    @Option(names = "--quick", description = "One fork, short warm-up and measurement: a first look, not a claim.")
    boolean quick;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw numarrow against its baselines into a PNG.")
    Path plot;

    @Option(names = "--forks", defaultValue = "1", description = "JMH forks per benchmark, without --quick (default: ${DEFAULT-VALUE}).")
    int forks;

    @Option(names = "--gc", description = "Also measure bytes allocated per operation (JMH's gc profiler).")
    boolean gc;

    @Option(names = "--filter", paramLabel = "REGEX", description = "Only benchmarks whose name matches (a JMH include regex within the suite; "
            + "for --suite job, found in 'SHAPE IMPL': '400k warm' is the warm in-process figure against numpy alone; "
            + "for spark-lr, the shapes whose ROWSxDxH, e.g. 200000x256x16, it matches).")
    String filter;

    @Option(names = "--param", paramLabel = "NAME=V1,V2", description = "Run only these values of a benchmark parameter, e.g. shape=65536x64 (JMH's -p; repeatable): one shape per quiet window.")
    List<String> params = new ArrayList<>();

    /** slf4j-simple's level, for this JVM and the JVMs it starts. */
    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    public static void main(String[] args) {
        System.setProperty(LOG_LEVEL, System.getProperty(LOG_LEVEL, "warn")); // before the first logger
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Option(names = "--runs", defaultValue = "3", description = "Fresh JVMs per variant for --suite job, startup and onnx, alternating rounds per shape for spark-lr; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() throws Exception {
        if (suite.equals("job")) {
            if (runs < 1) {
                System.err.println("numarrow bench: --runs must be at least 1");
                return 2;
            }
            return io.numarrow.bench.job.JobBench.run(runs, filter);
        }
        if (suite.equals("startup")) {
            return io.numarrow.bench.startup.StartupSuite.run(Math.max(1, runs));
        }
        if (suite.equals("onnx")) {
            if (!format.equals("table") || plot != null || gc || filter != null) {
                System.err.println("numarrow bench: --suite onnx takes only --quick (it prints a table; --format, --plot, --gc and --filter are for the JMH suites)");
                return 2;
            }
            // Whole fresh jobs, first batch included: JMH's warmed-up forks would hide what this compares.
            return io.numarrow.bench.onnx.OnnxSuite.run(quick ? 1 : Math.max(1, runs), System.out);
        }
        if (suite.equals("spark-lr")) {
            if (!format.equals("table") || plot != null || gc || runs < 1) {
                System.err.println("numarrow bench: --suite spark-lr takes only --runs N (rounds per shape, at least 1),"
                        + " --filter REGEX (shapes written ROWSxDxH, e.g. 200000x256x16) and --quick");
                return 2;
            }
            return io.numarrow.bench.sparklr.SparkLrSuite.run(quick ? 1 : runs, quick, filter, System.out);
        }
        List<String> suites = suite.equals("all") ? SUITES : List.of(suite);
        for (String s : suites) {
            if (!SUITES.contains(s)) {
                System.err.println("numarrow bench: unknown suite '" + s + "'; the suites are " + SUITES + " and all");
                return 2;
            }
        }
        if (!List.of("table", "csv", "json").contains(format)) {
            System.err.println("numarrow bench: unknown format '" + format + "'; use table, csv or json");
            return 2;
        }
        if (plot != null) {
            Path folder = plot.toAbsolutePath().getParent();
            if (folder == null || !java.nio.file.Files.isDirectory(folder)) {
                System.err.println("numarrow bench: --plot " + plot + ": folder " + folder + " does not exist");
                return 2;
            }
        }
        for (String param : params) {
            int eq = param.indexOf('=');
            if (eq <= 0 || eq == param.length() - 1) {
                System.err.println("numarrow bench: --param takes NAME=VALUE[,VALUE...], got '" + param + "'");
                return 2;
            }
        }
        String known = benchmarkList();
        for (String s : suites) {
            if (!known.contains("io.numarrow.bench." + s + ".")) {
                System.err.println("numarrow bench: no benchmarks in suite '" + s + "' in this build");
                return 2;
            }
        }
        System.err.println("OPENBLAS_CORETYPE=" + envOrUnset("OPENBLAS_CORETYPE")
                + " OPENBLAS_L2_SIZE=" + envOrUnset("OPENBLAS_L2_SIZE")
                + " cpus=" + Runtime.getRuntime().availableProcessors()
                + (quick ? " (quick: figures are indicative only)" : ""));
        double peak = suites.contains("matmul") ? printMachine() : Double.NaN;

        // Every fork gets jvm.flags (these replace any @Fork(jvmArgsAppend) of the benchmarks).
        List<String> forkFlags = forkFlags(JvmFlags.ofThisRepository(), ManagementFactory.getRuntimeMXBean().getInputArguments());
        forkFlags.add("-Xmx8g");
        forkFlags.addAll(loggingFlags());
        ChainedOptionsBuilder options = new OptionsBuilder()
                .jvmArgsAppend(forkFlags.toArray(String[]::new))
                .shouldFailOnError(true);
        for (String s : suites) {
            String within = filter == null ? "" : ".*" + filter;
            options.include("^io\\.numarrow\\.bench\\." + s + "\\." + within);
        }
        for (String param : params) {
            int eq = param.indexOf('=');
            options.param(param.substring(0, eq), param.substring(eq + 1).split(","));
        }
        if (!quick) {
            options.forks(forks);
        } else {
            // Three warm-up rounds: the matmul reaches its compiled speed about 1.2 s into a fresh JVM
            // (the JIT compiles the Vector API kernels on the same two cores), and with two rounds
            // the first measured round was still a third slower.
            options.forks(1).warmupIterations(3).warmupTime(TimeValue.milliseconds(400))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(400));
        }
        if (gc) {
            options.addProfiler(org.openjdk.jmh.profile.GCProfiler.class);
        }
        if (!format.equals("table")) {
            options.verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT);
        }
        // csv and json are for programs: JMH's own lines (and what its forks print) go to stderr
        Runner runner = format.equals("table") ? new Runner(options.build())
                : new Runner(options.build(), org.openjdk.jmh.runner.format.OutputFormatFactory.createFormatInstance(
                        System.err, org.openjdk.jmh.runner.options.VerboseMode.SILENT));
        Collection<RunResult> runs = runner.run();
        List<BenchResult> results = toResults(runs);
        switch (format) {
            case "csv" -> printCsv(results);
            case "json" -> printJson(results);
            default -> {
                printTable(results);
                printShareOfPeak(results, peak);
            }
        }
        if (plot != null) {
            System.err.println("plot: " + BenchPlot.write(results, plot));
        }
        return 0;
    }

    /**
     * The flags of {@code wanted} a fork must be given: JMH starts each fork with this JVM's own flags
     * ({@code inherited}, when no jvmArgs are set) and then the appended ones, so the launcher's jvm.flags
     * appended again would come twice on every fork's command line.
     */
    static List<String> forkFlags(List<String> wanted, List<String> inherited) {
        return new ArrayList<>(wanted.stream().filter(f -> !inherited.contains(f)).toList());
    }

    /**
     * Warnings and errors only, in this JVM and the JVMs a suite starts, so that info lines (Arrow's
     * allocator choice, the one-NUMA-node note) do not break up the figures; a {@code -D} given wins.
     */
    public static List<String> loggingFlags() {
        return List.of("-D" + LOG_LEVEL + "=" + System.getProperty(LOG_LEVEL, "warn"));
    }

    /**
     * The header a matmul figure needs: CPU model, the ISA features the kernels use, OpenBLAS's core, the
     * kernel numarrow chose, and this core's Java FMA peak, which is returned (GFLOPS per thread).
     */
    private static double printMachine() {
        CpuIdentity cpu = CpuIdentity.current();
        System.err.println("cpu: " + cpu.summary());
        System.err.println("openblas core: " + OpenBlas.coreName());
        System.err.println("numarrow matmul kernel: " + String.join("; ", Matmul.kernelChoice()));
        double peak = FmaPeak.gflopsPerThread(300_000_000L);
        System.err.printf(Locale.ROOT, "fma peak: %.1f GFLOPS per thread (%s)%n", peak, FmaPeak.describe());
        return peak;
    }

    /** Every matmul figure as GFLOPS and as a share of the FMA peak of the threads it ran on. */
    private static void printShareOfPeak(List<BenchResult> results, double peakPerThread) {
        if (!(peakPerThread > 0)) {
            return;
        }
        boolean header = false;
        for (BenchResult r : results) {
            BenchPlot.Metric metric = BenchPlot.metric(r);
            if (!r.suite().equals("matmul") || !metric.axis().startsWith("GFLOPS")) {
                continue;
            }
            if (!header) {
                System.out.printf(Locale.ROOT, "%nshare of the FMA peak (%.1f GFLOPS per thread, measured in this run):%n",
                        peakPerThread);
                header = true;
            }
            int threads = threads(r.params());
            System.out.printf(Locale.ROOT, "  %-8s %-22s %-34s %-10s %8.1f GFLOPS %5.0f%% of %d thread%s%n",
                    r.suite(), r.benchmark(), r.params(), r.impl(), metric.value(),
                    100 * metric.value() / (peakPerThread * threads), threads, threads == 1 ? "" : "s");
        }
    }

    /** The {@code threads} param of a benchmark: a number, or all CPUs for "all" or none. */
    private static int threads(String params) {
        for (String kv : params.split(";")) {
            if (kv.startsWith("threads=")) {
                String v = kv.substring("threads=".length());
                return v.equals("all") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(v);
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The list of benchmarks JMH's annotation processor wrote for this build (empty if none). */
    static String benchmarkList() throws java.io.IOException {
        try (var in = BenchMain.class.getResourceAsStream("/META-INF/BenchmarkList")) {
            return in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static String envOrUnset(String name) {
        String v = System.getenv(name);
        return v == null ? "(unset)" : v;
    }

    static List<BenchResult> toResults(Collection<RunResult> runs) {
        List<BenchResult> out = new ArrayList<>();
        for (RunResult run : runs) {
            var params = run.getParams();
            String full = params.getBenchmark();
            String[] parts = full.split("\\.");
            String method = parts[parts.length - 1];
            String suiteName = parts.length >= 5 ? parts[3] : "?";
            int cut = method.lastIndexOf('_');
            String benchmark = cut > 0 ? method.substring(0, cut) : method;
            String impl = cut > 0 ? method.substring(cut + 1) : "numarrow";
            Map<String, String> sorted = new TreeMap<>();
            for (String key : params.getParamsKeys()) {
                sorted.put(key, params.getParam(key));
            }
            if (params.getThreads() > 1) {
                sorted.put("jmhThreads", String.valueOf(params.getThreads()));
            }
            String p = sorted.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(";"));
            var primary = run.getPrimaryResult();
            var alloc = run.getSecondaryResults().get("gc.alloc.rate.norm");
            var stats = primary.getStatistics();
            out.add(new BenchResult(suiteName, benchmark, p, impl, primary.getScore(), primary.getScoreUnit(),
                    alloc == null ? Double.NaN : alloc.getScore(),
                    new BenchResult.Spread(stats.getPercentile(50), stats.getMin(), stats.getMax(), stats.getN())));
        }
        return out;
    }

    /** numarrow's speed relative to {@code baseline}: above 1 means numarrow is faster. */
    static double speedup(BenchResult numarrow, BenchResult baseline) {
        boolean higherIsBetter = numarrow.unit().endsWith("/s") || numarrow.unit().startsWith("ops/");
        return higherIsBetter ? numarrow.score() / baseline.score() : baseline.score() / numarrow.score();
    }

    private static void printTable(List<BenchResult> results) {
        System.out.println();
        boolean alloc = results.stream().anyMatch(r -> !Double.isNaN(r.allocBytesPerOp()));
        System.out.printf("%-8s %-22s %-34s %-10s %14s %-10s%s%n", "suite", "benchmark", "params", "impl", "score", "unit",
                alloc ? String.format("%12s", "alloc B/op") : "");
        for (BenchResult r : results) {
            System.out.printf(Locale.ROOT, "%-8s %-22s %-34s %-10s %14.3f %-10s%s%n",
                    r.suite(), r.benchmark(), r.params(), r.impl(), r.score(), r.unit(),
                    alloc ? String.format(Locale.ROOT, "%12.1f", r.allocBytesPerOp()) : "");
        }
        System.out.println();
        System.out.println("ratios (numarrow speed / baseline speed, measured in this run; above 1 = numarrow faster):");
        for (var group : groups(results).entrySet()) {
            BenchResult mine = group.getValue().stream().filter(r -> r.impl().equals("numarrow")).findFirst().orElse(null);
            if (mine == null) {
                continue;
            }
            for (BenchResult other : group.getValue()) {
                if (other != mine) {
                    System.out.printf(Locale.ROOT, "  %-8s %-22s %-34s vs %-10s %6.2f×%n",
                            mine.suite(), mine.benchmark(), mine.params(), other.impl(), speedup(mine, other));
                }
            }
        }
    }

    static Map<String, List<BenchResult>> groups(List<BenchResult> results) {
        Map<String, List<BenchResult>> groups = new LinkedHashMap<>();
        for (BenchResult r : results) {
            groups.computeIfAbsent(r.suite() + "|" + r.benchmark() + "|" + r.params(), k -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    private static void printCsv(List<BenchResult> results) {
        // the allocation column only with --gc: the six columns are what docs/api.md promises
        boolean alloc = results.stream().anyMatch(r -> !Double.isNaN(r.allocBytesPerOp()));
        System.out.println("suite,benchmark,params,impl,score,unit" + (alloc ? ",alloc_bytes_per_op" : ""));
        for (BenchResult r : results) {
            System.out.printf(Locale.ROOT, "%s,%s,\"%s\",%s,%.6f,%s%s%n",
                    r.suite(), r.benchmark(), r.params(), r.impl(), r.score(), r.unit(),
                    alloc ? "," + finiteOrEmpty(r.allocBytesPerOp()) : "");
        }
    }

    private static String finiteOrEmpty(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** One object per score: the csv's columns, then the iterations' median, min, max and count (tools/bench reads them). */
    private static void printJson(List<BenchResult> results) {
        String body = results.stream().map(r -> String.format(Locale.ROOT,
                        "{\"suite\":\"%s\",\"benchmark\":\"%s\",\"params\":\"%s\",\"impl\":\"%s\",\"score\":%.6f,\"unit\":\"%s\"%s%s}",
                        r.suite(), r.benchmark(), r.params(), r.impl(), r.score(), r.unit(),
                        Double.isNaN(r.allocBytesPerOp()) ? "" : ",\"alloc_bytes_per_op\":" + finiteOrEmpty(r.allocBytesPerOp()),
                        r.spread().iterations() == 0 ? "" : String.format(Locale.ROOT,
                                ",\"median\":%.6f,\"min\":%.6f,\"max\":%.6f,\"iterations\":%d",
                                r.spread().median(), r.spread().min(), r.spread().max(), r.spread().iterations())))
                .collect(Collectors.joining(",\n  ", "[\n  ", "\n]"));
        System.out.println(body);
    }
}
