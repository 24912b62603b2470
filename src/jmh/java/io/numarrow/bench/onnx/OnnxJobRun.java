package io.numarrow.bench.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One side of the ONNX comparison in a JVM of its own: {@code batches} batches of softmax(X·W) at
 * {@code rows×k→n}, by ONNX Runtime or by numarrow, timed from before the session (or the pool) is
 * created, so the first batch carries what a fresh job pays. Prints one line of figures for
 * {@link OnnxSuite}.
 *
 * <p>Both sides get the same data (the same seeds), already in native memory before the clock starts,
 * and write into an output made once: ORT through a pinned output over a direct buffer, numarrow
 * into a tensor, so neither copies per batch.
 */
public final class OnnxJobRun {
    /** Distinct input batches cycled through, so no side sees the same X twice in a row. */
    static final int DISTINCT_INPUTS = 4;

    private OnnxJobRun() {
    }

    /**
     * Arguments: {@code ort|ort-nospin|numarrow|numarrow-plain rows k n batches threads}; {@code ort-nospin}
     * turns off the spinning of ORT's intra-op threads (on by default), which matters on a machine shared
     * with other work. {@code numarrow} prepares W once after the pool is made, as ORT packs its constant
     * initializer once when the session is made; {@code numarrow-plain} passes the plain W to every batch,
     * which packs it again each time.
     */
    public static void main(String[] args) throws Exception {
        String side = args[0];
        int rows = Integer.parseInt(args[1]);
        int k = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        int batches = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]);
        float[] w = random(new SplittableRandom(42), k * n);
        float[][] xs = new float[DISTINCT_INPUTS][];
        for (int i = 0; i < DISTINCT_INPUTS; i++) {
            xs[i] = random(new SplittableRandom(1000 + i), rows * k);
        }
        long[] ends = switch (side) {
            case "ort" -> runOrt(w, xs, rows, k, n, batches, threads, true);
            case "ort-nospin" -> runOrt(w, xs, rows, k, n, batches, threads, false);
            case "numarrow" -> runNumarrow(w, xs, rows, k, n, batches, threads, true);
            case "numarrow-plain" -> runNumarrow(w, xs, rows, k, n, batches, threads, false);
            default -> throw new IllegalArgumentException("side must be ort, ort-nospin, numarrow or numarrow-plain, not " + side);
        };
        System.out.println(OnnxSuite.Figures.of(ends).line());
    }

    /** @return nanoseconds from before session creation to the end of each batch */
    static long[] runOrt(float[] w, float[][] xs, int rows, int k, int n, int batches, int threads, boolean spin)
            throws OrtException {
        byte[] model = MatmulSoftmaxModel.bytes(w, k, n);
        FloatBuffer[] inputs = new FloatBuffer[xs.length];
        for (int i = 0; i < xs.length; i++) {
            inputs[i] = direct(rows * k).put(xs[i]).flip();
        }
        FloatBuffer output = direct(rows * n);
        long[] shape = {rows, k};
        long[] ends = new long[batches];
        float checksum = 0;
        long t0 = System.nanoTime();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (!spin) {
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            try (OrtSession session = env.createSession(model, options);
                 OnnxTensor out = OnnxTensor.createTensor(env, output, new long[] {rows, n})) {
                Map<String, OnnxTensor> pinned = Map.of(MatmulSoftmaxModel.OUTPUT, out);
                for (int b = 0; b < batches; b++) {
                    try (OnnxTensor x = OnnxTensor.createTensor(env, inputs[b % inputs.length], shape);
                         OrtSession.Result unused = session.run(Map.of(MatmulSoftmaxModel.INPUT, x), pinned)) {
                        checksum += output.get(b % output.capacity());
                    }
                    ends[b] = System.nanoTime() - t0;
                }
            }
        }
        checkSum(checksum, batches);
        return ends;
    }

    static long[] runNumarrow(float[] w, float[][] xs, int rows, int k, int n, int batches, int threads,
                              boolean prepared) {
        long[] ends = new long[batches];
        float checksum = 0;
        try (BufferAllocator allocator = NumaAllocator.root(NumaPolicy.LOCAL)) {
            Tensor weights = Tensor.fromArray(allocator, k, n, w);
            Tensor[] inputs = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                inputs[i] = Tensor.fromArray(allocator, rows, k, xs[i]);
            }
            Tensor out = Tensor.allocate(allocator, rows, n);
            long t0 = System.nanoTime();
            try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build())) {
                ParallelOps ops = new ParallelOps(pool);
                try (PreparedWeights pw = prepared ? ops.prepare(weights) : null) {
                    for (int b = 0; b < batches; b++) {
                        if (pw != null) {
                            ops.matmulSoftmaxInto(inputs[b % inputs.length], pw, out);
                        } else {
                            ops.matmulSoftmaxInto(inputs[b % inputs.length], weights, out);
                        }
                        checksum += out.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, b % ((long) rows * n));
                        ends[b] = System.nanoTime() - t0;
                    }
                }
            }
            out.close();
            for (Tensor t : inputs) {
                t.close();
            }
            weights.close();
        }
        checkSum(checksum, batches);
        return ends;
    }

    /** Each sampled output is a probability: their sum is positive and at most one per batch. */
    private static void checkSum(float checksum, int batches) {
        if (!(checksum > 0 && checksum <= batches * 1.0001f)) {
            throw new IllegalStateException(String.format(Locale.ROOT, "outputs are not probabilities (sum %g over %d batches)", checksum, batches));
        }
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    static float[] random(SplittableRandom rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }
}
