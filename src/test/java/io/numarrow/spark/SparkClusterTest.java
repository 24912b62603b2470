package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.numarrow.JvmFlags;
import io.numarrow.compute.Ops;
import io.numarrow.compute.SyntheticData;
import io.numarrow.spark.SparkTestData.FeatureRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * numarrow on a real Spark standalone cluster: {@code examples/spark-cluster.sh} starts a Master and
 * two one-core Workers (separate JVMs, loopback only), applications go through {@code spark-submit}
 * with numarrow shipped as a jar and its JVM flags in {@code spark.executor.extraJavaOptions}.
 *
 * <p>Skipped, with the script's one line, where the cluster cannot start (no JDK 25.0.3+, no loopback
 * port); {@code NUMARROW_REQUIRE_SPARK_CLUSTER=1} (CI sets it) makes that a failure.
 */
class SparkClusterTest {
    private static final Path REPO = JvmFlags.repositoryRoot().toAbsolutePath().normalize();
    private static final Path SCRIPT = REPO.resolve("examples/spark-cluster.sh");
    private static final Path WORK = REPO.resolve("target/spark-cluster");
    private static final int D = 33;
    private static final int H = 17;
    private static final int PARTITIONS = 12;
    private static final int ROWS = PARTITIONS * 1000;
    private static final int BATCH_ROWS = 300;
    private static final int NULL_EVERY = 7;
    private static final Duration APP_LIMIT = Duration.ofMinutes(6);

    @TempDir
    static Path dir;
    private static boolean started;
    private static String master;
    private static String jars;
    private static Path appJar;
    private static SparkSession spark;
    private static List<FeatureRow> rows;
    private static float[][] w1;
    private static float[][] w2;

    @BeforeAll
    static void startCluster() throws Exception {
        Path numarrowJar = TestJars.of(REPO.resolve("target/classes"), dir.resolve("numarrow.jar"), name -> true);
        appJar = TestJars.of(REPO.resolve("target/test-classes"), dir.resolve("app.jar"),
                name -> name.startsWith("io/numarrow/spark/ClusterScoringApp"));
        Run start = Run.of(List.of(SCRIPT.toString(), "start", "--workers", "2"),
                Map.of("NUMARROW_JAR", numarrowJar.toString()), dir.resolve("start.log"), Duration.ofMinutes(5));
        if (start.exit == 3) {
            String why = start.lastLine() + " (the Spark cluster test did not run)";
            if ("1".equals(System.getenv("NUMARROW_REQUIRE_SPARK_CLUSTER"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        started = true;
        assertEquals(0, start.exit, start.output);
        master = start.value("MASTER=");
        jars = start.value("JARS=");
        assertTrue(master.matches("spark://127\\.0\\.0\\.1:\\d+"), master);
        assertEquals(numarrowJar.toString(), jars, "numarrow runs on an executor from its own jar alone");

        spark = SparkTestData.session("SparkClusterTest");
        Path arrow = dir.resolve("features.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(arrow, allocator, ROWS, D, 6, NULL_EVERY, 5);
            SyntheticData.writeWeights(dir.resolve("weights.arrow"), allocator, D, H, 11);
            SyntheticData.writeWeights(dir.resolve("weights-v2.arrow"), allocator, D, H, 12);
            SyntheticData.writeWeights(dir.resolve("weights-wrong-d.arrow"), allocator, D + 1, H, 13);
        }
        rows = SparkTestData.readFeatures(arrow, "features");
        w1 = SparkTestData.readWeights(dir.resolve("weights.arrow"));
        w2 = SparkTestData.readWeights(dir.resolve("weights-v2.arrow"));
        // One file per partition: the test's gate and kill count on PARTITIONS tasks.
        SparkTestData.frame(spark, rows, PARTITIONS).write().parquet(dir.resolve("input.parquet").toString());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        try {
            if (spark != null) {
                spark.stop();
            }
        } finally {
            if (started) {
                Run stop = Run.of(List.of(SCRIPT.toString(), "stop"), Map.of(), dir.resolve("stop.log"),
                        Duration.ofMinutes(2));
                assertEquals(0, stop.exit, stop.output);
            }
        }
    }

    /**
     * A user's application (its own jar, numarrow through {@code --jars}) scores the input while the
     * test kills one executor with {@code kill -9}: Spark reruns the lost task on the cluster, and the
     * output has every row exactly once, right against the float64 reference. Then the same executors
     * score again, and again with a new version of the weights; each executor JVM starts one pool and
     * reads each version once. numarrow's figures reach Spark's event log as named accumulators.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void anApplicationScoresEveryRowOnceThroughAKilledExecutor() throws Exception {
        Path log = dir.resolve("app.log");
        Path events = Files.createDirectories(dir.resolve("events"));
        List<String> command = submit(List.of(
                "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri(),
                "--conf", "spark.eventLog.compress=false",
                "--jars", jars, "--class", ClusterScoringApp.class.getName(), appJar.toString(),
                dir.toString(), Integer.toString(BATCH_ROWS)));
        Process app = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String appId = await("the application's start", app, log, () -> match(log, "APP started (\\S+)"));
            // An executor that scored a partition and started the next one (gated: the job cannot be done).
            Path victim = await("an executor running its second task", app, log,
                    () -> executorDirs(appId).filter(SparkClusterTest::scoredThenStartedAnother).findFirst());
            long pid = executorPid(victim);
            ProcessHandle executor = ProcessHandle.of(pid).orElseThrow();
            assertTrue(executor.destroyForcibly(), "kill -9 " + pid);
            executor.onExit().get(60, TimeUnit.SECONDS);
            await("the driver noticing the lost executor", app, log,
                    () -> match(log, "(Lost executor \\S+|Executor \\S+ removed)"));
            Files.createFile(dir.resolve("go"));

            // job 4, Arrow output: an executor killed with its partition's file half written
            await("the Arrow job's start", app, log, () -> match(log, "(APP job 4 started)"));
            long arrowVictim = await("an executor waiting in the Arrow job's gate", app, log, SparkClusterTest::gatedPid);
            assertTrue(partialAttemptFiles() > 0, "a task's file in _temporary has its first batches");
            int lostBefore = count(read(log), "Lost executor ");
            ProcessHandle second = ProcessHandle.of(arrowVictim).orElseThrow();
            assertTrue(second.destroyForcibly(), "kill -9 " + arrowVictim);
            second.onExit().get(60, TimeUnit.SECONDS);
            await("the driver noticing the second lost executor", app, log,
                    () -> count(read(log), "Lost executor ") > lostBefore ? Optional.of(true) : Optional.empty());
            Files.createFile(dir.resolve("go-arrow"));
            assertTrue(app.waitFor(APP_LIMIT.toSeconds(), TimeUnit.SECONDS), "the application did not end in time");
            String out = Files.readString(log);
            assertEquals(0, app.exitValue(), out);

            assertEveryRowOnce("out-1", w1);
            assertEveryRowOnce("out-2", w1);
            assertEveryRowOnce("out-3", w2);
            assertEveryRowOnceInArrowFiles("out-4", w2);
            assertBadInputReachedTheDriver(out);
            assertOnePoolAndOneLoadPerExecutorAndVersion(appId, victim);
            assertTheExecutorsRunSparksLibraries(appId);
            assertFiguresPerTaskInTheEventLog(events);
        } finally {
            app.destroyForcibly();
        }
    }

    /** ScoreJob through spark-submit, twice on the same executors; then with weights of the wrong d. */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void scoreJobRunsTwiceAndBadInputEndsItWithOneLine() throws Exception {
        Run good = Run.of(submit(scoreJob("weights-v2.arrow", "score-out", "--runs", "2")), Map.of(),
                dir.resolve("score.log"), APP_LIMIT);
        assertEquals(0, good.exit, good.output);
        assertTrue(good.output.contains("numarrow: run 1 of 2: " + String.format("%,d", ROWS) + " rows"), good.output);
        assertTrue(good.output.contains("numarrow: run 2 of 2: " + String.format("%,d", ROWS) + " rows"), good.output);
        assertEveryRowOnce("score-out", w2);

        List<String> once = new ArrayList<>(List.of("--conf", "spark.task.maxFailures=1")); // bad input stays bad
        once.addAll(scoreJob("weights-wrong-d.arrow", "bad-out"));
        Run bad = Run.of(submit(once), Map.of(), dir.resolve("bad.log"), APP_LIMIT);
        assertEquals(2, bad.exit, bad.output);
        Pattern line = Pattern.compile("(?m)^numarrow: NumarrowTransformer: column 'features', partition \\d+, row \\d+"
                + " \\(counted from 0 within the partition\\) has " + D + " values, but the weights \\S+ are "
                + (D + 1) + "×" + H + ", so d=" + (D + 1) + "$");
        assertTrue(line.matcher(bad.output).find(), bad.output);
    }

    /**
     * Executors whose {@code java} drops the Vector API module (a wrapper found through
     * {@code spark.executorEnv.JAVA_HOME}): the first task fails naming the flag, and ScoreJob ends
     * with that one line.
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void anExecutorWithoutTheVectorModuleFailsNamingTheFlag() throws Exception {
        Path jdk = Path.of(System.getProperty("java.home"));
        Path fake = Files.createDirectories(dir.resolve("jdk-without-vector/bin"));
        Path java = fake.resolve("java");
        Files.writeString(java, "#!/bin/sh\n# java, less the Vector API module\n"
                + "for a; do shift; [ \"$a\" = \"" + ExecutorJvmCheckTest.flag("--add-modules") + "\" ] || set -- \"$@\" \"$a\"; done\n"
                + "exec '" + jdk.resolve("bin/java") + "' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

        List<String> command = new ArrayList<>(List.of("--conf", "spark.executorEnv.JAVA_HOME=" + fake.getParent()));
        command.addAll(scoreJob("weights.arrow", "no-vector-out"));
        Run run = Run.of(submit(command), Map.of(), dir.resolve("no-vector.log"), APP_LIMIT);
        assertEquals(2, run.exit, run.output);
        assertTrue(run.output.contains("\nnumarrow: this executor's JVM was started without "
                + ExecutorJvmCheckTest.flag("--add-modules") + "; add the flags of numarrow's jvm.flags to"
                + " spark.executor.extraJavaOptions"), run.output);
    }

    /**
     * Spark Connect: a Connect server (Spark's own, from the Maven jars) runs on the cluster with
     * numarrow shipped by {@code --jars}; a Connect client in a JVM of its own asks it to transform
     * with {@code io.numarrow.spark.NumarrowTransformer} by name, which the server finds through
     * {@code ServiceLoader} and makes with its {@code uid} constructor. Every row comes back once.
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aSparkConnectClientScoresThroughTheServer() throws Exception {
        Path serverLog = dir.resolve("connect-server.log");
        List<String> command = submit(List.of("--jars", jars,
                "--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", "spark.connect.grpc.binding.port=0",
                "--class", "org.apache.spark.sql.connect.service.SparkConnectServer", "spark-internal"));
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(serverLog.toFile()).start();
        try {
            String port = await("the Connect server", server, serverLog,
                    () -> match(serverLog, "Spark Connect server started at: 127\\.0\\.0\\.1:(\\d+)"));
            List<String> client = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            client.addAll(JvmFlags.ofThisRepository());
            client.addAll(List.of("-cp", Files.readString(REPO.resolve("target/spark-home/connect-client.classpath")).strip(),
                    REPO.resolve("src/test/connect/ConnectScore.java").toString(), "sc://127.0.0.1:" + port,
                    dir.resolve("input.parquet").toString(), dir.resolve("weights-v2.arrow").toString(),
                    dir.resolve("connect-out").toString(), Integer.toString(BATCH_ROWS)));
            Run run = Run.of(client, Map.of(), dir.resolve("connect-client.log"), APP_LIMIT);
            assertEquals(0, run.exit, run.output + "\nserver:\n" + Files.readString(serverLog));
            assertTrue(run.output.contains("CONNECT scored " + ROWS + " rows"), run.output);
            assertEveryRowOnce("connect-out", w2);
        } finally {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static List<String> scoreJob(String weights, String output, String... more) {
        List<String> args = new ArrayList<>(List.of("--class", ScoreJob.class.getName(), jars,
                "--input", dir.resolve("input.parquet").toString(), "--weights", dir.resolve(weights).toString(),
                "--output", dir.resolve(output).toString(), "--output-col", "scores",
                "--batch-rows", Integer.toString(BATCH_ROWS), "--mode", "overwrite"));
        args.addAll(List.of(more));
        return args;
    }

    /** spark-submit against the test's cluster: loopback, one core per executor, numarrow's flags. */
    private static List<String> submit(List<String> args) {
        String flags = String.join(" ", JvmFlags.ofThisRepository());
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), "submit", "--master", master,
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false",
                "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
                "--conf", "spark.executor.memory=1g",
                // one input file, one partition
                "--conf", "spark.sql.files.openCostInBytes=" + (128L << 20),
                "--conf", "spark.executor.extraJavaOptions=" + flags,
                "--conf", "spark.driver.extraJavaOptions=" + flags));
        command.addAll(args);
        return command;
    }

    private static void assertEveryRowOnce(String output, float[][] w) {
        List<Row> out = spark.read().parquet(dir.resolve(output).toString()).select("id", "scores").collectAsList();
        assertEquals(ROWS, out.size(), output + ": one output row per input row");
        SparkTestData.assertMatchesReference(output, rows, SparkTestData.outputById(out, "id", "scores"), w,
                Ops.MATMUL_SOFTMAX);
    }

    /** The Arrow output folder: one file per partition, _SUCCESS, no _temporary, every row once and right. */
    private static void assertEveryRowOnceInArrowFiles(String output, float[][] w) throws IOException {
        Path folder = dir.resolve(output);
        List<Path> parts;
        try (Stream<Path> files = Files.list(folder)) {
            parts = files.filter(p -> p.getFileName().toString().matches("part-\\d{5}\\.arrow")).sorted().toList();
        }
        assertEquals(PARTITIONS, parts.size(), "one file per partition in " + folder);
        assertTrue(Files.exists(folder.resolve("_SUCCESS")), "committed");
        assertTrue(!Files.exists(folder.resolve("_temporary")), "the killed attempt's file went with _temporary");
        Map<Long, float[]> byId = new HashMap<>();
        int read = 0;
        for (Path part : parts) {
            for (FeatureRow row : SparkTestData.readFeatures(part, "scores")) {
                byId.put(row.id(), row.features());
                read++;
            }
        }
        assertEquals(ROWS, read, output + ": one output row per input row");
        SparkTestData.assertMatchesReference(output, rows, byId, w, Ops.MATMUL_SOFTMAX);
    }

    /** The PID an executor wrote when its task entered job 4's gate. */
    private static Optional<Long> gatedPid() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("gated-"))
                    .map(n -> Long.parseLong(n.substring("gated-".length()))).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Attempt files in out-4's _temporary that hold more than a header. */
    private static long partialAttemptFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("out-4").resolve("_temporary"))) {
            return files.filter(p -> p.toFile().length() > 1024).count();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private static void assertBadInputReachedTheDriver(String out) {
        String missing = line(out, "APP bad missing-weights: ");
        assertTrue(missing.matches("APP bad missing-weights: NumarrowTransformer: partition \\d+, row 0: cannot load"
                + " the weights on this executor: .*vanishing-weights\\.arrow.*"), missing);
        String shortRow = line(out, "APP bad short-row: ");
        assertTrue(shortRow.matches("APP bad short-row: NumarrowTransformer: column 'features', partition 0, row \\d+"
                + " \\(counted from 0 within the partition\\) has " + (D - 1) + " values, but the weights \\S+ are "
                + D + "×" + H + ", so d=" + D), shortRow);
    }

    /**
     * From the executors' logs: every executor JVM that ran numarrow started one pool and read each
     * version of the weights once; the one that lived through all three jobs read two versions.
     */
    private static void assertOnePoolAndOneLoadPerExecutorAndVersion(String appId, Path victim) throws IOException {
        String weights = dir.resolve("weights.arrow").toString();
        int survivorsWithBothVersions = 0;
        List<Path> executors = executorDirs(appId).toList();
        assertTrue(executors.size() >= 3, "two executors and the replacement of the killed one: " + executors);
        for (Path executor : executors) {
            String log = Files.readString(executor.resolve("stderr"));
            int pools = count(log, "numarrow: starting a pool of 1 threads");
            boolean scored = log.contains("numarrow: partition ");
            assertEquals(scored ? 1 : 0, pools, executor + ": one pool per executor JVM");
            Map<String, Integer> loads = new HashMap<>();
            Matcher m = Pattern.compile("numarrow: loaded weights file:" + Pattern.quote(weights) + " version (\\S+)")
                    .matcher(log);
            while (m.find()) {
                loads.merge(m.group(1), 1, Integer::sum);
            }
            loads.forEach((version, n) -> assertEquals(1, n, executor + ": weights version " + version + " read once"));
            if (!executor.equals(victim) && loads.size() == 2) {
                survivorsWithBothVersions++;
            }
        }
        assertTrue(survivorsWithBothVersions >= 1, "an executor that scored all three jobs read both versions");
    }

    /** numarrow runs on the Arrow, Jackson and SLF4J of Spark's jars, and its own jar adds nothing else. */
    private static void assertTheExecutorsRunSparksLibraries(String appId) throws IOException {
        Path sparkJars = REPO.resolve("target/spark-home/jars");
        Pattern report = Pattern.compile("numarrow: in JVM \\d+: (.*)");
        int seen = 0;
        for (Path executor : executorDirs(appId).toList()) {
            Matcher m = report.matcher(Files.readString(executor.resolve("stderr")));
            if (!m.find()) {
                continue;
            }
            seen++;
            Map<String, String> from = new HashMap<>();
            for (String part : m.group(1).split(", ")) {
                int at = part.indexOf(" from ");
                if (at > 0) {
                    from.put(part.substring(0, at), part.substring(at + " from ".length()));
                }
            }
            assertEquals("numarrow.jar", from.get("numarrow"), m.group());
            for (String library : List.of("arrow-vector", "arrow-memory", "jackson-databind", "netty-buffer", "slf4j-api")) {
                String jar = from.get(library);
                assertNotNull(jar, library + " in " + m.group());
                assertTrue(Files.exists(sparkJars.resolve(jar)), library + " comes from Spark's jars: " + m.group());
            }
            assertTrue(m.group().contains("SLF4J provider org.apache.logging.slf4j"), m.group());
        }
        assertTrue(seen >= 2, "each executor that ran numarrow reports its libraries");
    }

    /**
     * Spark's event log (what its UI and History Server show): every successful task of the first
     * job carries numarrow's four accumulators, their rows add up to the input exactly once, and the
     * job lost a task with the killed executor.
     */
    private static void assertFiguresPerTaskInTheEventLog(Path events) throws IOException {
        List<Path> files; // Spark 4 rolls its event log: a folder of events_N_<app> files and an appstatus file
        try (Stream<Path> walk = Files.walk(events)) {
            files = walk.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().startsWith("events_"))
                    .sorted().toList();
        }
        assertEquals(1, files.size(), files.toString());
        ObjectMapper json = new ObjectMapper();
        Map<Integer, long[]> rowsAndLostByStage = new HashMap<>();
        Set<Integer> stages = new HashSet<>();
        Integer firstStage = null;
        for (String line : Files.readAllLines(files.get(0), StandardCharsets.UTF_8)) {
            JsonNode event = json.readTree(line);
            if (!"SparkListenerTaskEnd".equals(event.path("Event").asText())) {
                continue;
            }
            int stage = event.path("Stage ID").asInt();
            String reason = event.path("Task End Reason").path("Reason").asText();
            Map<String, String> figures = new HashMap<>();
            for (JsonNode a : event.path("Task Info").path("Accumulables")) {
                if (a.path("Name").asText().startsWith("numarrow ")) {
                    figures.put(a.path("Name").asText(), a.path("Update").asText());
                }
            }
            long[] totals = rowsAndLostByStage.computeIfAbsent(stage, s -> new long[2]);
            if ("ExecutorLostFailure".equals(reason)) {
                totals[1]++;
            }
            if (figures.isEmpty()) {
                continue;
            }
            if (firstStage == null) {
                firstStage = stage;
            }
            stages.add(stage);
            assertEquals("Success", reason, "only successful tasks count");
            assertEquals(Set.of(TaskFigures.ROWS, TaskFigures.BATCHES, TaskFigures.COMPUTE_MS, TaskFigures.GFLOPS),
                    figures.keySet(), line);
            long taskRows = Long.parseLong(figures.get(TaskFigures.ROWS));
            assertEquals(ROWS / PARTITIONS, taskRows, "one partition per task: " + line);
            assertEquals((taskRows + BATCH_ROWS - 1) / BATCH_ROWS, Long.parseLong(figures.get(TaskFigures.BATCHES)), line);
            assertTrue(Long.parseLong(figures.get(TaskFigures.COMPUTE_MS)) >= 0, line);
            assertTrue(Double.parseDouble(figures.get(TaskFigures.GFLOPS)) > 0, line);
            totals[0] += taskRows;
        }
        assertNotNull(firstStage, "no task carried numarrow's accumulators");
        assertTrue(stages.size() >= 3, "the three scoring jobs: " + stages);
        long[] first = rowsAndLostByStage.get(firstStage);
        assertEquals(ROWS, first[0], "the first job's tasks scored every row once");
        assertTrue(first[1] >= 1, "the first job lost a task with the killed executor");
    }

    private static boolean scoredThenStartedAnother(Path executor) {
        try {
            String log = Files.readString(executor.resolve("stderr"));
            int scored = log.indexOf("numarrow: partition ");
            return scored >= 0 && log.indexOf("Running task ", scored) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The executor's PID from its log, checked against the process's working directory. */
    private static long executorPid(Path executor) throws IOException {
        Matcher m = Pattern.compile("Started daemon with process name: (\\d+)@")
                .matcher(Files.readString(executor.resolve("stderr")));
        assertTrue(m.find(), executor + " logs no PID");
        long pid = Long.parseLong(m.group(1));
        Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd"));
        assertEquals(executor.toRealPath(), cwd.toRealPath(), "PID " + pid + " works in " + executor);
        return pid;
    }

    /** The work dirs of an application's executors, on every worker. */
    private static Stream<Path> executorDirs(String appId) {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> workers = Files.list(WORK)) {
            for (Path worker : workers.filter(p -> p.getFileName().toString().startsWith("worker-")).toList()) {
                Path app = worker.resolve("work").resolve(appId);
                if (Files.isDirectory(app)) {
                    try (Stream<Path> execs = Files.list(app)) {
                        execs.filter(e -> Files.exists(e.resolve("stderr"))).forEach(all::add);
                    }
                }
            }
        } catch (IOException e) {
            return Stream.empty();
        }
        return all.stream().sorted();
    }

    /** Polls {@code probe} until it has a value; fails when the application ends or time runs out. */
    private static <T> T await(String what, Process app, Path log, Supplier<Optional<T>> probe) throws Exception {
        long deadline = System.nanoTime() + APP_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (!app.isAlive()) {
                fail("the application ended (exit " + app.exitValue() + ") before " + what + ":\n" + Files.readString(log));
            }
            Thread.sleep(50); // polling: the condition, not the pause, decides what happens next
        }
        return fail("waited " + APP_LIMIT + " for " + what + ":\n" + Files.readString(log));
    }

    private static Optional<String> match(Path log, String regex) {
        try {
            Matcher m = Pattern.compile(regex).matcher(Files.readString(log));
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseGet(() -> fail("no line starting '" + prefix + "' in:\n" + text));
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
            n++;
        }
        return n;
    }

    /** A finished command: its exit status and output (stdout and stderr together). */
    private record Run(int exit, String output) {
        static Run of(List<String> command, Map<String, String> env, Path log, Duration limit) throws Exception {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            Process p = builder.start();
            if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not end in " + limit + ":\n" + Files.readString(log));
            }
            return new Run(p.exitValue(), Files.readString(log));
        }

        String value(String prefix) {
            return output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                    .orElseGet(() -> fail("no " + prefix + " line in:\n" + output));
        }

        String lastLine() {
            List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }
    }
}
