package io.numarrow.cli;

import io.numarrow.BadInputException;
import io.numarrow.jit.KernelCompile;
import io.numarrow.kernels.CpuIdentity;
import io.numarrow.kernels.KernelTuner;
import io.numarrow.kernels.Matmul;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code numarrow tune}: measure the matmul variants with identical bits on this machine and cache the fastest. */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Time the matmul variants that give identical bits (tile rows, row block) on this CPU, "
                + "one thread, and keep the fastest for this CPU model and JDK in the cache file (docs/api.md).")
final class TuneCommand implements Callable<Integer> {
    static final int MAX_ROUNDS = 50;

    @Option(names = "--rounds", paramLabel = "N", description = "Timed rounds after the warm-up (default: ${DEFAULT-VALUE}, 1.."
            + MAX_ROUNDS + ").", defaultValue = "9")
    int rounds;

    @Option(names = "--dry-run", description = "Measure and print, but leave the cache file as it is.")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
        if (rounds < 1 || rounds > MAX_ROUNDS) {
            throw new BadInputException("--rounds " + rounds + ": expected 1.." + MAX_ROUNDS);
        }
        System.out.println("CPU: " + CpuIdentity.current().summary());
        // as a job's warm-up does: with numarrow.kernels.skipC1 (the default) it keeps C1 off the tiles, and the
        // tiles only such JVMs run are then measured too
        KernelCompile.compile(256, 256, true, false);
        if (KernelCompile.c1Note() == null) {
            Matmul.tilesSkipFirstTier();
        }
        System.out.println("Tiles: " + Matmul.tallTilesNote());
        KernelTuner.Result r = KernelTuner.measure(rounds);
        System.out.printf("%d timed rounds after %d of warm-up, one thread; ms per product, median (min-max):%n",
                rounds, KernelTuner.WARMUP_ROUNDS);
        StringBuilder head = new StringBuilder(String.format("  %-6s %6s", "tile", "mc"));
        for (String p : r.products()) {
            head.append(String.format("  %-24s", p));
        }
        System.out.println(head.append("  vs default  bits"));
        for (KernelTuner.Measurement m : r.rows()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-6s %6d", m.tile(), m.mc()));
            for (int i = 0; i < m.medianMs().length; i++) {
                line.append(String.format(Locale.ROOT, "  %-24s",
                        String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", m.medianMs()[i], m.minMs()[i], m.maxMs()[i])));
            }
            line.append(String.format(Locale.ROOT, "  %9.3f×  %s%s", m.score(), m.sameBits() ? "same" : "DIFFER",
                    m.isDefault() ? "  (default)" : ""));
            System.out.println(line);
        }
        KernelTuner.Measurement c = r.chosen();
        System.out.printf(Locale.ROOT, "Chosen: tile %s, mc=%d%s%n", c.tile(), c.mc(),
                c.isDefault() ? " (the default: no variant was 2% faster)" : "");
        if (dryRun) {
            System.out.println("Not saved (--dry-run).");
        } else {
            Path file = KernelTuner.save(r);
            System.out.println("Saved to " + file + " (used by new JVMs on this CPU model and JDK; -Dnumarrow.gemm.tile and "
                    + "-Dnumarrow.gemm.mc override it)");
        }
        return 0;
    }
}
