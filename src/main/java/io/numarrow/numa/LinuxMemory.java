package io.numarrow.numa;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The Linux memory calls numarrow needs, through the JDK's FFM API (no JNI): {@code mmap},
 * {@code munmap}, {@code madvise}, {@code open}/{@code close} and {@code flock} (the files that
 * {@code io} maps and locks), {@code fallocate}, {@code pwrite}, {@code copy_file_range} and
 * {@code sync_file_range} (the output file {@code io} writes in place), {@code mbind},
 * {@code get_mempolicy} and {@code getcpu} (glibc has no wrapper for the first two; libnuma is not
 * assumed to be installed). On x86-64 and AArch64 every call but {@code getcpu} is a raw system call
 * through the one {@code syscall} handle: each handle linked costs a JVM's start 10-15 ms of class
 * spinning, and a job's first batch waited for eight (docs/performance.md, issue 29, session 14).
 * Elsewhere the file calls go through libc's wrappers, each linked on its first use.
 *
 * <p>Every call returns a plain result; failures come back as {@link NativeCallException} with
 * the errno, so callers decide between falling back and failing.
 */
public final class LinuxMemory {
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_HUGEPAGE = 14;
    /** Linux 5.14+: fault the range's pages in now (read), so that later reads take no page faults. */
    public static final int MADV_POPULATE_READ = 22;
    /** Linux 5.14+: fault the range's pages in now, writable, so that later writes take no page faults. */
    public static final int MADV_POPULATE_WRITE = 23;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    /** Writes go to the device from the caller's memory, bypassing the page cache; its value differs by architecture. */
    public static final int O_DIRECT = "aarch64".equals(System.getProperty("os.arch")) ? 0x10000 : 0x4000;
    public static final int O_CLOEXEC = 0x80000;

    public static final int MPOL_DEFAULT = 0;
    public static final int MPOL_PREFERRED = 1;
    public static final int MPOL_BIND = 2;
    public static final int MPOL_INTERLEAVE = 3;
    public static final int MPOL_F_NODE = 1;
    public static final int MPOL_F_ADDR = 2;
    public static final int MPOL_MF_MOVE = 2;

    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int EINTR = 4;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EFAULT = 14;
    public static final int ENOSYS = 38;
    public static final int EXDEV = 18;
    public static final int EOPNOTSUPP = 95;

    /** Nodes a mask can name: 16 words of 64 bits, as large as any kernel's MAX_NUMNODES. */
    public static final int MAX_NODES = 1024;
    private static final int MASK_WORDS = MAX_NODES / 64;
    /** The kernel reads {@code maxnode - 1} bits. */
    private static final long MAXNODE_ARG = MAX_NODES + 1L;

    public static final long PAGE_SIZE = 4096;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(
            MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    /*
     * libc's wrappers, for an architecture whose system call numbers are not listed in Syscalls: each in a
     * holder of its own, linked when first used, since linking one spins classes of its own (a few to tens
     * of milliseconds at a JVM's start, on the thread that opens a job's files).
     */
    private static final class Mmap {
        static final MethodHandle HANDLE = libc("mmap", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    }
    private static final class Munmap {
        static final MethodHandle HANDLE = libc("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }
    private static final class Madvise {
        static final MethodHandle HANDLE = libc("madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }
    private static final class Open {
        static final MethodHandle HANDLE = libc("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }
    private static final class Close {
        static final MethodHandle HANDLE = libc("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT));
    }
    private static final class Flock {
        static final MethodHandle HANDLE = libc("flock", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }
    private static final class Fallocate {
        static final MethodHandle HANDLE = libc("fallocate", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }
    /** {@code ssize_t copy_file_range(int, off64_t *, int, off64_t *, size_t, unsigned)}. */
    private static final class CopyFileRange {
        static final MethodHandle HANDLE = libc("copy_file_range", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT));
    }
    private static final class SyncFileRange {
        static final MethodHandle HANDLE = libc("sync_file_range", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }
    /** {@code sync_file_range}: start writing the range's dirty pages back, without waiting. */
    public static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final int EWOULDBLOCK = 11;
    /** {@code long syscall(long number, ...)}: six long-sized variadic arguments. */
    private static final class Syscall {
        static final MethodHandle HANDLE = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1), ERRNO_OPTION);
    }
    /** glibc's getcpu goes through the vDSO: no kernel entry, cheap enough per allocation. */
    private static final class Getcpu {
        static final Optional<MethodHandle> HANDLE = LIBC.find("getcpu").map(s -> LINKER.downcallHandle(s,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)));
    }

    private static final Syscalls NR = Syscalls.forArch(System.getProperty("os.arch"));

    /** System call numbers differ between architectures (AArch64's are the kernel's generic table). */
    private record Syscalls(long mbind, long getMempolicy, long getcpu, long mmap, long munmap, long madvise,
                            long openat, long close, long flock, long fallocate, long pwrite, long copyFileRange,
                            long syncFileRange) {
        static Syscalls forArch(String arch) {
            return switch (arch) {
                case "amd64", "x86_64" -> new Syscalls(237, 239, 309, 9, 11, 28, 257, 3, 73, 285, 18, 326, 277);
                case "aarch64", "arm64" -> new Syscalls(235, 236, 168, 222, 215, 233, 56, 57, 32, 47, 68, 285, 84);
                default -> null;
            };
        }
    }

    /** {@code openat}'s directory argument for a path resolved as {@code open} resolves it. */
    private static final long AT_FDCWD = -100;

    // per-thread native scratch, freed by the GC with its thread (automatic arenas)
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(16 + 8L * MASK_WORDS, 8));
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(CAPTURE));

    private LinuxMemory() {
    }

    private static MethodHandle libc(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(
                () -> new UnsupportedOperationException("libc has no " + name)), fd, ERRNO_OPTION);
    }

    /** Whether this architecture's NUMA system calls are known here. */
    public static boolean numaCallsAvailable() {
        return NR != null;
    }

    /** A failed native call: its name and errno. */
    public static final class NativeCallException extends RuntimeException {
        private final int errno;

        NativeCallException(String call, int errno) {
            super(call + " failed: " + describe(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    static String describe(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM (operation not permitted)";
            case 12 -> "ENOMEM (out of memory)";
            case 14 -> "EFAULT (bad address)";
            case EINVAL -> "EINVAL (invalid argument)";
            case ENOSYS -> "ENOSYS (not supported by this kernel)";
            case 2 -> "ENOENT (no such file)";
            case 13 -> "EACCES (permission denied)";
            case ENOSPC -> "ENOSPC (no space left on device)";
            case EIO -> "EIO (input/output error)";
            case EXDEV -> "EXDEV (not on the same file system)";
            case EOPNOTSUPP -> "EOPNOTSUPP (not supported by this file system)";
            default -> "errno " + errno;
        };
    }

    private static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    /** Anonymous private read-write memory of {@code bytes}, page-aligned, not yet touched. */
    public static long mapAnonymous(long bytes) {
        return mmap(bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }

    /**
     * Maps {@code bytes} of the open file {@code fd} from {@code offset}, private copy-on-write:
     * readers may write into a buffer without changing the file or faulting.
     */
    public static long mapFilePrivate(int fd, long bytes, long offset) {
        return mmap(bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, offset);
    }

    /**
     * Maps {@code bytes} of the open file {@code fd} from {@code offset}, shared and writable: stores
     * into the mapping are the file's bytes (the page cache's pages), written back by the kernel.
     */
    public static long mapFileShared(int fd, long bytes, long offset) {
        return mmap(bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    }

    private static long mmap(long bytes, int prot, int flags, int fd, long offset) {
        try {
            long addr = NR != null ? syscall(NR.mmap, 0, bytes, prot, flags, fd, offset)
                    : (long) Mmap.HANDLE.invokeExact(STATE.get(), 0L, bytes, prot, flags, fd, offset);
            if (addr == -1L) {
                throw new NativeCallException("mmap(" + bytes + " bytes)", errno());
            }
            return addr;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mmap call failed", t);
        }
    }

    public static void unmap(long address, long bytes) {
        try {
            long r = NR != null ? syscall(NR.munmap, address, bytes, 0, 0, 0, 0)
                    : (int) Munmap.HANDLE.invokeExact(STATE.get(), address, bytes);
            if (r != 0) {
                throw new NativeCallException("munmap", errno());
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap call failed", t);
        }
    }

    /** {@code madvise}; returns false (and changes nothing) when the kernel declines the advice. */
    public static boolean advise(long address, long bytes, int advice) {
        try {
            return (NR != null ? syscall(NR.madvise, address, bytes, advice, 0, 0, 0)
                    : (int) Madvise.HANDLE.invokeExact(STATE.get(), address, bytes, advice)) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("madvise call failed", t);
        }
    }

    /** Opens {@code path} read-only; the descriptor must be {@link #closeFd closed}. */
    public static int openReadOnly(String path) {
        return open(path, O_RDONLY);
    }

    /**
     * Opens an existing file, {@code flags} {@link #O_RDONLY} or {@link #O_RDWR} (close-on-exec is
     * added); the descriptor must be {@link #closeFd closed}.
     */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(path);
            int fd = NR != null ? (int) syscall(NR.openat, AT_FDCWD, name.address(), flags | O_CLOEXEC, 0, 0, 0)
                    : (int) Open.HANDLE.invokeExact(STATE.get(), name, flags | O_CLOEXEC);
            if (fd < 0) {
                throw new NativeCallException("open(" + path + ")", errno());
            }
            return fd;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open call failed", t);
        }
    }

    /**
     * Takes an exclusive {@code flock} lock on {@code fd} without waiting: true when taken, false
     * when another open file (of this process or any other) holds it. The lock belongs to the open
     * file, so closing another descriptor of the same file does not drop it, and the kernel drops it
     * when its holder dies.
     */
    public static boolean tryLockExclusive(int fd) {
        try {
            if ((NR != null ? syscall(NR.flock, fd, LOCK_EX | LOCK_NB, 0, 0, 0, 0)
                    : (int) Flock.HANDLE.invokeExact(STATE.get(), fd, LOCK_EX | LOCK_NB)) == 0) {
                return true;
            }
            int errno = errno();
            if (errno == EWOULDBLOCK) {
                return false;
            }
            throw new NativeCallException("flock", errno);
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("flock call failed", t);
        }
    }

    /**
     * Gives the file {@code fd} its blocks for {@code [offset, offset+length)} now ({@code fallocate},
     * mode 0: the size grows to cover the range, the new bytes read as zeros), so that writing them
     * later, through a mapping too, cannot run out of space.
     *
     * @throws NativeCallException with {@link #ENOSPC} when the disk is full, {@link #EOPNOTSUPP} when
     *                             the file system cannot reserve space
     */
    public static void allocateFile(int fd, long offset, long length) {
        try {
            if ((NR != null ? syscall(NR.fallocate, fd, 0, offset, length, 0, 0)
                    : (int) Fallocate.HANDLE.invokeExact(STATE.get(), fd, 0, offset, length)) != 0) {
                throw new NativeCallException("fallocate(" + length + " bytes)", errno());
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("fallocate call failed", t);
        }
    }

    /**
     * Copies {@code length} bytes from {@code in} at {@code inOffset} to {@code out} at
     * {@code outOffset} inside the kernel ({@code copy_file_range}: page cache to page cache, or the
     * file system's own copy), without passing them through this process. Returns the bytes copied,
     * which may be fewer (0 at the input's end); call again for the rest.
     *
     * @throws NativeCallException when the kernel cannot copy between these files ({@link #EXDEV},
     *                             {@link #EINVAL}, {@link #EOPNOTSUPP}, {@link #ENOSYS}: copy otherwise)
     */
    public static long copyFileRange(int in, long inOffset, int out, long outOffset, long length) {
        MemorySegment s = SCRATCH.get();
        s.set(ValueLayout.JAVA_LONG, 0, inOffset);
        s.set(ValueLayout.JAVA_LONG, 8, outOffset);
        try {
            long n = NR != null ? syscall(NR.copyFileRange, in, s.address(), out, s.address() + 8, length, 0)
                    : (long) CopyFileRange.HANDLE.invokeExact(STATE.get(), in, s, out, s.asSlice(8), length, 0);
            if (n < 0) {
                throw new NativeCallException("copy_file_range(" + length + " bytes)", errno());
            }
            return n;
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("copy_file_range call failed", t);
        }
    }

    /**
     * {@code sync_file_range(fd, offset, length, flags)}: with {@link #SYNC_FILE_RANGE_WRITE}, starts
     * writing the range's dirty pages to disk and returns without waiting. Not a durability point (no
     * metadata, no disk cache flush): the final {@code fsync} is; this only makes it shorter. Returns
     * false when the kernel refused.
     */
    public static boolean syncFileRange(int fd, long offset, long length, int flags) {
        try {
            return (NR != null ? syscall(NR.syncFileRange, fd, offset, length, flags, 0, 0)
                    : (int) SyncFileRange.HANDLE.invokeExact(STATE.get(), fd, offset, length, flags)) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("sync_file_range call failed", t);
        }
    }

    private static final class Pwrite {
        static final MethodHandle PWRITE = libc("pwrite", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }

    /**
     * Writes all {@code length} bytes at {@code address} to {@code fd} at {@code offset} ({@code pwrite},
     * repeated after a short write). Unlike a {@code FileChannel}, an interrupt of the calling thread
     * neither stops it nor closes the descriptor.
     *
     * @throws NativeCallException with the kernel's errno ({@link #ENOSPC}, {@link #EIO}, ...)
     */
    public static void writeFully(int fd, long address, long length, long offset) {
        try {
            while (length > 0) {
                long n = NR != null ? syscall(NR.pwrite, fd, address, length, offset, 0, 0)
                    : (long) Pwrite.PWRITE.invokeExact(STATE.get(), fd, address, length, offset);
                if (n < 0) {
                    int errno = errno();
                    if (errno == EINTR) {
                        continue;
                    }
                    throw new NativeCallException("pwrite(" + length + " bytes)", errno);
                }
                if (n == 0) {
                    throw new NativeCallException("pwrite(" + length + " bytes) wrote nothing", EIO);
                }
                address += n;
                offset += n;
                length -= n;
            }
        } catch (NativeCallException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("pwrite call failed", t);
        }
    }

    public static void closeFd(int fd) {
        try {
            long ignored = NR != null ? syscall(NR.close, fd, 0, 0, 0, 0, 0)
                    : (int) Close.HANDLE.invokeExact(STATE.get(), fd);
        } catch (Throwable t) {
            throw new IllegalStateException("close call failed", t);
        }
    }

    /**
     * Sets the NUMA policy of the pages in {@code [address, address+bytes)} ({@code address}
     * page-aligned). {@code mode} is one of the {@code MPOL_*} modes, {@code nodes} the node ids of
     * its mask (none for {@link #MPOL_DEFAULT}); {@code flags} may hold {@link #MPOL_MF_MOVE}.
     */
    public static void mbind(long address, long bytes, int mode, int[] nodes, int flags) {
        requireNumaCalls();
        MemorySegment mask = maskOf(nodes);
        long r = syscall(NR.mbind, address, bytes, mode, mask.address(), MAXNODE_ARG, flags);
        if (r != 0) {
            throw new NativeCallException("mbind(mode " + mode + ", nodes " + Arrays.toString(nodes) + ")",
                    errno());
        }
    }

    /** The node holding the page at {@code address} (the page must have been touched). */
    public static int nodeOfPage(long address) {
        requireNumaCalls();
        MemorySegment s = SCRATCH.get();
        long r = syscall(NR.getMempolicy, s.address(), 0, 0, address, MPOL_F_NODE | MPOL_F_ADDR, 0);
        if (r != 0) {
            throw new NativeCallException("get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)", errno());
        }
        return s.get(ValueLayout.JAVA_INT, 0);
    }

    /** The policy set on the page at {@code address}: its mode and the nodes of its mask. */
    public static PagePolicy policyOfPage(long address) {
        requireNumaCalls();
        MemorySegment s = SCRATCH.get();
        s.fill((byte) 0);
        long r = syscall(NR.getMempolicy, s.address(), s.address() + 16, MAXNODE_ARG, address, MPOL_F_ADDR, 0);
        if (r != 0) {
            throw new NativeCallException("get_mempolicy(MPOL_F_ADDR)", errno());
        }
        int mode = s.get(ValueLayout.JAVA_INT, 0);
        List<Integer> nodes = new ArrayList<>();
        for (int w = 0; w < MASK_WORDS; w++) {
            long word = s.get(ValueLayout.JAVA_LONG, 16 + 8L * w);
            while (word != 0) {
                int bit = Long.numberOfTrailingZeros(word);
                nodes.add(w * 64 + bit);
                word &= word - 1;
            }
        }
        return new PagePolicy(mode, nodes);
    }

    /** A page's NUMA policy as {@code get_mempolicy} reports it. */
    public record PagePolicy(int mode, List<Integer> nodes) {
    }

    /** The NUMA node of the CPU the calling thread runs on now. */
    public static int currentNode() {
        MemorySegment s = SCRATCH.get();
        try {
            if (Getcpu.HANDLE.isPresent()) {
                int r = (int) Getcpu.HANDLE.get().invokeExact(s, s.asSlice(4));
                if (r == 0) {
                    return s.get(ValueLayout.JAVA_INT, 4);
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException("getcpu call failed", t);
        }
        if (NR == null) {
            return 0;
        }
        long r = syscall(NR.getcpu, s.address(), s.address() + 4, 0, 0, 0, 0);
        return r == 0 ? s.get(ValueLayout.JAVA_INT, 4) : 0;
    }

    private static MemorySegment maskOf(int[] nodes) {
        MemorySegment s = SCRATCH.get();
        MemorySegment mask = s.asSlice(16, 8L * MASK_WORDS);
        mask.fill((byte) 0);
        for (int n : nodes) {
            if (n < 0 || n >= MAX_NODES) {
                throw new IllegalArgumentException("NUMA node " + n + " is outside 0.." + (MAX_NODES - 1));
            }
            long at = 8L * (n / 64);
            mask.set(ValueLayout.JAVA_LONG, at, mask.get(ValueLayout.JAVA_LONG, at) | (1L << (n % 64)));
        }
        return mask;
    }

    private static long syscall(long nr, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) Syscall.HANDLE.invokeExact(STATE.get(), nr, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw new IllegalStateException("syscall " + nr + " failed", t);
        }
    }

    private static void requireNumaCalls() {
        if (NR == null) {
            throw new NativeCallException("NUMA system calls on " + System.getProperty("os.arch"), ENOSYS);
        }
    }

    /** {@code value} rounded up to a multiple of {@code alignment} (a power of two). */
    public static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
