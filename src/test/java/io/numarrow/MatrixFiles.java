package io.numarrow;

import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.tensor.FixedShapeTensorVector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Weights and bias files with given values, in the Arrow form and in numpy's .npy form, for tests. */
public final class MatrixFiles {
    private MatrixFiles() {
    }

    /** {@code rows} rows of {@code FixedSizeList<float32>[cols]} holding {@code rowMajor}. */
    public static Path writeArrow(Path file, BufferAllocator allocator, int rows, int cols, float[] rowMajor) {
        try (FixedShapeTensorVector w = TensorColumns.allocateTensorColumn("weights", allocator, rows, cols)) {
            try (Tensor view = TensorColumns.view(w)) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        view.set(r, c, rowMajor[r * cols + c]);
                    }
                }
            }
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(w.getField()), List.of(w), rows);
            ArrowFiles.write(file, root);
        }
        return file;
    }

    /**
     * A features file: one batch whose column {@code features} ({@code FixedSizeList<float32>[d]}) holds
     * {@code rows}, a null entry as a null row, beside an {@code id} column (the row's index).
     */
    public static Path writeFeatures(Path file, BufferAllocator allocator, int d, float[][] rows) {
        try (org.apache.arrow.vector.BigIntVector id = new org.apache.arrow.vector.BigIntVector("id", allocator);
             FixedShapeTensorVector x = TensorColumns.allocateTensorColumn("features", allocator, rows.length, d)) {
            id.allocateNew(rows.length);
            try (Tensor view = TensorColumns.view(x)) {
                for (int r = 0; r < rows.length; r++) {
                    id.set(r, r);
                    if (rows[r] == null) {
                        x.getUnderlyingVector().setNull(r);
                        continue;
                    }
                    for (int c = 0; c < d; c++) {
                        view.set(r, c, rows[r][c]);
                    }
                }
            }
            id.setValueCount(rows.length);
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(id.getField(), x.getField()), List.of(id, x), rows.length);
            ArrowFiles.write(file, root);
        }
        return file;
    }

    /** A little-endian float32 {@code .npy} (format 1.0, C order) of shape {@code shape} holding {@code values}. */
    public static Path writeNpy(Path file, String shape, float[] values) {
        ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            data.putFloat(v);
        }
        return writeNpy(file, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", data.array());
    }

    /**
     * A {@code .npy} of format version {@code major}.0 with the header dict {@code header} (padded with
     * spaces and a newline to a multiple of 64 bytes, as numpy does) followed by {@code data}.
     */
    public static Path writeNpy(Path file, int major, String header, byte[] data) {
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] dict = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int unpadded = 8 + lengthBytes + dict.length + 1;
        int padding = (64 - unpadded % 64) % 64;
        int headerLength = dict.length + padding + 1;
        ByteBuffer b = ByteBuffer.allocate(8 + lengthBytes + headerLength + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) headerLength);
        } else {
            b.putInt(headerLength);
        }
        b.put(dict);
        for (int i = 0; i < padding; i++) {
            b.put((byte) ' ');
        }
        b.put((byte) '\n');
        b.put(data);
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
