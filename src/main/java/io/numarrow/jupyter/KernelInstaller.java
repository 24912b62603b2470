package io.numarrow.jupyter;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes numarrow's kernelspec ({@code kernels/numarrow/}: kernel.json and the kernel's jar) into a
 * Jupyter data directory. Installing again changes nothing unless the spec or the jar changed, so
 * {@code ./numarrow jupyter} can run it every time.
 */
public final class KernelInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(KernelInstaller.class);

    /** What an install did. */
    public enum Outcome { INSTALLED, UPDATED, UNCHANGED }

    /** Where the kernelspec is, and what installing it did. */
    public record Result(Path kernelDir, Outcome outcome) {
    }

    private KernelInstaller() {
    }

    /**
     * Jupyter's data directory for this user, by jupyter_core's rules (what {@code jupyter --data-dir}
     * prints, where {@code jupyter kernelspec install --user} writes): {@code JUPYTER_DATA_DIR} if set,
     * else {@code ~/Library/Jupyter} on macOS, else {@code $XDG_DATA_HOME/jupyter} or
     * {@code ~/.local/share/jupyter}.
     */
    public static Path userDataDir(Map<String, String> env, Path home, String osName) {
        String explicit = env.get("JUPYTER_DATA_DIR");
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit).toAbsolutePath();
        }
        if (osName.toLowerCase(Locale.ROOT).contains("mac")) {
            return home.resolve("Library").resolve("Jupyter");
        }
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : home.resolve(".local").resolve("share");
        return base.resolve("jupyter").toAbsolutePath();
    }

    /** {@link #userDataDir(Map, Path, String)} for this process. */
    public static Path userDataDir() {
        return userDataDir(System.getenv(), Path.of(System.getProperty("user.home")), System.getProperty("os.name"));
    }

    /**
     * Installs (or refreshes) the kernelspec under {@code dataDir/kernels/numarrow}, copying the
     * kernel's two jars from {@code jarsDir} (the build's {@code target/jupyter}) into it, so that the
     * kernel keeps working when the build folder is cleaned.
     */
    public static Result install(Path dataDir, Path jarsDir, KernelSpec spec) throws IOException {
        for (String jar : List.of(KernelSpec.KERNEL_JAR, KernelSpec.LAUNCHER_JAR)) {
            if (!Files.isRegularFile(jarsDir.resolve(jar))) {
                throw new IOException("the Jupyter kernel's " + jarsDir.resolve(jar) + " is missing (the build puts it there)");
            }
        }
        Path kernelDir = dataDir.resolve("kernels").resolve(KernelSpec.NAME);
        Path json = kernelDir.resolve("kernel.json");
        boolean existed = Files.exists(json);
        Files.createDirectories(kernelDir);
        boolean changed = copyIfDifferent(jarsDir.resolve(KernelSpec.KERNEL_JAR), kernelDir.resolve(KernelSpec.KERNEL_JAR));
        changed |= copyIfDifferent(jarsDir.resolve(KernelSpec.LAUNCHER_JAR), kernelDir.resolve(KernelSpec.LAUNCHER_JAR));
        changed |= writeIfDifferent(json, spec.toJson(kernelDir));
        Outcome outcome = !existed ? Outcome.INSTALLED : changed ? Outcome.UPDATED : Outcome.UNCHANGED;
        LOG.debug("kernelspec {}: {}", kernelDir, outcome);
        return new Result(kernelDir, outcome);
    }

    /**
     * The spec for the numarrow these classes come from, run by this JVM: {@code numarrow.jar} and the
     * jars of {@code lib/} beside it (where the build copies numarrow's dependencies).
     */
    public static KernelSpec forThisBuild(List<String> jvmFlags) {
        Path jar = codeSource();
        if (!jar.getFileName().toString().endsWith(".jar")) {
            throw new IllegalStateException("numarrow runs from " + jar + ", not from its jar: build it (./numarrow build)");
        }
        Path lib = jar.getParent().resolve("lib");
        return new KernelSpec(Path.of(System.getProperty("java.home"), "bin", "java"), jvmFlags,
                List.of(jar.toString(), lib + "/*.jar"), KernelSpec.DEFAULT_DISPLAY_NAME);
    }

    /** Where the build puts the kernel's jars: {@code jupyter/} beside numarrow's jar or classes. */
    public static Path kernelJarsOfThisBuild() {
        return codeSource().getParent().resolve("jupyter");
    }

    private static Path codeSource() {
        try {
            return Path.of(KernelInstaller.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toAbsolutePath().normalize();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean copyIfDifferent(Path from, Path to) throws IOException {
        if (Files.isRegularFile(to) && Files.mismatch(from, to) == -1) {
            return false;
        }
        replace(to, tmp -> Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING));
        return true;
    }

    private static boolean writeIfDifferent(Path file, String content) throws IOException {
        if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(content)) {
            return false;
        }
        replace(file, tmp -> Files.writeString(tmp, content, StandardCharsets.UTF_8));
        return true;
    }

    /** Writes a file's new content. */
    private interface Content {
        void writeTo(Path file) throws IOException;
    }

    /**
     * Writes {@code target}'s new content to a file beside it, then moves that into place: a running
     * Jupyter may read kernel.json at any moment, and sees the old file or the new one.
     */
    private static void replace(Path target, Content content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            content.writeTo(tmp);
            // a temporary file is private to its owner; the kernelspec is as readable as Jupyter's own
            if (Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
