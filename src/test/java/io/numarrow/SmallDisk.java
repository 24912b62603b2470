package io.numarrow;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A 20 MB tmpfs mounted on a test's folder: a disk that fills up, or another file system. Needs root. */
public final class SmallDisk {
    private SmallDisk() {
    }

    /** Mounts it on {@code folder}; false where this machine does not let the test mount. */
    public static boolean mount(Path folder) throws InterruptedException {
        return run("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", folder.toString());
    }

    /** Unmounts what {@link #mount} mounted on {@code folder}; false if umount failed. */
    public static boolean unmount(Path folder) throws InterruptedException {
        return run("umount", folder.toString());
    }

    private static boolean run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
