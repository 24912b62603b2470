package io.numarrow.io;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Run by {@link AtomicOutputTest} in a JVM of its own: opens an output in {@code args[0]}, writes to
 * its temporary file, prints the temporary file's path and then waits on standard input, to be
 * stopped by a signal.
 */
public final class TempFileHolder {
    private TempFileHolder() {
    }

    public static void main(String[] args) throws Exception {
        AtomicOutput out = AtomicOutput.create(Path.of(args[0]).resolve("out.arrow"));
        out.channel().write(ByteBuffer.wrap(new byte[1 << 20]));
        System.out.println("temp " + out.temp());
        System.out.flush();
        System.in.read(); // until killed (or stdin closes)
        out.close();
    }
}
