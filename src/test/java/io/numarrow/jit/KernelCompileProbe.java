package io.numarrow.jit;

import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.RowArgmax;
import io.numarrow.kernels.Softmax;
import io.numarrow.threading.KernelCompileStart;
import java.lang.classfile.ClassFile;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@link KernelCompileTest}'s child JVM (run with {@code -XX:+PrintCompilation}): the warm-up for a
 * 256→n matmul and softmax ({@code n} the first argument, 256 if none), a marker line, then such a job's
 * kernels on a 4000-row batch in memory reached as a job's tensors are, and the batch's argmax, another
 * marker with the bytes each kernel allocated and their total (boxed vectors allocate; compiled kernels do
 * not). The warm-up does not cover argmax, so the probe calls it on a few rows first until it is compiled
 * (jvm.flags' policy makes the caller wait for C2). With the argument {@code kernelsFirst} it asks for C2 on the
 * kernels alone first, as the CLI does, and after the batch calls a method of its own many times.
 */
public final class KernelCompileProbe {
    static final String WARMED = "=== warm-up returned";
    static final String BATCH_DONE = "=== batch done";
    /** With the argument {@code prepare}: only {@link KernelCompile#prepare()} ran. */
    static final String PREPARED = "=== prepared";
    /** With the argument {@code spin}: after {@link #PREPARED}, class files built until this line. */
    static final String SPUN = "=== spun";
    /** With the argument {@code kernelsFirst}: after {@link #BATCH_DONE}, {@link #mix} called until this line. */
    static final String MIXED = "=== mixed";

    private KernelCompileProbe() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("prepare")) {
            KernelCompile.prepare();
            System.out.println(PREPARED + " c1=" + KernelCompile.c1Note());
            return;
        }
        if (args.length > 0 && args[0].equals("spin")) {
            KernelCompile.prepare();
            System.out.println(PREPARED + " c1=" + KernelCompile.c1Note());
            System.out.flush();
            System.out.println(SPUN + " bytes=" + spin(Integer.parseInt(args[1])));
            return;
        }
        boolean kernelsFirst = args.length > 0 && args[0].equals("kernelsFirst");
        if (kernelsFirst) {
            KernelCompile.c2OnKernelsFirst();
        }
        int n = args.length > 0 && !kernelsFirst ? Integer.parseInt(args[0]) : 256;
        KernelCompile.Result r = KernelCompile.compile(256, n, true, true, KernelCompileStart::beside); // as the CLI does
        System.out.println(WARMED + " ran=" + r.ran() + " compiled=" + r.compiled() + " rounds=" + r.rounds() + " ms="
                + r.millis() + " note=" + r.note() + " helpersLeft=" + Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("numarrow-softmax-compile")).count() + " c1=" + KernelCompile.c1Note());
        System.out.flush();
        int m = 4000;
        int k = 256;
        var species = FloatVector.SPECIES_PREFERRED;
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long matmul;
        long softmax;
        long argmax;
        try (Arena arena = Arena.ofConfined()) {
            // segments with no scope of their own, as a job's tensors give the kernels (Tensor.liveSegment)
            MemorySegment a = unscoped(arena.allocate((long) m * k * Float.BYTES, 64));
            MemorySegment b = unscoped(arena.allocate((long) k * n * Float.BYTES, 64));
            MemorySegment c = unscoped(arena.allocate((long) m * n * Float.BYTES, 64));
            MemorySegment packed = unscoped(arena.allocate(Matmul.packedBBytes(species, k, n), 64));
            MemorySegment classes = unscoped(arena.allocate((long) m * Integer.BYTES, 64));
            for (int i = 0; i < 2000; i++) {
                RowArgmax.rows(c, n, 0, 8, classes);
            }
            Matmul.packB(species, b, k, n, false, packed, 0, Matmul.panelCount(species, n));
            long t0 = threads.getCurrentThreadAllocatedBytes();
            Matmul.multiplyPacked(species, packed, a, c, m, n, k, 0, m, null, false);
            long t1 = threads.getCurrentThreadAllocatedBytes();
            Softmax.rows(c, c, n, 0, m);
            long t2 = threads.getCurrentThreadAllocatedBytes();
            RowArgmax.rows(c, n, 0, m, classes);
            long t3 = threads.getCurrentThreadAllocatedBytes();
            matmul = t1 - t0;
            softmax = t2 - t1;
            argmax = t3 - t2;
        }
        System.out.println(BATCH_DONE + " matmul=" + matmul + " softmax=" + softmax + " argmax=" + argmax
                + " allocated=" + (matmul + softmax + argmax));
        if (kernelsFirst) {
            System.out.flush();
            long x = 1;
            for (int i = 0; i < 30_000; i++) {
                x = mix(x + i);
            }
            System.out.println(MIXED + " " + x);
        }
    }

    /** Code of no kernel, made hot after the warm-up (a loop, so that it is no trivial method left to C1). */
    static long mix(long x) {
        for (int i = 0; i < 8; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
        }
        return x;
    }

    /**
     * Builds {@code count} small class files with the JDK's class-file library, as the JDK does for each
     * lambda and method handle it spins (a branch in each method, so each needs a stack map); returns
     * their total size.
     */
    private static long spin(int count) {
        long bytes = 0;
        MethodTypeDesc intToInt = MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_int);
        for (int i = 0; i < count; i++) {
            bytes += ClassFile.of().build(ClassDesc.of("probe.Spun" + i), cb -> cb.withMethodBody("f", intToInt,
                    ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                        Label zero = code.newLabel();
                        code.iload(0).ifeq(zero).iload(0).ireturn().labelBinding(zero).iconst_1().ireturn();
                    })).length;
        }
        return bytes;
    }

    private static MemorySegment unscoped(MemorySegment s) {
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize());
    }
}
