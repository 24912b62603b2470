package io.numarrow.compute;

import io.numarrow.BadInputException;
import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Loading a weight matrix {@code W[d×h]} from an Arrow IPC file of {@code d} rows of
 * {@code FixedSizeList<float32>[h]}, into one contiguous tensor.
 */
public final class Weights {
    private Weights() {
    }

    /**
     * Reads the weights in {@code file}: its only fixed-size-list column, or the one named
     * {@code weights} when there are several.
     */
    public static Tensor load(Path file, BufferAllocator allocator) {
        List<float[]> chunks = new ArrayList<>();
        int h = -1;
        long d = 0;
        try (ArrowReader reader = ArrowFiles.read(file, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            String column = pickColumn(root, file);
            while (reader.loadNextBatch()) {
                FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
                h = list.getListSize();
                int rows = root.getRowCount();
                for (int r = 0; r < rows; r++) {
                    if (list.isNull(r)) {
                        throw new BadInputException(file + ": row " + (d + r) + " of weights column '"
                                + column + "' is null; weights must have no null rows");
                    }
                }
                try (Tensor view = TensorColumns.view(list)) {
                    chunks.add(view.toArray());
                }
                d += rows;
            }
            if (h < 0) {
                h = TensorColumns.floatListColumn(root, column, file.toString()).getListSize();
            }
        } catch (IOException e) {
            throw new BadInputException(file + ": not a readable Arrow IPC file (" + e.getMessage() + ")", e);
        }
        if (d == 0) {
            throw new BadInputException(file + ": the weights file has no rows");
        }
        if (h == 0) {
            throw new BadInputException(file + ": the weights rows have length 0");
        }
        Tensor w = Tensor.allocate(allocator, Math.toIntExact(d), h);
        long offset = 0;
        for (float[] chunk : chunks) {
            MemorySegment.copy(chunk, 0, w.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED,
                    offset, chunk.length);
            offset += (long) chunk.length * Float.BYTES;
        }
        return w;
    }

    private static String pickColumn(VectorSchemaRoot root, Path file) {
        List<Field> fields = root.getSchema().getFields();
        List<String> lists = new ArrayList<>();
        for (Field f : fields) {
            FieldVector v = root.getVector(f.getName());
            FieldVector storage = v instanceof org.apache.arrow.vector.ExtensionTypeVector<?> e
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
