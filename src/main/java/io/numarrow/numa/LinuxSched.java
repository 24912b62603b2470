package io.numarrow.numa;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The Linux scheduler calls numarrow needs, through FFM: which CPUs a thread may run on
 * ({@code sched_getaffinity}/{@code sched_setaffinity}) and which CPU it is on now
 * ({@code sched_getcpu}). On a system without these symbols {@link #isAvailable()} is false and
 * the calls fail with {@link UnsupportedOperationException}.
 */
public final class LinuxSched {
    /** glibc's default {@code cpu_set_t} covers 1024 CPUs; larger machines need a larger mask. */
    private static final int MIN_MASK_BYTES = 128;
    private static final int MAX_MASK_BYTES = 1 << 16;
    private static final int EINVAL = 22;

    private LinuxSched() {
    }

    /**
     * The handles, each linked when first used: linking a downcall spins classes of its own (tens of
     * milliseconds at a JVM's start, the first one more), and a default pool on one machine uses none of
     * them (its workers keep the mask they inherit, {@link CpuTopology} reads the mask as text).
     */
    private static final class Affinity {
        static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        private static final FunctionDescriptor MASK_CALL = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
        static final MethodHandle GET = find("sched_getaffinity", MASK_CALL, Linker.Option.captureCallState("errno"));
        static final MethodHandle SET = find("sched_setaffinity", MASK_CALL, Linker.Option.captureCallState("errno"));
    }

    private static final class GetCpu {
        static final MethodHandle HANDLE = find("sched_getcpu", FunctionDescriptor.of(ValueLayout.JAVA_INT));
    }

    private static final class Nice {
        static final MethodHandle GET_TID = find("gettid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        static final MethodHandle SET_PRIORITY = find("setpriority", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /** Which of the calls this system's C library has, looked up without linking any. */
    private static final class Symbols {
        static final boolean AFFINITY_AND_CPU = onLinux() && present("sched_getaffinity") && present("sched_setaffinity")
                && present("sched_getcpu");

        private static boolean present(String name) {
            return Linker.nativeLinker().defaultLookup().find(name).isPresent();
        }
    }

    private static boolean onLinux() {
        return System.getProperty("os.name", "").toLowerCase().contains("linux");
    }

    @SuppressWarnings("restricted") // native access is what this class is for; the launcher enables it
    private static MethodHandle find(String name, FunctionDescriptor fd, Linker.Option... options) {
        if (!onLinux()) {
            return null;
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find(name);
        return symbol.map(s -> linker.downcallHandle(s, fd, options)).orElse(null);
    }

    /** Whether the affinity and current-CPU calls exist on this system. */
    public static boolean isAvailable() {
        return Symbols.AFFINITY_AND_CPU;
    }

    /** The CPUs the calling thread may run on, ascending. */
    public static List<Integer> currentThreadAffinity() {
        MethodHandle getAffinity = require(Affinity.GET, "sched_getaffinity");
        for (int bytes = MIN_MASK_BYTES; bytes <= MAX_MASK_BYTES; bytes *= 2) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(Affinity.CALL_STATE);
                MemorySegment mask = arena.allocate(bytes, 8);
                int rc = (int) getAffinity.invokeExact(state, 0, (long) bytes, mask);
                if (rc == 0) {
                    return maskToCpus(mask);
                }
                int err = (int) Affinity.ERRNO.get(state, 0L);
                if (err != EINVAL) {
                    throw new IllegalStateException("sched_getaffinity failed, errno " + err);
                }
                // EINVAL: the kernel's mask is larger than ours; try a larger one
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("sched_getaffinity failed", t);
            }
        }
        throw new IllegalStateException("sched_getaffinity: no mask size up to " + MAX_MASK_BYTES + " bytes accepted");
    }

    /**
     * Restricts the calling thread to {@code cpus}. Returns 0 on success, else the errno the
     * kernel gave (EINVAL when none of the CPUs is allowed, EPERM when not permitted).
     */
    public static int setCurrentThreadAffinity(Collection<Integer> cpus) {
        MethodHandle setAffinity = require(Affinity.SET, "sched_setaffinity");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("an affinity mask needs at least one CPU");
        }
        int maxCpu = cpus.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if (cpus.stream().anyMatch(c -> c < 0)) {
            throw new IllegalArgumentException("CPU ids must not be negative: " + cpus);
        }
        int bytes = Math.max(MIN_MASK_BYTES, ((maxCpu / 64) + 1) * 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Affinity.CALL_STATE);
            MemorySegment mask = arena.allocate(bytes, 8);
            for (int cpu : cpus) {
                long word = mask.getAtIndex(ValueLayout.JAVA_LONG, cpu / 64);
                mask.setAtIndex(ValueLayout.JAVA_LONG, cpu / 64, word | (1L << (cpu % 64)));
            }
            int rc = (int) setAffinity.invokeExact(state, 0, (long) bytes, mask);
            return rc == 0 ? 0 : (int) Affinity.ERRNO.get(state, 0L);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity failed", t);
        }
    }

    /**
     * Gives the calling thread (only it: Linux nice values are per thread) the nice value {@code nice},
     * so it runs on CPU time other threads leave. Returns whether it worked; never throws.
     */
    public static boolean niceCurrentThread(int nice) {
        if (!onLinux() || Nice.GET_TID == null || Nice.SET_PRIORITY == null) {
            return false;
        }
        try {
            int tid = (int) Nice.GET_TID.invokeExact();
            return (int) Nice.SET_PRIORITY.invokeExact(0 /* PRIO_PROCESS: one thread when given a tid */, tid, nice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The CPU the calling thread is running on at this instant. */
    public static int currentCpu() {
        MethodHandle getCpu = require(GetCpu.HANDLE, "sched_getcpu");
        try {
            return (int) getCpu.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_getcpu failed", t);
        }
    }

    private static List<Integer> maskToCpus(MemorySegment mask) {
        List<Integer> cpus = new ArrayList<>();
        long words = mask.byteSize() / 8;
        for (int w = 0; w < words; w++) {
            long bits = mask.getAtIndex(ValueLayout.JAVA_LONG, w);
            while (bits != 0) {
                int bit = Long.numberOfTrailingZeros(bits);
                cpus.add(w * 64 + bit);
                bits &= bits - 1;
            }
        }
        return cpus;
    }

    private static MethodHandle require(MethodHandle handle, String name) {
        if (handle == null) {
            throw new UnsupportedOperationException(name + " is not available on this system ("
                    + System.getProperty("os.name") + ")");
        }
        return handle;
    }
}
