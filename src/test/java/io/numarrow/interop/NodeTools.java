package io.numarrow.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * parquet-wasm and apache-arrow from the npm registry, installed once under target/, and the scripts of
 * tools/interop run on them: other implementations reading numarrow's files.
 */
public final class NodeTools {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", "."));
    private static Path installed;

    private NodeTools() {
    }

    public static synchronized Path installed() throws Exception {
        if (installed != null) {
            return installed;
        }
        Assumptions.assumeTrue(onPath("node") && onPath("npm"),
                "Node.js and npm are needed to read the output with arrow-rs (parquet-wasm)");
        Path dir = REPO.resolve("target/interop-npm");
        if (!Files.isDirectory(dir.resolve("node_modules/parquet-wasm")) || !Files.isDirectory(dir.resolve("node_modules/apache-arrow"))) {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--no-save",
                    "parquet-wasm@0.8.0", "apache-arrow@21.2.0")
                    .directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("npm-install.log").toFile()).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "npm install finished in 120 s");
            assertEquals(0, p.exitValue(), "npm install parquet-wasm apache-arrow (see " + dir.resolve("npm-install.log") + ")");
        }
        installed = dir;
        return dir;
    }

    /** {@code file} read by {@code tools/interop/<script>} into {@code json}: its fields, batches and {@code columns}. */
    public static JsonNode readTable(String script, Path file, Path json, String... columns) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", REPO.resolve("tools/interop").resolve(script).toString(),
                file.toString()));
        command.addAll(List.of(columns));
        Process p = new ProcessBuilder(command).directory(installed().toFile()).redirectOutput(json.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "node finished");
        assertEquals(0, p.exitValue(), "node read the file");
        return new ObjectMapper().readTree(json.toFile());
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
