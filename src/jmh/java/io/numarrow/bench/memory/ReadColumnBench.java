package io.numarrow.bench.memory;

import io.numarrow.io.MappedArrowFileReader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Read every batch of an Arrow IPC file (1 GiB by default: a float32 column {@code x} beside a
 * {@code FixedSizeList<float32>[63]} column, 64 batches) and sum {@code x}: the mapped reader
 * beside Arrow's {@link ArrowFileReader}. The file is written to /tmp in setup and deleted after.
 *
 * <p>The {@code offHeapBytes}/{@code fileBytes} counters give the bytes each reader allocated off
 * heap per byte of file (through a counting allocation manager); run with {@code -prof gc} for
 * the heap side ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1) // JVM flags: jvm.flags, through BenchMain
public class ReadColumnBench {
    private static final int LIST_SIZE = 63;
    private static final int BATCHES = 64;

    @Param({"1024"})
    public int fileMiB;

    private Path file;
    private CountingAllocationFactory counting;
    private BufferAllocator allocator;

    /** Bytes allocated off heap and bytes of file read, summed over the iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Allocated {
        public long offHeapBytes;
        public long fileBytes;
    }

    @Setup(Level.Trial)
    public void writeFile() throws IOException {
        file = Files.createTempFile(Path.of("/tmp"), "numarrow-bench-", ".arrow");
        long rowBytes = 4L * (1 + LIST_SIZE);
        int rowsPerBatch = (int) (((long) fileMiB << 20) / rowBytes / BATCHES);
        try (BufferAllocator a = new RootAllocator();
             Float4Vector x = new Float4Vector("x", a);
             FixedSizeListVector v = (FixedSizeListVector) new Field("features",
                     FieldType.notNullable(new ArrowType.FixedSizeList(LIST_SIZE)),
                     List.of(new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(
                             FloatingPointPrecision.SINGLE)), null))).createVector(a);
             FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            List<FieldVector> vectors = List.of(x, v);
            VectorSchemaRoot root = new VectorSchemaRoot(vectors.stream().map(FieldVector::getField).toList(), vectors, 0);
            try (ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
                w.start();
                x.allocateNew(rowsPerBatch);
                v.allocateNew();
                Float4Vector item = (Float4Vector) v.getDataVector();
                item.allocateNew(rowsPerBatch * LIST_SIZE);
                for (int r = 0; r < rowsPerBatch; r++) {
                    v.setNotNull(r);
                }
                for (int i = 0; i < rowsPerBatch * LIST_SIZE; i++) {
                    item.set(i, i % 1000);
                }
                item.setValueCount(rowsPerBatch * LIST_SIZE);
                for (int b = 0; b < BATCHES; b++) {
                    for (int r = 0; r < rowsPerBatch; r++) {
                        x.set(r, (b + r) % 17);
                    }
                    root.setRowCount(rowsPerBatch);
                    w.writeBatch();
                }
                w.end();
            }
        }
        counting = new CountingAllocationFactory();
        allocator = new RootAllocator(RootAllocator.configBuilder().allocationManagerFactory(counting).build());
    }

    @TearDown(Level.Trial)
    public void deleteFile() throws IOException {
        allocator.close();
        Files.deleteIfExists(file);
    }

    @Benchmark
    public double readSum_numarrow(Allocated allocated) throws IOException {
        long before = counting.bytes.sum();
        try (ArrowReader r = MappedArrowFileReader.openMapped(file, allocator)) {
            double s = sumColumn(r);
            allocated.offHeapBytes += counting.bytes.sum() - before;
            allocated.fileBytes += Files.size(file);
            return s;
        }
    }

    @Benchmark
    public double readSum_arrow(Allocated allocated) throws IOException {
        long before = counting.bytes.sum();
        try (FileChannel ch = FileChannel.open(file); ArrowReader r = new ArrowFileReader(ch, allocator)) {
            double s = sumColumn(r);
            allocated.offHeapBytes += counting.bytes.sum() - before;
            allocated.fileBytes += Files.size(file);
            return s;
        }
    }

    /** The same summing code for both readers: over the column's data as a memory segment. */
    static double sumColumn(ArrowReader r) throws IOException {
        double total = 0;
        VectorSchemaRoot root = r.getVectorSchemaRoot();
        while (r.loadNextBatch()) {
            Float4Vector x = (Float4Vector) root.getVector("x");
            int n = root.getRowCount();
            MemorySegment data = MemorySegment.ofAddress(x.getDataBufferAddress()).reinterpret(4L * n);
            float s = 0;
            for (int i = 0; i < n; i++) {
                s += data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            }
            total += s;
        }
        return total;
    }
}
