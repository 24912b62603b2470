package io.numarrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.numarrow.compute.SyntheticData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can go wrong at the launcher's start never fails a command nor puts a warning on stderr: a
 * missing, stale or refused AOT cache, and a JVM that refuses jvm.flags' compile policy. The launcher
 * runs from a copy of the repository's root (its script and jvm.flags) whose {@code target/numarrow.jar}
 * points at this build's classes, with a JDK whose {@code java} records its arguments and, for two tests,
 * refuses {@code -XX:CompileCommand} lines or the launcher's own flag for computing JVMs as a JVM without
 * those options would.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LauncherStartTest {
    @TempDir
    Path dir;
    Path root;
    Path jdk;
    Path calls;
    Path x;
    Path w;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
        Path repo = JvmFlags.repositoryRoot();
        root = Files.createDirectories(dir.resolve("repo"));
        Files.copy(repo.resolve("numarrow"), root.resolve("numarrow"));
        Files.copy(repo.resolve(JvmFlags.FILE_NAME), root.resolve(JvmFlags.FILE_NAME));
        Path target = Files.createDirectories(root.resolve("target"));
        writeJar(target.resolve("numarrow.jar"), "io.numarrow.cli.Main", runtimeClassPath(repo));
        writeJar(target.resolve("numarrow-tests.jar"), null, null);
        calls = dir.resolve("java-calls.txt");
        jdk = fakeJdk(false, false);
        x = dir.resolve("x.arrow");
        w = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(x, allocator, 100, 16, 1, 0, 1);
            SyntheticData.writeWeights(w, allocator, 16, 8, 2);
        }
    }

    @Test
    void noCacheRunsCleanly() throws Exception {
        assertCleanCompute();
        assertFalse(lastCall().contains("-XX:AOTCache="), lastCall());
    }

    @Test
    void aDamagedCacheIsIgnoredSilently() throws Exception {
        Path cache = root.resolve("target/numarrow.aot");
        Files.writeString(cache, "not an AOT cache");
        Files.setLastModifiedTime(cache, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertCleanCompute();
        assertTrue(lastCall().contains("-XX:AOTCache=" + cache), "a cache newer than the jar is offered: " + lastCall());
    }

    @Test
    void aCacheOlderThanTheJarIsNotUsed() throws Exception {
        Path cache = root.resolve("target/numarrow.aot");
        Files.writeString(cache, "stale");
        Files.setLastModifiedTime(cache, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        assertCleanCompute();
        assertFalse(lastCall().contains("-XX:AOTCache="), lastCall());
    }

    /** A real cache the JVM refuses: made without jvm.flags, so its module options do not match. */
    @Test
    void aCacheMadeWithOtherFlagsIsIgnoredSilently() throws Exception {
        Path cache = root.resolve("target/numarrow.aot");
        Process make = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:AOTCacheOutput=" + cache, "-Xlog:aot=off", "-Xlog:cds=off", "-jar",
                root.resolve("target/numarrow.jar").toString(), "--version")
                .redirectErrorStream(true).redirectOutput(dir.resolve("make-cache.log").toFile()).start();
        assertTrue(make.waitFor(120, TimeUnit.SECONDS) && make.exitValue() == 0 && Files.size(cache) > 0,
                Files.readString(dir.resolve("make-cache.log")));
        Files.setLastModifiedTime(cache, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        // the JVM's own account (on stdout, -Xlog's default), which the launcher keeps quiet otherwise
        String told = assertCleanCompute(Map.of("NUMARROW_JAVA_OPTS", "-Xlog:aot=error"));
        assertTrue(told.contains("Mismatched values for property jdk.module.addmods"), told);
        assertCleanCompute();
        assertTrue(lastCall().contains("-XX:AOTCache=" + cache), lastCall());
    }

    @Test
    void aJvmRefusingTheCompilePolicyRunsWithoutIt() throws Exception {
        jdk = fakeJdk(true, false);
        String stats = assertCleanCompute();
        assertFalse(lastCall().contains("-XX:CompileCommand="), "the policy lines are dropped: " + lastCall());
        assertTrue(stats.contains("kernels compiled") && stats.contains("no compile policy"), stats);
        // the answer is kept: the next command does not ask the JVM again
        int before = Files.readAllLines(calls).size();
        assertCleanCompute();
        assertEquals(before + 1, Files.readAllLines(calls).size(), "one java call: the command, no new check");
    }

    @Test
    void aJvmTakingThePolicyRunsWithIt() throws Exception {
        String stats = assertCleanCompute();
        assertTrue(lastCall().contains("-XX:CompileCommand=quiet"), lastCall());
        assertTrue(stats.contains("s of JVM uptime"), stats);
    }

    @Test
    void computeJvmsGetTheLaunchersOwnFlagsOtherCommandsDoNot() throws Exception {
        assertCleanCompute();
        assertTrue(lastCall().contains("-XX:LoopUnrollLimit=0"), lastCall());
        ProcessBuilder pb = new ProcessBuilder(root.resolve("numarrow").toString(), "--version");
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().remove("NUMARROW_JAVA_OPTS");
        Process p = pb.redirectErrorStream(true).redirectOutput(dir.resolve("version.txt").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("version.txt")));
        assertFalse(lastCall().contains("-XX:LoopUnrollLimit"), "only compute and demo: " + lastCall());
    }

    @Test
    void aJvmRefusingTheLaunchersOwnFlagsRunsWithoutThem() throws Exception {
        jdk = fakeJdk(false, true);
        assertCleanCompute();
        assertFalse(lastCall().contains("-XX:LoopUnrollLimit"), lastCall());
        assertTrue(lastCall().contains("-XX:CompileCommand=quiet"), "jvm.flags' policy kept: " + lastCall());
        int before = Files.readAllLines(calls).size();
        assertCleanCompute();
        assertEquals(before + 1, Files.readAllLines(calls).size(), "one java call: the command, no new check");
    }

    /** {@code compute --stats} through the launcher: exit 0, nothing on stderr, the output written. */
    private String assertCleanCompute() throws Exception {
        return assertCleanCompute(Map.of());
    }

    private String assertCleanCompute(Map<String, String> env) throws Exception {
        Path out = dir.resolve("out-" + System.nanoTime() + ".arrow");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("numarrow").toString(), "compute", "--input", x.toString(),
                "--weights", w.toString(), "--output", out.toString(), "--quiet", "--stats");
        pb.environment().put("JAVA_HOME", jdk.toString());
        pb.environment().remove("NUMARROW_JAVA_OPTS");
        pb.environment().remove("NUMARROW_AOT");
        pb.environment().putAll(env);
        Path stdout = dir.resolve("stdout.txt");
        Path stderr = dir.resolve("stderr.txt");
        Process p = pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not finish");
        String o = Files.readString(stdout, StandardCharsets.UTF_8);
        String e = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "exit status; stderr:\n" + e + "\nstdout:\n" + o);
        assertEquals("", e, "nothing on stderr");
        assertTrue(Files.size(out) > 0, "the output was written");
        return o;
    }

    private String lastCall() throws IOException {
        List<String> lines = Files.readAllLines(calls, StandardCharsets.UTF_8);
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /**
     * A JDK 25 as the launcher finds one (a release file, bin/java, bin/javac) whose java logs each call's
     * arguments and runs this JVM's java; {@code refusePolicy}: exits 1 with HotSpot's message when given
     * a {@code -XX:CompileCommand} option other than {@code quiet}, {@code refuseLoopUnrollLimit}: when given {@code -XX:LoopUnrollLimit},
     * as a JVM without those options would.
     */
    private Path fakeJdk(boolean refusePolicy, boolean refuseLoopUnrollLimit) throws IOException {
        Path home = Files.createDirectories(dir.resolve(refusePolicy ? "jdk-refusing" : refuseLoopUnrollLimit ? "jdk-no-unroll-limit" : "jdk"));
        Path bin = Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"25.0.3\"\n");
        String realJava = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String refuse = refusePolicy ? """
                for a in "$@"; do
                  case "$a" in
                    -XX:CompileCommand=quiet) ;;
                    -XX:CompileCommand=*) echo "CompileCommand: An error occurred during parsing"; \
                echo "Error: Unrecognized option '${a#-XX:CompileCommand=}'"; exit 1 ;;
                  esac
                done
                """ : "";
        if (refuseLoopUnrollLimit) {
            refuse += """
                    for a in "$@"; do
                      case "$a" in
                        -XX:LoopUnrollLimit=*) echo "Unrecognized VM option 'LoopUnrollLimit=0'"; exit 1 ;;
                      esac
                    done
                    """;
        }
        script(bin.resolve("java"), "#!/bin/bash\necho \"$*\" >> '" + calls + "'\n" + refuse + "exec '" + realJava + "' \"$@\"\n");
        script(bin.resolve("javac"), "#!/bin/bash\nexit 0\n");
        return home;
    }

    private static void script(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** This build's classes and numarrow's runtime jars (as the packaged jar has them; the tests run before it). */
    private static List<String> runtimeClassPath(Path repo) throws IOException {
        List<String> classPath = new ArrayList<>();
        classPath.add(repo.resolve("target/classes").toString());
        for (String jar : Files.readString(repo.resolve("target/runtime.classpath")).trim().split(java.io.File.pathSeparator)) {
            if (!jar.isBlank()) {
                classPath.add(jar);
            }
        }
        return classPath;
    }

    /** A jar of a manifest alone: its main class, and a class path of absolute file URLs. */
    private static void writeJar(Path jar, String mainClass, List<String> classPath) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (mainClass != null) {
            manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
            List<String> urls = new ArrayList<>();
            for (String entry : classPath) {
                urls.add(Path.of(entry).toAbsolutePath().toUri().toString());
            }
            manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.flush();
        }
    }
}
