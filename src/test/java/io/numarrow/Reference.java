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
                addRows(root, column, file.toString(), rows);
            }
        }
        return rows;
    }

    /** Appends the rows of {@code root}'s float list column {@code column} to {@code rows}; a null row as null. */
    public static void addRows(VectorSchemaRoot root, String column, String source, List<double[]> rows) {
        FixedSizeListVector list = TensorColumns.floatListColumn(root, column, source);
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

    /**
     * The float64 matmul every test checks against: {@code C = C0 + bias + A·B}, or {@code A·Bᵀ} when
     * {@code bTransposed} ({@code B} then {@code [n×k]}); row-major; {@code bias} ({@code [n]}) and
     * {@code c0} ({@code [m×n]}) may be null.
     */
    public static double[] matmul(double[] a, double[] b, double[] bias, double[] c0, int m, int n, int k, boolean bTransposed) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = (c0 != null ? c0[i * n + j] : 0) + (bias != null ? bias[j] : 0);
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * (bTransposed ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** {@link #matmul(double[], double[], double[], double[], int, int, int, boolean)} of float inputs (widened exactly). */
    public static double[] matmul(float[] a, float[] b, float[] bias, float[] c0, int m, int n, int k, boolean bTransposed) {
        return matmul(widen(a), widen(b), widen(bias), widen(c0), m, n, k, bTransposed);
    }

    /** One row {@code x[d]} times {@code W[d×h]} given as its rows. */
    public static double[] matmulRow(double[] x, List<double[]> w) {
        int h = w.get(0).length;
        double[] flat = new double[w.size() * h];
        for (int p = 0; p < w.size(); p++) {
            System.arraycopy(w.get(p), 0, flat, p * h, h);
        }
        return matmul(x, flat, null, null, 1, h, x.length, false);
    }

    /** The same values as doubles (exact); null stays null. */
    public static double[] widen(float[] v) {
        if (v == null) {
            return null;
        }
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
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
