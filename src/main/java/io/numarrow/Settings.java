package io.numarrow;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Every {@code numarrow.*} system property numarrow reads, in one list: its name, its default and what
 * it changes. No other class reads a {@code numarrow.*} property ({@code SettingsTest} checks the
 * sources), so this list, docs/api.md and {@code numarrow topology --verbose} (or {@code --json}) agree.
 *
 * <p>Each accessor reads its property when called; most callers keep the value in a static final, so a
 * property is set on the command line ({@code NUMARROW_JAVA_OPTS="-Dname=value"} through the launcher),
 * not later. A value that does not parse or is out of range is a {@link BadInputException} whose one line
 * names the property, the value and what it takes; the CLI checks every setting before it runs a
 * command ({@link #problems()}).
 */
public final class Settings {
    public static final Setting GEMM_KC = new Setting("numarrow.gemm.kc", "0",
            "the matmul's K block in floats, kept within 64..512; 0: sized so that a B panel fills twice the L1 data cache",
            wholeNumber(0));
    public static final Setting GEMM_MC = new Setting("numarrow.gemm.mc", "0",
            "the matmul's row block; 0: sized so that a block of A fills half the L2 cache", wholeNumber(0));
    public static final Setting GEMM_TILE = new Setting("numarrow.gemm.tile", "",
            "the preferred vector width's register tile, ROWSxCOLS (512-bit: 6x32, 8x32 or 12x32); same bits; "
                    + "empty: the width's default", tileSpec());
    public static final Setting CACHE_DIR = new Setting("numarrow.cache.dir", "",
            "where numarrow tune keeps its per-machine kernel choice (kernels.properties); "
                    + "empty: $XDG_CACHE_HOME/numarrow, else ~/.cache/numarrow", text -> text);
    public static final Setting GEMM_PACK_A_PANELS = new Setting("numarrow.gemm.packAPanels", "64",
            "no effect (accepted so old command lines still run): A is packed for every product but small ones",
            wholeNumber(1));
    public static final Setting GEMM_A_LAYOUT = new Setting("numarrow.gemm.aLayout", "rows",
            "no effect (accepted so old command lines still run): packed A is laid out row by row",
            choice("rows", "interleaved"));
    public static final Setting KERNELS_CHECKED = new Setting("numarrow.kernels.checked", "false",
            "true: every kernel access bounds-checked, no unchecked tile twins (slower; for tests)", bool());
    public static final Setting KERNELS_SKIP_C1 = new Setting("numarrow.kernels.skipC1", "true",
            "false: no compiler directive (jit.KernelDirective) keeping C1 off the kernels and C2 off the Vector"
                    + " API's own fallbacks before the first batch (which comes about 0.15 s later without it)", bool());
    public static final Setting KERNELS_C2_FIRST = new Setting("numarrow.kernels.c2First", "true",
            "false: the CLI's compute and demo JVMs let C2 compile other code beside the kernels before the kernels"
                    + " are compiled (the 4k job's first batch about 0.05 s later on a 2-core AMD EPYC)", bool());
    public static final Setting WARMUP = new Setting("numarrow.warmup", "false",
            "no effect (it turned on a background warm-up and a scalar bridge): the kernels are now "
                    + "compiled before their first use (jit.KernelCompile); still parsed so that old command lines run",
            bool());
    public static final Setting TENSOR_UNSCOPED = new Setting("numarrow.tensor.unscoped", "false",
            "true: Tensor.segment() hands out unscoped segments (no arena to close; a kept segment dangles)",
            bool());
    public static final Setting NUMA_HUGE_PAGE_THRESHOLD = new Setting("numarrow.numa.hugePageThreshold",
            String.valueOf(2L << 20), "bytes from which a NumaAllocator buffer is mapped on its own, in huge pages (advised)",
            bytes());
    public static final Setting NUMA_CACHE_LIMIT = new Setting("numarrow.numa.cacheLimit", String.valueOf(256L << 20),
            "bytes of freed memory each NumaAllocator node heap keeps for reuse; beyond, it unmaps", bytes());
    public static final Setting PARQUET_ROW_GROUP_ROWS = new Setting("numarrow.parquet.rowGroupRows", "0",
            "rows per row group of a Parquet output; 0: about 16 MiB of rows, within 2,048..122,880",
            wholeNumber(0));
    public static final Setting OUTPUT_IN_PLACE = new Setting("numarrow.output.inPlace", "true",
            "false: an Arrow IPC output of an Arrow IPC file is written from output buffers by Arrow's file writer,"
                    + " as for other inputs, not computed in place in the mapped output file", bool());
    public static final Setting OUTPUT_MAPPED_STORES = new Setting("numarrow.output.mappedStores", "false",
            "true: an output computed in place is computed into the output file's mapped pages; false: into a"
                    + " reused buffer of the job's that each batch's finish writes to the file (no page faults)", bool());
    public static final Setting OUTPUT_KERNEL_COPY = new Setting("numarrow.output.kernelCopy", "false",
            "true: an output computed in place gets the input's kept columns copied file to file inside the kernel"
                    + " (copy_file_range); false: written from the input's mapping (pwrite), which takes less CPU on"
                    + " ext4, where the kernel's copy goes through a pipe", bool());
    public static final Setting OUTPUT_DIRECT_INPUT = new Setting("numarrow.output.directInput", "false",
            "true: an output computed in place gets the whole pages of the input's kept columns written with O_DIRECT"
                    + " by a thread of the output's that sleeps in the writes (no page-cache copy on the pool's cores);"
                    + " false: written through the page cache by each batch's finish", bool());
    public static final Setting STDERR_TERMINAL = new Setting("numarrow.stderr.terminal", "",
            "whether stderr is a terminal (progress bar) or not (log lines); set by the launcher, "
                    + "empty: the JVM's console decides", optionalBool());
    public static final Setting HOME = new Setting("numarrow.home", ".",
            "the repository root, set by the launcher: where demo finds data/ and bench finds the launcher",
            text -> text);

    private static final List<Setting> ALL = List.of(GEMM_KC, GEMM_MC, GEMM_TILE, CACHE_DIR, GEMM_PACK_A_PANELS, GEMM_A_LAYOUT,
            KERNELS_CHECKED, KERNELS_SKIP_C1, KERNELS_C2_FIRST, WARMUP, TENSOR_UNSCOPED, NUMA_HUGE_PAGE_THRESHOLD, NUMA_CACHE_LIMIT,
            PARQUET_ROW_GROUP_ROWS, OUTPUT_IN_PLACE, OUTPUT_MAPPED_STORES, OUTPUT_KERNEL_COPY, STDERR_TERMINAL, HOME);

    private Settings() {
    }

    /** Every setting, in the order docs/api.md lists them. */
    public static List<Setting> all() {
        return ALL;
    }

    /** One line per setting whose value does not parse; empty when all do. */
    public static List<String> problems() {
        return ALL.stream().flatMap(s -> {
            try {
                s.value();
                return Stream.<String>empty();
            } catch (BadInputException e) {
                return Stream.of(e.getMessage());
            }
        }).toList();
    }

    public static int gemmKc() {
        return (int) GEMM_KC.value();
    }

    public static int gemmMc() {
        return (int) GEMM_MC.value();
    }

    /** The register tile asked for, {@code ROWSxCOLS} in lower case, or empty for the width's default. */
    public static String gemmTile() {
        return (String) GEMM_TILE.value();
    }

    /** The directory of numarrow's per-user cache files: the property, else the XDG cache directory. */
    public static Path cacheDir() {
        String dir = ((String) CACHE_DIR.value()).strip();
        if (!dir.isEmpty()) {
            return Path.of(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "numarrow"); // the XDG rule: a relative value is invalid and ignored
        }
        return Path.of(System.getProperty("user.home"), ".cache", "numarrow");
    }

    public static boolean kernelsChecked() {
        return (boolean) KERNELS_CHECKED.value();
    }

    public static boolean kernelsSkipC1() {
        return (boolean) KERNELS_SKIP_C1.value();
    }

    public static boolean kernelsC2First() {
        return (boolean) KERNELS_C2_FIRST.value();
    }

    /** @deprecated read by nothing: the kernels are compiled before their first use ({@code jit.KernelCompile}). */
    @Deprecated
    public static boolean warmup() {
        return (boolean) WARMUP.value();
    }

    public static boolean tensorUnscoped() {
        return (boolean) TENSOR_UNSCOPED.value();
    }

    public static long numaHugePageThreshold() {
        return (long) NUMA_HUGE_PAGE_THRESHOLD.value();
    }

    public static long numaCacheLimit() {
        return (long) NUMA_CACHE_LIMIT.value();
    }

    /** Rows per Parquet row group, 0 when the writer should size them from the schema. */
    public static int parquetRowGroupRows() {
        return (int) PARQUET_ROW_GROUP_ROWS.value();
    }

    /** Whether a job computes an Arrow IPC output in place in its mapped file (read at each job's start). */
    public static boolean outputInPlace() {
        return (boolean) OUTPUT_IN_PLACE.value();
    }

    /** Whether an output computed in place takes the kernels' stores in its mapped pages, not from a buffer written to it (read at each job's start). */
    public static boolean outputMappedStores() {
        return (boolean) OUTPUT_MAPPED_STORES.value();
    }

    /** Whether an output computed in place copies the input's kept columns inside the kernel ({@code copy_file_range}), not by writes from the input's mapping (read at each job's start). */
    public static boolean outputKernelCopy() {
        return (boolean) OUTPUT_KERNEL_COPY.value();
    }

    /** Whether an output computed in place writes the input's kept columns with {@code O_DIRECT} from a thread of its own (read at each job's start). */
    public static boolean outputDirectInput() {
        return (boolean) OUTPUT_DIRECT_INPUT.value();
    }

    /** What the launcher said about stderr, empty when it said nothing. */
    @SuppressWarnings("unchecked")
    public static Optional<Boolean> stderrTerminal() {
        return (Optional<Boolean>) STDERR_TERMINAL.value();
    }

    public static Path home() {
        return Path.of((String) HOME.value());
    }

    /** One {@code numarrow.*} system property: its name, default, meaning, and how its text parses. */
    public static final class Setting {
        private final String name;
        private final String defaultValue;
        private final String meaning;
        private final Function<String, Object> parser;

        private Setting(String name, String defaultValue, String meaning, Function<String, Object> parser) {
            this.name = name;
            this.defaultValue = defaultValue;
            this.meaning = meaning;
            this.parser = parser;
        }

        public String name() {
            return name;
        }

        public String defaultValue() {
            return defaultValue;
        }

        public String meaning() {
            return meaning;
        }

        /** Whether the property is set (else the default is in force). */
        public boolean isSet() {
            return System.getProperty(name) != null;
        }

        /** The text in force: the property's, else the default. */
        public String inForce() {
            String text = System.getProperty(name);
            return text != null ? text : defaultValue;
        }

        Object value() {
            String text = inForce();
            try {
                return parser.apply(text.strip());
            } catch (IllegalArgumentException e) {
                throw new BadInputException("-D" + name + "=" + text + ": expected " + e.getMessage()
                        + " (" + meaning + ")");
            }
        }
    }

    /** Empty, or {@code ROWSxCOLS}; which tiles exist is the kernels' to say. */
    private static Function<String, Object> tileSpec() {
        return text -> {
            String t = text.toLowerCase(Locale.ROOT);
            if (t.isEmpty() || t.matches("[1-9][0-9]?x[1-9][0-9]{0,2}")) {
                return t;
            }
            throw new IllegalArgumentException("ROWSxCOLS, e.g. 12x32, or nothing");
        };
    }

    /** An int from {@code min} up. */
    private static Function<String, Object> wholeNumber(int min) {
        return text -> (int) number(text, min, Integer.MAX_VALUE);
    }

    /** A count of bytes, from 0 up. */
    private static Function<String, Object> bytes() {
        return text -> number(text, 0, Long.MAX_VALUE);
    }

    private static long number(String text, long min, long max) {
        try {
            long v = Long.parseLong(text);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException("a whole number from " + min + (max == Long.MAX_VALUE ? " up" : " to " + max));
    }

    private static Function<String, Object> bool() {
        return text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("true or false");
        };
    }

    private static Function<String, Object> optionalBool() {
        Function<String, Object> bool = bool();
        return text -> text.isEmpty() ? Optional.empty() : Optional.of((Boolean) bool.apply(text));
    }

    private static Function<String, Object> choice(String... options) {
        return text -> {
            for (String o : options) {
                if (o.equals(text)) {
                    return o;
                }
            }
            throw new IllegalArgumentException(String.join(" or ", options));
        };
    }
}
