package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import io.numarrow.JobInputs;
import io.numarrow.Reference;
import io.numarrow.tensor.TensorColumns;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25: resident memory does not grow with the file on the in-place path, and the job runs in
 * a 128 MB heap. The same job over 400k and 4M rows (batches of 4000 rows, d = h = 8, input columns
 * kept: 1000 batches, a 220 MB input and a 350 MB output for the larger) in JVMs of their own with
 * {@code -Xmx128m}: the larger job's peak resident memory stays within a few MB of the smaller's.
 * A job that kept its finished batches' pages (input or output) mapped would add about 350 MB. The
 * columns are narrow so that 4M rows stay small on disk and quick to write on a 2-core machine.
 */
@Timeout(300)
class InPlaceMemoryTest {
    private static final int D = 8;
    private static final int H = 8;
    /**
     * Peak resident memory the larger job may add (it added 8 MB when this was written; 110 MB while
     * the input check's pages stayed mapped until each batch was released).
     */
    private static final long ALLOWED_GROWTH_KIB = 24 * 1024;

    @TempDir
    Path dir;

    record Peak(long rows, boolean inPlace, long kib, String atEnd) {
    }

    @Test
    void residentMemoryDoesNotGrowWithTheFileAndTheJobRunsInA128MbHeap() throws Exception {
        Peak small = job("400k", 400_000, 100);
        Peak large = job("4m", 4_000_000, 1000);
        assertTrue(small.inPlace() && large.inPlace(), "both jobs computed in place: " + small + ", " + large);
        assertEquals(400_000, small.rows());
        assertEquals(4_000_000, large.rows());
        System.out.println("400k rows: " + small.atEnd() + "\n4M rows: " + large.atEnd());
        assertTrue(large.kib() - small.kib() < ALLOWED_GROWTH_KIB, "peak resident memory grew with the file: 400k rows "
                + small + ", 4M rows " + large);
    }

    /** Writes the inputs, runs the job in a child JVM with -Xmx128m, checks the output's last batch, deletes the files. */
    private Peak job(String name, int rows, int batches) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(name));
        JobInputs in = JobInputs.write(folder, rows, D, H, batches, 97);
        Path out = folder.resolve("out.arrow");
        List<String> command = new ArrayList<>(ChildJvm.command(InPlaceMemoryProbe.class, in.x().toString(),
                in.w().toString(), out.toString()));
        // after ChildJvm's own -Xmx (the last one counts); the heap touched whole up front, so that the
        // longer job's fuller heap does not pass for memory growing with the file
        command.addAll(command.indexOf("-cp"), List.of("-Xmx128m", "-Xms128m", "-XX:+AlwaysPreTouch"));
        Path log = folder.resolve("probe.log");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(240, TimeUnit.SECONDS), name + ": the job did not finish");
        String output = Files.readString(log);
        assertEquals(0, child.exitValue(), output);
        String line = output.lines().filter(l -> l.startsWith("rows=")).findFirst().orElse(null);
        assertNotNull(line, output);
        String[] f = line.split("[ =]");
        Peak peak = new Peak(Long.parseLong(f[1]), Boolean.parseBoolean(f[3]), Long.parseLong(f[5]), line);
        assertLastBatchRight(in, out, rows);
        Files.delete(in.x());
        Files.delete(out);
        return peak;
    }

    /** The output's last batch, row by row, against float64 (the rows a job that lost track of its pages gets wrong). */
    private static void assertLastBatchRight(JobInputs in, Path out, int rows) throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
             FileChannel ch = FileChannel.open(out, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(ch, allocator)) {
            List<ArrowBlock> blocks = reader.getRecordBlocks();
            assertTrue(reader.loadRecordBatch(blocks.getLast()));
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            Schema schema = root.getSchema();
            assertEquals(List.of("id", "features", "label", "output"), schema.getFields().stream().map(f -> f.getName()).toList());
            List<double[]> ws = Reference.readRows(in.w(), "weights", allocator);
            FixedSizeListVector x = TensorColumns.floatListColumn(root, "features", out.toString());
            FixedSizeListVector y = TensorColumns.floatListColumn(root, "output", out.toString());
            int n = root.getRowCount();
            long first = rows - n;
            for (int r = 0; r < n; r++) {
                if ((first + r) % 97 == 96) { // SyntheticData's null rows
                    assertTrue(x.isNull(r) && y.isNull(r), "row " + (first + r) + " null in and out");
                    continue;
                }
                double[] xr = new double[D];
                double[] yr = new double[H];
                for (int c = 0; c < D; c++) {
                    xr[c] = ((Float4Vector) x.getDataVector()).get(r * D + c);
                }
                for (int c = 0; c < H; c++) {
                    yr[c] = ((Float4Vector) y.getDataVector()).get(r * H + c);
                }
                Reference.assertClose(Reference.softmaxRow(Reference.matmulRow(xr, ws)), yr, 1e-5, 1e-4, "row " + (first + r));
            }
        }
    }
}
