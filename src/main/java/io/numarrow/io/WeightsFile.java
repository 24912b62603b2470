package io.numarrow.io;

import io.numarrow.BadInputException;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Reads a weight matrix {@code W[d×h]} from an Arrow IPC file of {@code d} rows of
 * {@code FixedSizeList<float32>[h]}, into one contiguous tensor.
 */
public final class WeightsFile {
    private WeightsFile() {
    }

    /**
     * Reads the weights in {@code file}: its only fixed-size-list column, or the one named
     * {@code weights} when there are several.
     */
    public static Tensor load(Path file, BufferAllocator allocator) {
        ArrowFiles.Opened opened = ArrowFiles.open(file, allocator);
        try (ArrowReader reader = opened.reader()) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            String column = pickColumn(root, file);
            return reader instanceof MappedArrowFileReader mapped
                    ? loadMapped(mapped, root, column, file, allocator)
                    : loadCopying(reader, root, column, file, allocator);
        } catch (IOException e) {
            throw new BadInputException(file + ": not a readable Arrow IPC file (" + e.getMessage() + ")", e);
        } catch (InternalError e) {
            throw opened.explainFault(e); // the mapped file shrank while being read
        }
    }

    /**
     * From a mapped file: a first pass over the batches (views, no copies) finds the shape and
     * checks for nulls, a second copies each batch's rows straight into the tensor.
     */
    private static Tensor loadMapped(MappedArrowFileReader reader, VectorSchemaRoot root, String column, Path file,
                                     BufferAllocator allocator) throws IOException {
        int batches = reader.getRecordBatchCount();
        long d = 0;
        for (int b = 0; b < batches; b++) {
            reader.loadRecordBatch(b);
            FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
            checkNoNullRows(list, root.getRowCount(), d, column, file);
            d += root.getRowCount();
        }
        int h = TensorColumns.floatListColumn(root, column, file.toString()).getListSize();
        checkShape(d, h, file);
        Tensor w = Tensor.allocate(allocator, Math.toIntExact(d), h);
        try {
            long offset = 0;
            for (int b = 0; b < batches; b++) {
                reader.loadRecordBatch(b);
                FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
                long bytes = (long) root.getRowCount() * h * Float.BYTES;
                if (bytes > 0) {
                    try (Tensor view = TensorColumns.view(list)) {
                        MemorySegment.copy(view.liveSegment(), 0, w.liveSegment(), offset, bytes);
                    }
                }
                offset += bytes;
            }
            return w;
        } catch (RuntimeException | IOException e) {
            w.close();
            throw e;
        }
    }

    /** From any other reader: each batch is copied out before the next one replaces it. */
    private static Tensor loadCopying(ArrowReader reader, VectorSchemaRoot root, String column, Path file,
                                      BufferAllocator allocator) throws IOException {
        List<float[]> chunks = new ArrayList<>();
        int h = -1;
        long d = 0;
        while (reader.loadNextBatch()) {
            FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
            h = list.getListSize();
            int rows = root.getRowCount();
            checkNoNullRows(list, rows, d, column, file);
            try (Tensor view = TensorColumns.view(list)) {
                chunks.add(view.toArray());
            }
            d += rows;
        }
        if (h < 0) {
            h = TensorColumns.floatListColumn(root, column, file.toString()).getListSize();
        }
        checkShape(d, h, file);
        Tensor w = Tensor.allocate(allocator, Math.toIntExact(d), h);
        long offset = 0;
        for (float[] chunk : chunks) {
            MemorySegment.copy(chunk, 0, w.liveSegment(), ValueLayout.JAVA_FLOAT_UNALIGNED,
                    offset, chunk.length);
            offset += (long) chunk.length * Float.BYTES;
        }
        return w;
    }

    private static void checkNoNullRows(FixedSizeListVector list, int rows, long before, String column, Path file) {
        for (int r = 0; r < rows; r++) {
            if (list.isNull(r)) {
                throw new BadInputException(file + ": row " + (before + r) + " of weights column '"
                        + column + "' is null; weights must have no null rows");
            }
        }
    }

    private static void checkShape(long d, int h, Path file) {
        if (d == 0) {
            throw new BadInputException(file + ": the weights file has no rows");
        }
        if (h == 0) {
            throw new BadInputException(file + ": the weights rows have length 0");
        }
    }

    private static String pickColumn(VectorSchemaRoot root, Path file) {
        List<Field> fields = root.getSchema().getFields();
        List<String> lists = new ArrayList<>();
        for (Field f : fields) {
            FieldVector v = root.getVector(f.getName());
            FieldVector storage = v instanceof ExtensionTypeVector<?> e
                    ? e.getUnderlyingVector() : v;
            if (storage instanceof FixedSizeListVector) {
                lists.add(f.getName());
            }
        }
        if (lists.size() == 1) {
            return lists.get(0);
        }
        if (lists.contains("weights")) {
            return "weights";
        }
        if (lists.isEmpty()) {
            return fields.isEmpty() ? "weights" : fields.get(0).getName(); // floatListColumn explains
        }
        throw new BadInputException(file + ": several list columns " + lists
                + "; name the weights column 'weights'");
    }
}
