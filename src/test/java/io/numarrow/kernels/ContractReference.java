package io.numarrow.kernels;

/**
 * docs/reproducibility.md written out in scalar Java, one element at a time: what every matmul and
 * softmax path must give bit for bit. Scalar code has one rounding per operation in every JIT tier, so
 * this is the contract itself rather than another kernel.
 */
final class ContractReference {
    private ContractReference() {
    }

    /** The K block of this JVM's matmul kernel. */
    static int kc() {
        return GemmBlocking.forShape(TileChoice.preferred()).kc();
    }

    /** {@code C (=|+=) A·op(B) (+ bias)} in the contract's order; {@code c0} is C before (null: zeros, unused). */
    static float[] gemm(float[] a, float[] b, float[] c0, float[] bias, int m, int n, int k, boolean transposeB,
                        boolean accumulate) {
        int kc = kc();
        float[] c = c0 == null ? new float[m * n] : c0.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float cij = c[i * n + j];
                int pc = 0;
                do {
                    int kcb = Math.min(kc, k - pc);
                    float s = 0f;
                    for (int p = pc; p < pc + kcb; p++) {
                        s = Math.fma(a[i * k + p], transposeB ? b[j * k + p] : b[p * n + j], s);
                    }
                    if (pc == 0 && bias != null) {
                        s = s + bias[j];
                    }
                    if (accumulate || pc > 0) {
                        s = s + cij;
                    }
                    cij = s;
                    pc += kc;
                } while (pc < k);
                c[i * n + j] = cij;
            }
        }
        return c;
    }

    /** Softmax of every row in the contract's order. */
    static float[] softmax(float[] x, int rows, int cols) {
        float[] y = new float[x.length];
        int lanes = VectorExp.SPECIES.length();
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, x[base + j]);
            }
            if (Float.isNaN(max) || Float.isInfinite(max)) {
                java.util.Arrays.fill(y, base, base + cols, Float.NaN);
                continue;
            }
            float[] e = new float[cols];
            for (int j = 0; j < cols; j++) {
                e[j] = VectorExp.expMinusMaxScalar(max - x[base + j]);
            }
            int whole = cols - cols % lanes;
            float[][] chains = new float[2][lanes];
            for (int v = 0; v < whole / lanes; v++) {
                for (int l = 0; l < lanes; l++) {
                    chains[v % 2][l] = chains[v % 2][l] + e[v * lanes + l];
                }
            }
            float[] s = new float[lanes];
            for (int l = 0; l < lanes; l++) {
                s[l] = chains[0][l] + chains[1][l];
            }
            for (int half = lanes / 2; half > 0; half /= 2) {
                for (int l = 0; l < half; l++) {
                    s[l] = s[l] + s[l + half];
                }
            }
            float sum = s[0];
            for (int j = whole; j < cols; j++) {
                sum = sum + e[j];
            }
            float inv = 1f / sum;
            for (int j = 0; j < cols; j++) {
                y[base + j] = e[j] * inv;
            }
        }
        return y;
    }
}
