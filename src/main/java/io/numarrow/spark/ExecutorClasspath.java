package io.numarrow.spark;

import java.net.URL;
import java.security.CodeSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import org.slf4j.LoggerFactory;

/**
 * Where the libraries numarrow shares with Spark come from in this JVM: on an executor, Spark's own
 * jars come first, so numarrow runs on Spark's Arrow, Jackson and SLF4J (and Spark's Netty, which
 * numarrow itself does not use). Logged once per executor, so a clash shows in the executor's log.
 */
final class ExecutorClasspath {
    /** A class of each library, by the name the report gives it. */
    private static final Map<String, String> PROBES = probes();

    private ExecutorClasspath() {
    }

    private static Map<String, String> probes() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("numarrow", "io.numarrow.spark.NumarrowTransformer");
        p.put("arrow-vector", "org.apache.arrow.vector.VectorSchemaRoot");
        p.put("arrow-memory", "org.apache.arrow.memory.BufferAllocator");
        p.put("jackson-databind", "com.fasterxml.jackson.databind.ObjectMapper");
        p.put("netty-buffer", "io.netty.buffer.ByteBuf");
        p.put("slf4j-api", "org.slf4j.Logger");
        return p;
    }

    /** One line: each library and the jar (file name) it was loaded from, then the SLF4J provider. */
    static String report() {
        StringJoiner line = new StringJoiner(", ");
        ClassLoader loader = ExecutorClasspath.class.getClassLoader();
        PROBES.forEach((name, className) -> line.add(name + " from " + origin(className, loader)));
        line.add("SLF4J provider " + LoggerFactory.getILoggerFactory().getClass().getName());
        return line.toString();
    }

    /** The file name of the jar or folder that {@code className} loads from, or why not. */
    static String origin(String className, ClassLoader loader) {
        try {
            Class<?> c = Class.forName(className, false, loader);
            CodeSource source = c.getProtectionDomain().getCodeSource();
            URL location = source == null ? null : source.getLocation();
            if (location == null) {
                return "(the JDK)";
            }
            String path = location.getPath();
            if (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            return path.substring(path.lastIndexOf('/') + 1);
        } catch (ClassNotFoundException | LinkageError e) {
            return "(absent)";
        }
    }
}
