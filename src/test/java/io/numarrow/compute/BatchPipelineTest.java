package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ArrowFileTest;
import io.numarrow.BadInputException;
import io.numarrow.Reference;
import io.numarrow.io.ArrowFiles;
import io.numarrow.io.BatchSink;
import io.numarrow.io.BatchSource;
import io.numarrow.io.InputBatch;
import io.numarrow.io.IpcBatchSink;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The read/compute/write pipeline: order, bounded memory, and what a failure in each stage leaves
 * behind (nothing at the output path, every batch closed: the allocator fails a test that left a
 * batch or an output slot open).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BatchPipelineTest extends ArrowFileTest {
    @Test
    void manyBatchesComeOutInOrderWithTheirBoundariesAndNullRows() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        int rows = 4001, batches = 41;
        SyntheticData.writeFeatures(x, allocator, rows, 16, batches, 13, 3);
        SyntheticData.writeWeights(w, allocator, 16, 8, 4);
        try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ComputeJob.Result r = ComputeJob.run(new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL_SOFTMAX, "output"),
                    new ParallelOps(pool), allocator);
            assertEquals(rows, r.rows());
            assertEquals(batches, r.batches());
            assertTrue(r.timings().computeNanos() > 0 && r.timings().firstBatchNanoTime() > 0, r.timings().toString());
        }
        assertEquals(batchSizes(x), batchSizes(out));
        List<Long> ids = new ArrayList<>();
        try (ArrowReader reader = ArrowFiles.read(out, allocator)) {
            while (reader.loadNextBatch()) {
                BigIntVector id = (BigIntVector) reader.getVectorSchemaRoot().getVector("id");
                for (int i = 0; i < id.getValueCount(); i++) {
                    ids.add(id.get(i));
                }
            }
        }
        for (int i = 0; i < rows; i++) {
            assertEquals(i, ids.get(i), "row " + i + " in its place");
        }
        List<double[]> ys = Reference.readRows(out, "output", allocator);
        List<double[]> xs = Reference.readRows(x, "features", allocator);
        for (int i = 0; i < rows; i++) {
            assertEquals(xs.get(i) == null, ys.get(i) == null, "row " + i + " null in and out");
        }
    }

    @Test
    void dropInputWritesTheOutputColumnAlone() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, 300, 8, 3, 7, 3);
        SyntheticData.writeWeights(w, allocator, 8, 5, 4);
        try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ComputeJob.run(new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL_SOFTMAX, "output", false, null),
                    new ParallelOps(pool), allocator);
        }
        try (ArrowReader reader = ArrowFiles.read(out, allocator)) {
            assertEquals(List.of("output"), reader.getVectorSchemaRoot().getSchema().getFields().stream()
                    .map(f -> f.getName()).toList());
        }
        List<double[]> ys = Reference.readRows(out, "output", allocator);
        List<double[]> xs = Reference.readRows(x, "features", allocator);
        List<double[]> ws = Reference.readRows(w, "weights", allocator);
        for (int i = 0; i < xs.size(); i++) {
            if (xs.get(i) == null) {
                assertNull(ys.get(i));
            } else {
                Reference.assertClose(Reference.softmaxRow(Reference.matmulRow(xs.get(i), ws)), ys.get(i), 1e-5, 1e-4, "row " + i);
            }
        }
        assertEquals(batchSizes(x), batchSizes(out));
    }

    @Test
    void noMoreThanTheSourcesBatchesInFlight() throws Exception {
        CountingSource source = new CountingSource(60, -1);
        List<Integer> written = Collections.synchronizedList(new ArrayList<>());
        BatchSink sink = new RecordingSink(written);
        new BatchPipeline<>(source, sink, slots(3), 3, (b, slot) -> b.root(), ComputeJob.Progress.NONE).run();
        assertTrue(source.maxOpen.get() <= 3, "at most 3 batches open at once, saw " + source.maxOpen.get());
        assertEquals(0, source.open.get(), "every batch closed");
        assertEquals(60, written.size());
        for (int i = 0; i < 60; i++) {
            assertEquals(i, written.get(i), "written in order");
        }
    }

    @Test
    void aBadBatchMidFileStopsTheJobAndLeavesNoOutput() throws Exception {
        Path target = dir.resolve("out.arrow");
        CountingSource source = new CountingSource(20, 7);
        BadInputException e;
        try (IpcBatchSink sink = IpcBatchSink.open(target, source.schema(), allocator, null)) {
            e = assertThrows(BadInputException.class, () -> new BatchPipeline<>(source, sink, slots(3), 3,
                    (b, slot) -> b.root(), ComputeJob.Progress.NONE).run());
        }
        assertTrue(e.getMessage().contains("batch 7"), e.getMessage());
        assertEquals(0, source.open.get(), "every batch read was closed");
        assertFolderEmpty();
    }

    @Test
    void aFailingSinkStopsTheJobAndLeavesNoOutput() throws Exception {
        Path target = dir.resolve("out.arrow");
        CountingSource source = new CountingSource(20, -1);
        List<Integer> written = Collections.synchronizedList(new ArrayList<>());
        try (IpcBatchSink real = IpcBatchSink.open(target, source.schema(), allocator, null)) {
            BatchSink failing = new BatchSink() {
                @Override
                public void write(VectorSchemaRoot batch) throws IOException {
                    if (written.size() == 4) {
                        throw new IOException("disk full (test)");
                    }
                    real.write(batch);
                    written.add(batch.getRowCount());
                }

                @Override
                public void commit() throws IOException {
                    real.commit();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
            IOException e = assertThrows(IOException.class, () -> new BatchPipeline<>(source, failing, slots(3), 3,
                    (b, slot) -> b.root(), ComputeJob.Progress.NONE).run());
            assertEquals("disk full (test)", e.getMessage());
        }
        assertEquals(4, written.size());
        assertEquals(0, source.open.get(), "every batch read was closed");
        assertFolderEmpty();
    }

    /**
     * Issue 27 item 5: the writer fails (a full disk) while the next batch is being computed; the
     * failure interrupts the computing thread, whose hand-over of that batch then fails too. The
     * batch must still be closed: it leaked before (Arrow's "Memory was leaked" at exit).
     */
    @Test
    void aSinkFailingWhileTheNextBatchComputesLeavesEveryBatchClosed() throws Exception {
        CountingSource source = new CountingSource(10, -1);
        CountDownLatch computingSecond = new CountDownLatch(1);
        BatchSink full = new BatchSink() {
            @Override
            public void write(VectorSchemaRoot batch) throws IOException {
                try {
                    computingSecond.await(); // fail only once batch 1 is being computed
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("No space left on device (test)");
            }

            @Override
            public void commit() {
            }

            @Override
            public void close() {
            }
        };
        IOException e = assertThrows(IOException.class, () -> new BatchPipeline<>(source, full, slots(3), 3,
                (b, slot) -> {
                    if (b.index() == 1) {
                        computingSecond.countDown();
                        while (!Thread.currentThread().isInterrupted()) { // the writer's failure interrupts this thread
                            Thread.onSpinWait();
                        }
                    }
                    return b.root();
                }, ComputeJob.Progress.NONE).run());
        assertEquals("No space left on device (test)", e.getMessage());
        assertEquals(0, source.open.get(), "every batch read was closed, the one being computed too");
    }

    @Test
    void aFailingComputeStopsTheReaderAndTheWriter() throws Exception {
        CountingSource source = new CountingSource(50, -1);
        List<Integer> written = Collections.synchronizedList(new ArrayList<>());
        IllegalStateException boom = new IllegalStateException("kernel failed (test)");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new BatchPipeline<>(source,
                new RecordingSink(written), slots(3), 3, (b, slot) -> {
                    if (b.index() == 5) {
                        throw boom;
                    }
                    return b.root();
                }, ComputeJob.Progress.NONE).run());
        assertSame(boom, e);
        assertEquals(0, source.open.get(), "every batch read was closed");
        assertTrue(written.size() <= 5, "nothing after the failed batch was written: " + written);
    }

    private void assertFolderEmpty() throws IOException {
        try (var files = Files.list(dir)) {
            List<Path> left = files.toList();
            assertEquals(List.of(), left, "nothing at the output path, no temporary file");
        }
        assertFalse(Files.exists(dir.resolve("out.arrow")));
    }

    private List<Integer> batchSizes(Path file) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        try (ArrowReader reader = ArrowFiles.read(file, allocator)) {
            while (reader.loadNextBatch()) {
                sizes.add(reader.getVectorSchemaRoot().getRowCount());
            }
        }
        return sizes;
    }

    private static List<Object> slots(int n) {
        List<Object> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(new Object());
        }
        return s;
    }

    /** Batches of one int64 column {@code id} holding the batch index, {@code index + 1} rows; fails at {@code failAt}. */
    private final class CountingSource implements BatchSource {
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final int batches;
        final int failAt;
        final Schema schema;
        int next;

        CountingSource(int batches, int failAt) {
            this.batches = batches;
            this.failAt = failAt;
            try (BigIntVector v = new BigIntVector("id", allocator)) {
                this.schema = new Schema(List.of(v.getField()));
            }
        }

        @Override
        public Schema schema() {
            return schema;
        }

        @Override
        public String describe() {
            return "test source";
        }

        @Override
        public InputBatch next() {
            if (next == failAt) {
                throw new BadInputException("test source: corrupt record batch " + next);
            }
            if (next == batches) {
                return null;
            }
            int index = next++;
            VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
            BigIntVector id = (BigIntVector) root.getVector("id");
            id.allocateNew(index + 1);
            for (int i = 0; i <= index; i++) {
                id.set(i, index);
            }
            root.setRowCount(index + 1);
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            return InputBatch.of(root, index, () -> {
                root.close();
                open.decrementAndGet();
            });
        }

        @Override
        public int maxInFlight() {
            return 3;
        }

        @Override
        public void close() {
        }
    }

    /** Records the batch index of each batch written (its {@code id}). */
    private record RecordingSink(List<Integer> written) implements BatchSink {
        @Override
        public void write(VectorSchemaRoot batch) throws IOException {
            written.add((int) ((BigIntVector) batch.getVector("id")).get(0));
        }

        @Override
        public void commit() {
        }

        @Override
        public void close() {
        }
    }
}
