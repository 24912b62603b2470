package io.numarrow.io;

import io.numarrow.BadInputException;
import io.numarrow.compute.SyntheticData;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/**
 * Run in a JVM of its own by {@link ShrinkingMappedFileTest}, since a failure here is a JVM crash: maps
 * a file, warms the kernels up on a batch viewed in place, shrinks the file under the view, and runs
 * the kernels on it again (they fault: SIGBUS). Prints what each step threw; exit 0 means the JVM lived.
 * {@code args[0]} is a folder to work in.
 */
public final class ShrinkingFileProbe {
    private ShrinkingFileProbe() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Path file = dir.resolve("shrinking.arrow");
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ParallelOps ops = new ParallelOps(pool);
            SyntheticData.writeFeatures(file, allocator, 8192, 256, 2, 0, 7);
            try (MappedArrowFileReader reader = MappedArrowFileReader.openMapped(file, allocator);
                 Tensor w = Tensor.allocate(allocator, 256, 256);
                 Tensor out = Tensor.allocate(allocator, 4096, 256)) {
                reader.loadNextBatch();
                FixedSizeListVector features = TensorColumns.floatListColumn(reader.getVectorSchemaRoot(), "features", file.toString());
                try (Tensor x = TensorColumns.view(features)) {
                    for (int i = 0; i < 60; i++) { // warm up: the kernels are compiled by C2 by the end
                        ops.softmaxInto(x, out);
                        if (i % 3 == 0) {
                            ops.matmulSoftmaxInto(x, w, out);
                        }
                    }
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        ch.truncate(4096); // the whole first batch body is past the new end now
                    }
                    for (String op : new String[] {"softmax", "matmul"}) {
                        try {
                            if (op.equals("softmax")) {
                                ops.softmaxInto(x, out);
                            } else {
                                ops.matmulSoftmaxInto(x, w, out);
                            }
                            System.out.println(op + " on the shrunk file: no fault");
                        } catch (InternalError e) {
                            System.out.println(op + " on the shrunk file: InternalError: " + e.getMessage());
                            BadInputException explained = (BadInputException) reader.snapshot().explain(e);
                            System.out.println("explained: " + explained.getMessage());
                        }
                    }
                }
                try {
                    reader.loadNextBatch();
                    System.out.println("next batch: loaded (unexpected)");
                } catch (BadInputException e) {
                    System.out.println("next batch: " + e.getMessage());
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.println("the JVM lived");
    }
}
