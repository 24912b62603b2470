package io.numarrow.bench.matmul;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;

/**
 * The OpenBLAS baseline through {@code org.bytedeco:openblas}: {@code cblas_sgemm} on pointers over the
 * very same off-heap memory numarrow reads, with OpenBLAS's thread count set to numarrow's.
 *
 * <p>The bytedeco presets do not map {@code openblas_set_num_threads} and {@code openblas_get_corename},
 * so those two are called through FFM in the library bytedeco has loaded. The core name tells which
 * kernels OpenBLAS picked: an AVX-512 one (SkylakeX, Cooperlake, SapphireRapids) unless
 * {@code OPENBLAS_CORETYPE} forces another, which a fair run must not (docs/performance.md).
 */
public final class OpenBlas {
    private static final MethodHandle SET_THREADS;
    private static final MethodHandle CORE_NAME;

    static {
        Loader.load(openblas.class);
        SymbolLookup lookup = SymbolLookup.loaderLookup();
        Linker linker = Linker.nativeLinker();
        SET_THREADS = linker.downcallHandle(lookup.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        CORE_NAME = linker.downcallHandle(lookup.find("openblas_get_corename").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
    }

    private OpenBlas() {
    }

    public static void setThreads(int n) {
        try {
            SET_THREADS.invokeExact(n);
        } catch (Throwable e) {
            throw new IllegalStateException("openblas_set_num_threads failed", e);
        }
    }

    /** OpenBLAS's name for the core kernels it picked (e.g. "Cooperlake"), for report headers. */
    public static String coreName() {
        try {
            MemorySegment name = (MemorySegment) CORE_NAME.invokeExact();
            return name.reinterpret(256).getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException("openblas_get_corename failed", e);
        }
    }

    /** A pointer over {@code segment}'s bytes, no copy. */
    public static FloatPointer over(MemorySegment segment) {
        return new FloatPointer(segment.asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer());
    }

    /** Row-major {@code C = A·B}. */
    public static void sgemm(FloatPointer a, FloatPointer b, FloatPointer c, int m, int n, int k) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans,
                m, n, k, 1f, a, k, b, n, 0f, c, n);
    }

    /** Prints (once per trial) what the baseline runs with, so a result can be judged fair or not. */
    public static void report(int threads) {
        System.err.println("openblas core=" + coreName() + " threads=" + threads
                + " OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE")
                + " OPENBLAS_L2_SIZE=" + System.getenv("OPENBLAS_L2_SIZE"));
    }
}
