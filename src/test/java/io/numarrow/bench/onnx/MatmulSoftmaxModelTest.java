package io.numarrow.bench.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.numarrow.Reference;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** ONNX Runtime loads the model the benchmark writes and computes softmax(X·W) with it. */
class MatmulSoftmaxModelTest {
    private static final double ABS = 1e-5;
    private static final double REL = 1e-4;

    @ParameterizedTest(name = "{0}x{1} -> {2}")
    @CsvSource({"1,1,1", "1,15,17", "17,255,15", "255,17,1000", "1000,256,256", "4000,256,256"})
    void ortComputesSoftmaxOfXTimesW(int m, int k, int n) throws OrtException {
        SplittableRandom rnd = new SplittableRandom(m * 31L + k * 7L + n);
        float[] x = random(rnd, m * k, 2);
        float[] w = random(rnd, k * n, 2);
        float[] z = runOrt(MatmulSoftmaxModel.bytes(w, k, n), x, m, k, n);

        double[] xw = Reference.matmul(x, w, null, null, m, n, k, false);
        double[] expected = new double[m * n];
        for (int i = 0; i < m; i++) {
            double[] row = new double[n];
            System.arraycopy(xw, i * n, row, 0, n);
            System.arraycopy(Reference.softmaxRow(row), 0, expected, i * n, n);
        }
        Reference.assertClose(expected, Reference.widen(z), ABS, REL, "ORT softmax(X·W) " + m + "x" + k + "->" + n);
    }

    /** Softmax is over the last axis: a row whose logits differ only in one column must not touch other rows. */
    @Test
    void softmaxIsPerRow() throws OrtException {
        int k = 2;
        int n = 3;
        float[] w = {1, 0, 0, 0, 1, 0};             // column j of X·W is x[j] for j < 2, 0 for j = 2
        float[] x = {0, 0, 50, 0};
        float[] z = runOrt(MatmulSoftmaxModel.bytes(w, k, n), x, 2, k, n);
        assertArrayEquals(new float[] {1f / 3, 1f / 3, 1f / 3}, java.util.Arrays.copyOfRange(z, 0, 3), 1e-6f);
        assertEquals(1.0, z[3], 1e-6);
    }

    @Test
    void weightsOfTheWrongSizeAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatmulSoftmaxModel.bytes(new float[5], 2, 3));
        assertEquals("weights hold 5 floats, not 2×3", e.getMessage());
    }

    @Test
    void ortRejectsAnInputOfTheWrongWidth() throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(MatmulSoftmaxModel.bytes(new float[12], 4, 3));
             OnnxTensor bad = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[10]), new long[] {2, 5})) {
            assertThrows(OrtException.class, () -> session.run(Map.of(MatmulSoftmaxModel.INPUT, bad)).close());
        }
    }

    static float[] runOrt(byte[] model, float[] x, int m, int k, int n) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(model, options);
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {m, k});
             OrtSession.Result result = session.run(Map.of(MatmulSoftmaxModel.INPUT, input))) {
            OnnxTensor out = (OnnxTensor) result.get(MatmulSoftmaxModel.OUTPUT).orElseThrow();
            assertArrayEquals(new long[] {m, n}, out.getInfo().getShape());
            FloatBuffer values = out.getFloatBuffer();
            float[] z = new float[values.remaining()];
            values.get(z);
            return z;
        }
    }

    private static float[] random(SplittableRandom rnd, int count, double scale) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }
}
