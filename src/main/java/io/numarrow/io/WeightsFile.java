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
 * Reads a weight matrix {@code W[d×h]} into one contiguous tensor, from an Arrow IPC file of {@code d}
 * rows of {@code FixedSizeList<float32>[h]} or from a numpy {@code .npy} file of shape {@code (d, h)}
 * ({@link NpyFile}; told by its first bytes, not its name); and a bias row {@code b[h]} the same way.
 * Weights holding NaN or an infinity are refused: every row they touch would score NaN, so a model
 * carrying them is broken, and saying so once beats writing a file of NaN.
 */
public final class WeightsFile {
    private WeightsFile() {
    }

    /**
     * Reads the weights in {@code file}: a {@code .npy} array of shape {@code (d, h)}, or an Arrow IPC
     * file's only fixed-size-list column (the one named {@code weights} when there are several).
     */
    public static Tensor load(Path file, BufferAllocator allocator) {
        return requireFinite(NpyFile.isNpy(file) ? NpyFile.readMatrix(file, "weights", allocator)
                : loadArrow(file, allocator, "weights"), file.toString(), "weights");
    }

    /**
     * Reads a bias row of {@code h} values into a {@code 1×h} tensor: a {@code .npy} array of shape
     * {@code (h,)}, or an Arrow IPC file of one {@code FixedSizeList<float32>[h]} row.
     */
    public static Tensor loadBias(Path file, BufferAllocator allocator) {
        if (NpyFile.isNpy(file)) {
            return requireFinite(NpyFile.readVector(file, "bias", allocator), file.toString(), "bias");
        }
        Tensor b = loadArrow(file, allocator, "bias");
        if (b.rows() != 1) {
            int rows = b.rows();
            int h = b.cols();
            b.close();
            throw new BadInputException(file + ": the bias file has " + rows + " rows of " + h
                    + " values; expected one row, FixedSizeList<float32>[h]");
        }
        return requireFinite(b, file.toString(), "bias");
    }

    /**
     * {@code t} when every value is finite; else closes it and throws a {@link BadInputException} saying how
     * many are not and where the first is. {@code source} names where the values came from (a file), and
     * {@code what} what they are ({@code weights}, {@code bias}).
     */
    public static Tensor requireFinite(Tensor t, String source, String what) {
        MemorySegment s = t.liveSegment();
        long count = t.elementCount();
        long bad = 0;
        long first = -1;
        for (long i = 0; i < count; i++) {
            if (!Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i))) {
                first = first < 0 ? i : first;
                bad++;
            }
        }
        if (bad == 0) {
            return t;
        }
        float v = s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, first);
        int cols = t.cols();
        t.close();
        throw new BadInputException(source + ": the " + what + (what.equals("bias") ? " holds " : " hold ") + bad + (bad == 1 ? " value that is" : " values that are")
                + " NaN or infinite (the first, " + v + ", at row " + first / cols + ", column " + first % cols
                + "); every score they touch would be NaN, so numarrow refuses them");
    }

    private static Tensor loadArrow(Path file, BufferAllocator allocator, String what) {
        ArrowFiles.Opened opened = ArrowFiles.open(file, allocator);
        try (ArrowReader reader = opened.reader()) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            String column = pickColumn(root, file);
            return reader instanceof MappedArrowFileReader mapped
                    ? loadMapped(mapped, root, column, file, allocator, what)
                    : loadCopying(reader, root, column, file, allocator, what);
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
                                     BufferAllocator allocator, String what) throws IOException {
        int batches = reader.getRecordBatchCount();
        long d = 0;
        for (int b = 0; b < batches; b++) {
            reader.loadRecordBatch(b);
            FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
            checkNoNullRows(list, root.getRowCount(), d, column, file, what);
            d += root.getRowCount();
        }
        int h = TensorColumns.floatListColumn(root, column, file.toString()).getListSize();
        checkShape(d, h, file, what);
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
                                      BufferAllocator allocator, String what) throws IOException {
        List<float[]> chunks = new ArrayList<>();
        int h = -1;
        long d = 0;
        while (reader.loadNextBatch()) {
            FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
            h = list.getListSize();
            int rows = root.getRowCount();
            checkNoNullRows(list, rows, d, column, file, what);
            try (Tensor view = TensorColumns.view(list)) {
                chunks.add(view.toArray());
            }
            d += rows;
        }
        if (h < 0) {
            h = TensorColumns.floatListColumn(root, column, file.toString()).getListSize();
        }
        checkShape(d, h, file, what);
        Tensor w = Tensor.allocate(allocator, Math.toIntExact(d), h);
        long offset = 0;
        for (float[] chunk : chunks) {
            MemorySegment.copy(chunk, 0, w.liveSegment(), ValueLayout.JAVA_FLOAT_UNALIGNED,
                    offset, chunk.length);
            offset += (long) chunk.length * Float.BYTES;
        }
        return w;
    }

    private static void checkNoNullRows(FixedSizeListVector list, int rows, long before, String column, Path file,
                                        String what) {
        for (int r = 0; r < rows; r++) {
            if (list.isNull(r)) {
                throw new BadInputException(file + ": row " + (before + r) + " of " + what + " column '"
                        + column + "' is null; " + what + " must have no null rows");
            }
        }
    }

    private static void checkShape(long d, int h, Path file, String what) {
        if (d == 0) {
            throw new BadInputException(file + ": the " + what + " file has no rows");
        }
        if (h == 0) {
            throw new BadInputException(file + ": the " + what + " rows have length 0");
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
