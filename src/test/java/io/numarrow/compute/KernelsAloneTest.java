package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ArrowFileTest;
import io.numarrow.BadInputException;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.TwoWorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(60)
class KernelsAloneTest extends ArrowFileTest {
    @RegisterExtension
    static final TwoWorkerPool POOL = new TwoWorkerPool();
    private static final ParallelOps ops = POOL.parallel();

    /** Every row and batch the job computes goes through the kernels again, batches of odd and uneven sizes, nothing written. */
    @ParameterizedTest(name = "{0} rows={1} d={2} h={3} batches={4}")
    @CsvSource({"MATMUL_SOFTMAX,1000,64,33,7", "MATMUL_SOFTMAX,17,17,1,3", "MATMUL_SOFTMAX_ARGMAX,255,17,15,2",
            "SOFTMAX,15,33,33,1", "MATMUL,1,1,1,1"})
    void timesTheJobsOwnRowsAndWritesNothing(Ops op, int rows, int d, int h, int batches) throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, rows, d, batches, 7, 4);
        SyntheticData.writeWeights(w, allocator, d, h, 2);
        var spec = new ComputeJob.Spec(x, op.needsWeights() ? w : null, out, "features", op, "output");
        ComputeJob.Result job = ComputeJob.run(spec, ops, allocator);
        Files.delete(out);

        KernelsAlone.Result alone = KernelsAlone.measure(spec, ops, allocator);
        assertEquals(job.rows(), alone.rows());
        assertEquals(job.batches(), alone.batches());
        assertTrue(alone.nanos() > 0, "no time measured: " + alone);
        assertFalse(Files.exists(out), "the kernels alone write no output");
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "only the input and the weights in " + dir);
        }
    }

    @Test
    void aZeroRowFileTakesNoTime() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        SyntheticData.writeFeatures(x, allocator, 0, 8, 1, 7, 0);
        SyntheticData.writeWeights(w, allocator, 8, 4, 2);
        var spec = new ComputeJob.Spec(x, w, dir.resolve("out.arrow"), "features", Ops.MATMUL_SOFTMAX, "output");
        KernelsAlone.Result alone = KernelsAlone.measure(spec, ops, allocator);
        assertEquals(0, alone.rows());
    }

    @Test
    void badInputIsTheJobsBadInput() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        SyntheticData.writeFeatures(x, allocator, 10, 8, 1, 7, 0);
        SyntheticData.writeWeights(w, allocator, 9, 4, 2);
        var wrongColumn = new ComputeJob.Spec(x, w, dir.resolve("out.arrow"), "nope", Ops.MATMUL_SOFTMAX, "output");
        BadInputException e = assertThrows(BadInputException.class, () -> KernelsAlone.measure(wrongColumn, ops, allocator));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        var wrongShape = new ComputeJob.Spec(x, w, dir.resolve("out.arrow"), "features", Ops.MATMUL_SOFTMAX, "output");
        e = assertThrows(BadInputException.class, () -> KernelsAlone.measure(wrongShape, ops, allocator));
        assertTrue(e.getMessage().contains("d=8") && e.getMessage().contains("9 rows"), e.getMessage());
    }
}
