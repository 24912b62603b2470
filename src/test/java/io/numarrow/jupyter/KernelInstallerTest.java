package io.numarrow.jupyter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.numarrow.Json;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.numarrow.JvmFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelInstallerTest {
    private static final List<String> FLAGS = JvmFlags.ofThisRepository();

    @TempDir
    Path tmp;

    /** A build's jupyter/ folder with stand-ins for the two jars. */
    private Path jars(String content) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("build/jupyter"));
        Files.writeString(dir.resolve(KernelSpec.KERNEL_JAR), content);
        Files.writeString(dir.resolve(KernelSpec.LAUNCHER_JAR), "launcher");
        return dir;
    }

    private static KernelSpec spec(List<String> flags) {
        return new KernelSpec(Path.of("/opt/jdk-25/bin/java"), flags,
                List.of("/repo/target/numarrow.jar", "/repo/target/lib/*.jar"), KernelSpec.DEFAULT_DISPLAY_NAME);
    }

    @Test
    void dataDirFollowsJupyterCoreRules() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/data/j"), KernelInstaller.userDataDir(Map.of("JUPYTER_DATA_DIR", "/data/j"), home, "Linux"));
        assertEquals(Path.of("/data/j"), KernelInstaller.userDataDir(
                Map.of("JUPYTER_DATA_DIR", "/data/j", "XDG_DATA_HOME", "/xdg"), home, "Mac OS X"));
        assertEquals(Path.of("/xdg/jupyter"), KernelInstaller.userDataDir(Map.of("XDG_DATA_HOME", "/xdg"), home, "Linux"));
        assertEquals(Path.of("/home/u/.local/share/jupyter"), KernelInstaller.userDataDir(Map.of(), home, "Linux"));
        assertEquals(Path.of("/home/u/.local/share/jupyter"),
                KernelInstaller.userDataDir(Map.of("JUPYTER_DATA_DIR", "", "XDG_DATA_HOME", ""), home, "Linux"));
        assertEquals(Path.of("/home/u/Library/Jupyter"), KernelInstaller.userDataDir(Map.of(), home, "Mac OS X"));
    }

    @Test
    void writesAKernelJsonJupyterCanStart() throws IOException {
        Path data = tmp.resolve("data");
        KernelInstaller.Result r = KernelInstaller.install(data, jars("jar v1"), spec(FLAGS));
        assertEquals(KernelInstaller.Outcome.INSTALLED, r.outcome());
        assertEquals(data.resolve("kernels/numarrow"), r.kernelDir());
        assertEquals("jar v1", Files.readString(r.kernelDir().resolve(KernelSpec.KERNEL_JAR)));
        assertEquals("launcher", Files.readString(r.kernelDir().resolve(KernelSpec.LAUNCHER_JAR)));

        JsonNode json = new ObjectMapper().readTree(r.kernelDir().resolve("kernel.json").toFile());
        List<String> argv = new ArrayList<>();
        json.get("argv").forEach(a -> argv.add(a.asText()));
        List<String> expected = new ArrayList<>(List.of("/opt/jdk-25/bin/java"));
        expected.addAll(FLAGS);
        expected.addAll(List.of("-Djava.awt.headless=true", "-cp",
                r.kernelDir().resolve(KernelSpec.KERNEL_JAR) + ":" + r.kernelDir().resolve(KernelSpec.LAUNCHER_JAR),
                "io.numarrow.jupyter.launcher.RapaioKernelLauncher", "{connection_file}"));
        assertEquals(expected, argv);
        assertEquals("java", json.get("language").asText());
        assertEquals("Java (numarrow)", json.get("display_name").asText());
        // rapaio splits its classpath at ';' and globs each entry
        assertEquals("/repo/target/numarrow.jar;/repo/target/lib/*.jar", json.get("env").get("RJK_CLASSPATH").asText());
        assertEquals(String.join(" ", FLAGS.stream().filter(f -> f.startsWith("--add-modules")).toList()),
                json.get("env").get("RJK_COMPILER_OPTIONS").asText());
    }

    @Test
    void installingAgainChangesNothingUnlessSomethingChanged() throws IOException {
        Path data = tmp.resolve("data");
        Path jars = jars("jar v1");
        KernelInstaller.install(data, jars, spec(FLAGS));
        Path json = data.resolve("kernels/numarrow/kernel.json");
        String first = Files.readString(json);

        assertEquals(KernelInstaller.Outcome.UNCHANGED, KernelInstaller.install(data, jars, spec(FLAGS)).outcome());
        assertEquals(first, Files.readString(json));
        try (var files = Files.list(json.getParent())) {
            assertEquals(3, files.count(), "kernel.json and the two jars, no temporary files left");
        }

        List<String> moreFlags = new ArrayList<>(FLAGS);
        moreFlags.add("-Dnumarrow.test.extra=1");
        assertEquals(KernelInstaller.Outcome.UPDATED, KernelInstaller.install(data, jars, spec(moreFlags)).outcome());
        assertTrue(Files.readString(json).contains("-Dnumarrow.test.extra=1"));

        Files.writeString(jars.resolve(KernelSpec.KERNEL_JAR), "jar v2");
        assertEquals(KernelInstaller.Outcome.UPDATED, KernelInstaller.install(data, jars, spec(moreFlags)).outcome());
        assertEquals("jar v2", Files.readString(json.resolveSibling(KernelSpec.KERNEL_JAR)));
    }

    @Test
    void aMissingKernelJarIsReportedAndNothingIsWritten() throws IOException {
        Path data = tmp.resolve("data");
        Path jars = jars("jar v1");
        Files.delete(jars.resolve(KernelSpec.LAUNCHER_JAR));
        IOException e = assertThrows(IOException.class, () -> KernelInstaller.install(data, jars, spec(FLAGS)));
        assertTrue(e.getMessage().contains(KernelSpec.LAUNCHER_JAR), e.getMessage());
        assertTrue(Files.notExists(data));
    }

    @Test
    void classpathEntriesMustBeAbsoluteAndFreeOfTheSeparator() {
        Path java = Path.of("/opt/jdk-25/bin/java");
        assertThrows(IllegalArgumentException.class,
                () -> new KernelSpec(java, FLAGS, List.of("target/numarrow.jar"), "x"));
        assertThrows(IllegalArgumentException.class,
                () -> new KernelSpec(java, FLAGS, List.of("/a.jar;/b.jar"), "x"));
    }

    @Test
    void compilerOptionsAreTheModulesTheJvmAdds() {
        KernelSpec s = new KernelSpec(Path.of("/j"), List.of("--add-modules", "a.b", "--add-modules=c.d",
                "--enable-native-access=ALL-UNNAMED"), List.of(), "x");
        assertEquals(List.of("--add-modules", "a.b", "--add-modules=c.d"), s.compilerOptions());
    }

    @Test
    void jsonStringsAreEscaped() {
        assertEquals("\"a\\\"b\\\\c\\nd\\u0001\"", Json.quote("a\"b\\c\nd\u0001"));
    }
}
