package io.numarrow.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** Jars of compiled classes, for tests that ship code to other JVMs the way users do: as jar files. */
final class TestJars {
    private TestJars() {
    }

    /** A jar at {@code jar} of the files under {@code classes} whose relative path {@code include} accepts. */
    static Path of(Path classes, Path jar, Predicate<String> include) {
        try (Stream<Path> walk = Files.walk(classes);
             OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file)) {
            List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
            int added = 0;
            for (Path f : files) {
                String name = classes.relativize(f).toString().replace('\\', '/');
                if (include.test(name)) {
                    out.putNextEntry(new JarEntry(name));
                    Files.copy(f, out);
                    out.closeEntry();
                    added++;
                }
            }
            if (added == 0) {
                throw new IllegalStateException("no file under " + classes + " was selected for " + jar);
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
