package io.numarrow.cli;

import io.numarrow.BadInputException;
import io.numarrow.jupyter.KernelInstaller;
import io.numarrow.jupyter.KernelSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code numarrow jupyter install}: numarrow's Jupyter kernel. Bare {@code ./numarrow jupyter} (the
 * launcher) runs this install and then starts Jupyter in {@code notebooks/}.
 */
@Command(name = "jupyter", mixinStandardHelpOptions = true,
        description = "A Jupyter kernel for numarrow (rapaio-jupyter-kernel on JDK 25, numarrow on its classpath). "
                + "./numarrow jupyter (no subcommand) installs it and starts Jupyter in notebooks/.",
        subcommands = {JupyterCommand.Install.class})
final class JupyterCommand implements Runnable {
    /** Where the launcher puts its JVM flags for the kernel's JVM (one source for both). */
    static final String FLAGS_VARIABLE = "NUMARROW_JVM_FLAGS";
    static final String INSTALL_HINT = "install Jupyter with 'apt-get install jupyter-notebook python3-nbclient' "
            + "(Debian/Ubuntu) or 'pip install notebook nbclient'";

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = "Install or refresh the kernelspec 'numarrow' in Jupyter's data directory "
                    + "(JUPYTER_DATA_DIR, else ~/.local/share/jupyter, as 'jupyter kernelspec install --user'). "
                    + "Running it again changes nothing unless numarrow's kernel changed.")
    static final class Install implements Callable<Integer> {
        @Option(names = "--data-dir", paramLabel = "DIR", description = "Jupyter data directory to install into "
                + "(default: ${DEFAULT-VALUE}).")
        Path dataDir = KernelInstaller.userDataDir();

        @Option(names = "--verbose", hidden = true)
        boolean verbose;

        @Override
        public Integer call() throws IOException {
            String flags = System.getenv(FLAGS_VARIABLE);
            if (flags == null || flags.isBlank()) {
                throw new BadInputException(FLAGS_VARIABLE + " is not set: run this through ./numarrow jupyter install, "
                        + "which passes numarrow's JVM flags");
            }
            if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
                throw new BadInputException("Jupyter data directory " + dataDir + " is not a directory");
            }
            List<String> jvmFlags = Arrays.stream(flags.trim().split("\\s+")).toList();
            KernelInstaller.Result result = KernelInstaller.install(dataDir, KernelInstaller.kernelJarsOfThisBuild(),
                    KernelInstaller.forThisBuild(jvmFlags));
            String what = switch (result.outcome()) {
                case INSTALLED -> "installed in";
                case UPDATED -> "updated in";
                case UNCHANGED -> "already up to date in";
            };
            System.out.printf("Jupyter kernel '%s' (%s) %s %s%n", KernelSpec.NAME, KernelSpec.DEFAULT_DISPLAY_NAME,
                    what, result.kernelDir());
            if (!onPath("jupyter")) {
                System.out.println("Jupyter itself was not found on PATH: " + INSTALL_HINT);
            }
            return 0;
        }

        private static boolean onPath(String command) {
            String path = System.getenv("PATH");
            return path != null && Arrays.stream(path.split(File.pathSeparator))
                    .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, command)));
        }
    }
}
