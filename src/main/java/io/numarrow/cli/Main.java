package io.numarrow.cli;

import io.numarrow.BadInputException;
import io.numarrow.Settings;
import io.numarrow.jit.KernelCompile;
import io.numarrow.threading.KernelCompileStart;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./numarrow}. Exit status: 0 success, 2 bad input or usage, 1 anything else. */
@Command(name = "numarrow", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        description = "Vectorized matmul and softmax over Apache Arrow data.",
        footer = "%nAlso: ./numarrow bench --help (JMH benchmarks) and ./numarrow test (the test suite).",
        subcommands = {ComputeCommand.class, DemoCommand.class, GenCommand.class, TopologyCommand.class, JupyterCommand.class,
                TuneCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status (tests call this). */
    public static int run(String... args) {
        List<String> badSettings = Settings.problems();
        if (!badSettings.isEmpty()) { // before any class keeps a value in a static final
            PrintWriter err = new PrintWriter(System.err);
            badSettings.forEach(line -> err.println("numarrow: " + line));
            err.flush();
            return EXIT_BAD_INPUT;
        }
        boolean verbose = Arrays.asList(args).contains("--verbose");
        // before any class makes a logger: slf4j-simple reads its settings once, when the first is made
        Logging.configure(verbose, Arrays.asList(args).contains("--quiet"));
        if (runsKernels(args)) {
            KernelCompile.c2OnKernelsFirst(); // this JVM runs one job: C2 on the kernels alone until they are compiled
            KernelCompileStart.start(); // the kernels compile while the command line is parsed and the input opened
        }
        ComputeCommand compute = ComputeArgs.parse(args); // the job's own line, read without picocli
        if (compute != null) {
            try {
                return compute.call();
            } catch (Exception ex) { // what picocli's execute hands its execution exception handler
                return failed(ex, new PrintWriter(System.err, true), verbose);
            }
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> failed(ex, commandLine.getErr(), verbose));
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("numarrow: " + ex.getMessage());
            err.println("(see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        return cli.execute(args);
    }

    /** Says why a command failed: exit 2 with one line for bad input, 1 with the failure otherwise. */
    private static int failed(Exception ex, PrintWriter err, boolean verbose) {
        if (ex instanceof BadInputException) {
            err.println("numarrow: " + ex.getMessage());
            if (verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_BAD_INPUT;
        }
        // an I/O failure of the output (a full disk) says what happened in its message, which names the file
        String what = (ex instanceof UncheckedIOException ? ex.getMessage() : "failed: " + ex) + MemoryLimit.hint(ex);
        err.println("numarrow: " + what + (verbose ? "" : " (--verbose shows the stack trace)"));
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return 1;
    }

    /** Whether the command is one that computes (its name: the first argument that is not an option). */
    static boolean runsKernels(String... args) {
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                return arg.equals("compute") || arg.equals("demo");
            }
        }
        return false;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
