package io.numarrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/bench/table.py, the script that writes the performance tables, on a saved run of known figures:
 * GFLOPS from the work per call, time per call, the ratio from the medians, the load, and the write into
 * README.md and docs/performance.md between their markers.
 */
@Timeout(60)
class BenchTableScriptTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", ".")).toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private Path savedRun(double firstLoadBefore) throws IOException {
        Path run = Files.createDirectories(dir.resolve("run"));
        // sgemm 2048³: 2·2048³ = 17.18 GFLOP per call; 171.8 ms is 100.0 GFLOPS, 101.0 ms 170.1
        Files.writeString(run.resolve("matmul.json"), """
                [
                  {"suite":"matmul","benchmark":"sgemm","params":"n=2048;threads=1","impl":"numarrow","score":170.0,"unit":"ms/op","median":171.8,"min":168.0,"max":175.0,"iterations":3},
                  {"suite":"matmul","benchmark":"sgemm","params":"n=2048;threads=1","impl":"openblas","score":100.0,"unit":"ms/op","median":101.0,"min":100.0,"max":102.0,"iterations":3}
                ]""");
        Files.writeString(run.resolve("softmax.json"), """
                [
                  {"suite":"softmax","benchmark":"softmaxInPlace","params":"shape=8192x4096;threads=all","impl":"numarrow","score":9000,"unit":"us/op","median":9000,"min":8900,"max":9100,"iterations":3},
                  {"suite":"softmax","benchmark":"softmaxInPlace","params":"shape=8192x4096;threads=all","impl":"copy","score":8000,"unit":"us/op","median":8000,"min":7900,"max":8100,"iterations":3}
                ]""");
        Files.writeString(run.resolve("matmul.err"), """
                OPENBLAS_CORETYPE=(unset) OPENBLAS_L2_SIZE=(unset) cpus=2
                openblas core: TestCore
                numarrow matmul kernel: 6×32 register tile; kc=256; A read in place below 64 panels
                fma peak: 230.0 GFLOPS per thread (test)
                """);
        Files.writeString(run.resolve("softmax.err"), "OPENBLAS_CORETYPE=(unset) OPENBLAS_L2_SIZE=(unset) cpus=2\n");
        Files.writeString(run.resolve("meta.json"), """
                {"cpu": "Test CPU, family 1 model 2", "commit": "abc1234", "date": "2026-01-01", "suites": {
                  "matmul": {"command": "./numarrow bench --suite matmul --quick --format json", "load_before": %s, "load_after": 1.9},
                  "softmax": {"command": "./numarrow bench --suite softmax --quick --format json", "load_before": 0.5, "load_after": 0.6}}}
                """.formatted(firstLoadBefore));
        return run;
    }

    private String script(Path root, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("python3", root.resolve("tools/bench/table.py").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static boolean python() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void rendersMediansRangesAndRatios() throws Exception {
        assumeTrue(python(), "python3 is not on the PATH");
        String out = script(REPO, "--from", savedRun(0.2).toString());
        assertTrue(out.contains("| sgemm 2048³, 1 thread | 100.0 GFLOPS (98.2-102.3) | OpenBLAS: 170.1 GFLOPS (168.4-171.8) | 0.59× |"), out);
        assertTrue(out.contains("| softmax 8192×4096 in place, 2 threads | 9 ms (8.9-9.1) | `MemorySegment.copy` of the same bytes: 8 ms (7.9-8.1) | 0.89× |"), out);
        assertTrue(out.contains("### Test CPU, family 1 model 2"), out);
        assertTrue(out.contains("load 0.20 before, 1.90 after"), out);
        assertTrue(out.contains("OpenBLAS core: TestCore"), out);
        assertTrue(!out.contains("void"), out);
    }

    @Test
    void saysSoWhenTheMachineWasBusy() throws Exception {
        assumeTrue(python(), "python3 is not on the PATH");
        String out = script(REPO, "--from", savedRun(1.6).toString());
        assertTrue(out.contains("these figures are void"), out);
    }

    /** --write into a copy of the repository's two files: the README's table and a new CPU's section. */
    @Test
    void writesBetweenTheMarkers() throws Exception {
        assumeTrue(python(), "python3 is not on the PATH");
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("tools/bench"));
        Files.createDirectories(root.resolve("docs"));
        Files.copy(REPO.resolve("tools/bench/table.py"), root.resolve("tools/bench/table.py"));
        Files.writeString(root.resolve("README.md"), "before\n<!-- bench-table:readme begin -->\nold\n<!-- bench-table:readme end -->\nafter\n");
        Files.writeString(root.resolve("docs/performance.md"), "intro\n<!-- bench-table:new-cpu-here -->\n### Other CPU\nkept\n");
        Path run = savedRun(0.2);
        script(root, "--from", run.toString(), "--write");
        script(root, "--from", run.toString(), "--write"); // a second write replaces, never repeats
        String readme = Files.readString(root.resolve("README.md"));
        assertTrue(readme.startsWith("before\n<!-- bench-table:readme begin -->\nTest CPU, family 1 model 2, 2 CPUs"), readme);
        assertTrue(readme.endsWith("<!-- bench-table:readme end -->\nafter\n"), readme);
        assertTrue(!readme.contains("old"), readme);
        String perf = Files.readString(root.resolve("docs/performance.md"));
        assertEquals(1, perf.split("### Test CPU", -1).length - 1, perf);
        assertTrue(perf.contains("<!-- bench-table:cpu=\"Test CPU, family 1 model 2\" end -->\n\n<!-- bench-table:new-cpu-here -->\n### Other CPU\nkept"), perf);
    }
}
