package io.numarrow.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.numarrow.Reference;
import io.numarrow.cli.Main;
import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.Ops;
import io.numarrow.io.ArrowFiles;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code compute} on files written by Arrow JS (tools/interop/make-arrowjs-fixture.mjs), several
 * batches and null rows, against the float64 softmax(X·W) that the same script computed.
 */
@Timeout(60)
class ArrowJsInteropTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", "."));
    private static final Path INTEROP = REPO.resolve("data/interop");

    /**
     * The Arrow JS files as written, and their big-endian twins (file and stream format, with
     * little- and big-endian weights; tools/interop/make-big-endian-fixtures.mjs).
     */
    @ParameterizedTest
    @CsvSource({"arrowjs-features.arrow, arrowjs-weights.arrow",
            "arrowjs-features-untagged.arrow, arrowjs-weights.arrow",
            "big-endian/features-be.arrow, arrowjs-weights.arrow",
            "big-endian/features-be.arrows, big-endian/weights-be.arrow",
            "arrowjs-features.arrow, big-endian/weights-be.arrows"})
    void computeMatchesTheFloat64Reference(String input, String weights, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.arrow");
        int status = Main.run("compute", "--input", INTEROP.resolve(input).toString(),
                "--weights", INTEROP.resolve(weights).toString(),
                "--output", out.toString(), "--ops", "matmul,softmax", "--quiet");
        assertEquals(0, status);

        JsonNode expected = new ObjectMapper().readTree(INTEROP.resolve("arrowjs-expected.json").toFile()).get("rows");
        try (BufferAllocator allocator = new RootAllocator()) {
            List<double[]> actual = Reference.readRows(out, "output", allocator);
            assertEquals(expected.size(), actual.size());
            int nulls = 0;
            for (int r = 0; r < actual.size(); r++) {
                JsonNode row = expected.get(r);
                if (row.isNull()) {
                    assertNull(actual.get(r), "row " + r + " is null in the input");
                    nulls++;
                    continue;
                }
                double[] want = new double[row.size()];
                for (int j = 0; j < want.length; j++) {
                    want[j] = row.get(j).asDouble();
                }
                Reference.assertClose(want, actual.get(r), 1e-5, 1e-4, input + " row " + r);
            }
            assertEquals(12, nulls, "every fifth row (from 3) is null");

            List<Integer> batchSizes = new ArrayList<>();
            List<Integer> ids = new ArrayList<>();
            try (ArrowReader reader = ArrowFiles.read(out, allocator)) {
                while (reader.loadNextBatch()) {
                    batchSizes.add(reader.getVectorSchemaRoot().getRowCount());
                    IntVector id = (IntVector) reader.getVectorSchemaRoot().getVector("row_id");
                    for (int i = 0; i < id.getValueCount(); i++) {
                        ids.add(id.get(i));
                    }
                }
            }
            assertEquals(List.of(10, 1, 17, 33), batchSizes, "batch boundaries are kept");
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(i, ids.get(i), "row_id passes through");
            }
        }
    }

    /**
     * Issue 25: the output computed in place in its mapped file (an Arrow IPC input, kept columns,
     * null rows, batches of 10, 1, 17 and 33 rows) read back by Arrow JS: its batches, the ids
     * passed through, and the float64 softmax(X·W) the fixture script computed.
     */
    @Test
    void anOutputComputedInPlaceReadsBackInArrowJs(@TempDir Path dir) throws Exception {
        NodeTools.installed(); // skips here, before computing, where Node.js is missing
        Path out = dir.resolve("out.arrow");
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ComputeJob.Result result = ComputeJob.run(new ComputeJob.Spec(INTEROP.resolve("arrowjs-features.arrow"),
                    INTEROP.resolve("arrowjs-weights.arrow"), out, "features", Ops.MATMUL_SOFTMAX, "output"),
                    new ParallelOps(pool), allocator);
            assertTrue(result.timings().inPlace(), "computed in place");
        }
        JsonNode read = NodeTools.readTable("read-arrow.mjs", out, dir.resolve("read.json"), "row_id", "output");
        List<Integer> batches = new ArrayList<>();
        read.get("batches").forEach(n -> batches.add(n.asInt()));
        assertEquals(List.of(10, 1, 17, 33), batches, "batch boundaries as Arrow JS reads them");
        JsonNode expected = new ObjectMapper().readTree(INTEROP.resolve("arrowjs-expected.json").toFile()).get("rows");
        JsonNode output = read.get("columns").get("output");
        JsonNode ids = read.get("columns").get("row_id");
        assertEquals(expected.size(), output.size());
        int nulls = 0;
        for (int r = 0; r < expected.size(); r++) {
            assertEquals(r, ids.get(r).asInt(), "row_id passes through");
            if (expected.get(r).isNull()) {
                assertTrue(output.get(r).isNull(), "row " + r + " is null in the input");
                nulls++;
                continue;
            }
            double[] want = new double[expected.get(r).size()];
            double[] got = new double[output.get(r).size()];
            for (int j = 0; j < want.length; j++) {
                want[j] = expected.get(r).get(j).asDouble();
            }
            for (int j = 0; j < got.length; j++) {
                got[j] = output.get(r).get(j).asDouble();
            }
            Reference.assertClose(want, got, 1e-5, 1e-4, "Arrow JS reading " + out + " row " + r);
        }
        assertEquals(12, nulls, "every fifth row (from 3) is null");
    }
}
