package io.numarrow.numa;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link LinuxMemoryTest}'s child JVM: makes every file call a job makes (the input opened, mapped
 * private, advised, unmapped; the output reserved, mapped shared, locked, written, copied into, its
 * write-back started) on two files in the folder given, checks what it wrote, and prints a marker line.
 */
public final class FileCallsProbe {
    static final String DONE = "=== file calls done";

    private FileCallsProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long page = LinuxMemory.PAGE_SIZE;
        Path in = Files.write(dir.resolve("in"), new byte[(int) (2 * page)]);
        Path out = Files.createFile(dir.resolve("out"));
        int inFd = LinuxMemory.openReadOnly(in.toString());
        long input = LinuxMemory.mapFilePrivate(inFd, 2 * page, 0);
        LinuxMemory.advise(input, 2 * page, LinuxMemory.MADV_WILLNEED);
        int outFd = LinuxMemory.open(out.toString(), LinuxMemory.O_RDWR);
        boolean locked = LinuxMemory.tryLockExclusive(outFd);
        LinuxMemory.allocateFile(outFd, 0, 3 * page);
        long output = LinuxMemory.mapFileShared(outFd, 3 * page, 0);
        MemorySegment o = MemorySegment.ofAddress(output).reinterpret(3 * page);
        o.set(ValueLayout.JAVA_LONG, 0, 42L);
        MemorySegment i = MemorySegment.ofAddress(input).reinterpret(2 * page);
        i.set(ValueLayout.JAVA_LONG, 8, 7L); // private: the file keeps its zeros
        LinuxMemory.writeFully(outFd, input + 8, 8, 16);
        long copied = LinuxMemory.copyFileRange(inFd, 0, outFd, page, page);
        LinuxMemory.syncFileRange(outFd, 0, 3 * page, LinuxMemory.SYNC_FILE_RANGE_WRITE);
        LinuxMemory.unmap(output, 3 * page);
        LinuxMemory.unmap(input, 2 * page);
        LinuxMemory.closeFd(outFd);
        LinuxMemory.closeFd(inFd);
        MemorySegment written = MemorySegment.ofArray(Files.readAllBytes(out));
        MemorySegment read = MemorySegment.ofArray(Files.readAllBytes(in));
        System.out.println(DONE + " locked=" + locked + " size=" + written.byteSize() + " copied=" + copied
                + " mapped=" + written.get(ValueLayout.JAVA_LONG_UNALIGNED, 0)
                + " pwritten=" + written.get(ValueLayout.JAVA_LONG_UNALIGNED, 16)
                + " input=" + read.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
    }
}
