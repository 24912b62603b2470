package io.numarrow.jupyter;

import io.numarrow.Json;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What numarrow's kernel.json says: which JVM starts rapaio-jupyter-kernel, with which flags, and
 * what the kernel's JShell sees on its classpath and passes to its compiler.
 *
 * @param java        the {@code java} of a JDK 25
 * @param jvmFlags    numarrow's JVM flags, for the kernel's JVM (cells run in it, not in a child)
 * @param classpath   numarrow and its dependencies, absolute paths; rapaio expands globs such as {@code lib/*.jar}
 * @param displayName the kernel's name in Jupyter's menus
 */
public record KernelSpec(Path java, List<String> jvmFlags, List<String> classpath, String displayName) {
    /** The kernelspec's folder name, which a notebook's {@code metadata.kernelspec.name} refers to. */
    public static final String NAME = "numarrow";
    public static final String DEFAULT_DISPLAY_NAME = "Java (numarrow)";
    /** The kernel's jar, in the build's {@code jupyter/} folder and in the kernelspec folder. */
    public static final String KERNEL_JAR = "rapaio-jupyter-kernel.jar";
    /** The jar of {@link io.numarrow.jupyter.launcher.RapaioKernelLauncher}, beside it. */
    public static final String LAUNCHER_JAR = "numarrow-jupyter-launcher.jar";
    static final String LAUNCHER_CLASS = "io.numarrow.jupyter.launcher.RapaioKernelLauncher";

    public KernelSpec {
        Objects.requireNonNull(java, "java");
        jvmFlags = List.copyOf(jvmFlags);
        classpath = List.copyOf(classpath);
        for (String entry : classpath) {
            // rapaio splits RJK_CLASSPATH at ';', and resolves relative entries against the notebook's folder
            if (entry.contains(";") || !Path.of(entry.replace("*", "x")).isAbsolute()) {
                throw new IllegalArgumentException("classpath entries must be absolute and hold no ';': " + entry);
            }
        }
    }

    /**
     * The compiler options the kernel's JShell needs: the modules the JVM adds (a cell may use
     * {@code jdk.incubator.vector} itself, and numarrow's classes refer to it).
     */
    List<String> compilerOptions() {
        List<String> options = new ArrayList<>();
        for (int i = 0; i < jvmFlags.size(); i++) {
            String flag = jvmFlags.get(i);
            if (flag.equals("--add-modules") && i + 1 < jvmFlags.size()) {
                options.add(flag);
                options.add(jvmFlags.get(++i));
            } else if (flag.startsWith("--add-modules=")) {
                options.add(flag);
            }
        }
        return options;
    }

    /** kernel.json for a kernelspec whose folder (holding the kernel's jars) is {@code kernelDir}. */
    String toJson(Path kernelDir) {
        List<String> argv = new ArrayList<>();
        argv.add(java.toString());
        argv.addAll(jvmFlags);
        // Charts are drawn into images; no cell should try to open a window on the kernel's machine.
        argv.add("-Djava.awt.headless=true");
        // rapaio's own main, less its start-up races (RapaioKernelLauncher says which)
        argv.add("-cp");
        argv.add(kernelDir.resolve(KERNEL_JAR) + File.pathSeparator + kernelDir.resolve(LAUNCHER_JAR));
        argv.add(LAUNCHER_CLASS);
        argv.add("{connection_file}");

        // rapaio-jupyter-kernel 3.0 reads its settings from these variables (KernelEnv). RJK_CLASSPATH
        // is a ';'-separated list of files or globs, each added to JShell's classpath at start.
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RJK_CLASSPATH", String.join(";", classpath));
        env.put("RJK_COMPILER_OPTIONS", String.join(" ", compilerOptions()));
        env.put("RJK_TIMEOUT_MILLIS", "-1");
        env.put("RJK_INIT_SCRIPT", "");
        env.put("RJK_MIMA_CACHE", "mima_cache");

        StringBuilder json = new StringBuilder("{\n");
        json.append("  \"argv\": [");
        for (int i = 0; i < argv.size(); i++) {
            json.append(i == 0 ? "" : ", ").append(Json.quote(argv.get(i)));
        }
        json.append("],\n");
        json.append("  \"display_name\": ").append(Json.quote(displayName)).append(",\n");
        json.append("  \"language\": \"java\",\n");
        json.append("  \"interrupt_mode\": \"message\",\n");
        json.append("  \"env\": {");
        int n = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            json.append(n++ == 0 ? "\n" : ",\n").append("    ").append(Json.quote(e.getKey())).append(": ")
                    .append(Json.quote(e.getValue()));
        }
        json.append("\n  }\n}\n");
        return json.toString();
    }
}
