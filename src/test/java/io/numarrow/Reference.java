package io.numarrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.TensorColumns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;

/** Float64 reference computations and file readers shared by tests. */
public final class Reference {
    private Reference() {
    }

    /** The rows of a float list column of every batch of a file; a null row is null. */
    public static List<double[]> readRows(Path file, String column, BufferAllocator allocator) throws Exception {
        List<double[]> rows = new ArrayList<>();
        try (ArrowReader reader = ArrowFiles.read(file, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                FixedSizeListVector list = TensorColumns.floatListColumn(root, column, file.toString());
                Float4Vector data = (Float4Vector) list.getDataVector();
                int d = list.getListSize();
                for (int r = 0; r < root.getRowCount(); r++) {
                    if (list.isNull(r)) {
                        rows.add(null);
                        continue;
                    }
                    double[] row = new double[d];
                    for (int c = 0; c < d; c++) {
                        row[c] = data.get(r * d + c);
                    }
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    public static double[] matmulRow(double[] x, List<double[]> w) {
        int h = w.get(0).length;
        double[] y = new double[h];
        for (int p = 0; p < x.length; p++) {
            for (int j = 0; j < h; j++) {
                y[j] += x[p] * w.get(p)[j];
            }
        }
        return y;
    }

    public static double[] softmaxRow(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.exp(x[i] - max);
            sum += y[i];
        }
        for (int i = 0; i < x.length; i++) {
            y[i] /= sum;
        }
        return y;
    }

    /** Asserts {@code |actual - expected| <= abs + rel·|expected|} element by element. */
    public static void assertClose(double[] expected, double[] actual, double abs, double rel, String where) {
        assertEquals(expected.length, actual.length, where + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = abs + rel * Math.abs(expected[i]);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                    where + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + " (tolerance " + tol + ")");
        }
    }
}
