package io.numarrow.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.numarrow.Reference;
import io.numarrow.cli.Main;
import io.numarrow.io.ArrowFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ipc.ArrowReader;
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
    private static final Path INTEROP = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/interop");

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
}
