package io.numarrow.kernels;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import jdk.incubator.vector.FloatVector;

/**
 * What a kernel figure needs next to it to mean anything: the CPU model (from {@code /proc/cpuinfo}), the
 * vector ISA features the CPU reports that matter to float kernels, and what the JVM uses of them (its
 * {@code UseAVX} level and the float vector width the Vector API prefers).
 *
 * @param model    the CPU's model name, with family and model numbers ("AMD EPYC (family 25 model 17)")
 * @param features the vector features present, in a fixed order ("avx2 fma avx512f ...")
 * @param jvmIsa   what the JVM's compiled code uses ("UseAVX=3, 512-bit float vectors")
 */
public record CpuIdentity(String model, String features, String jvmIsa) {
    /** The features worth naming for float kernels, in the order they are printed. */
    private static final List<String> VECTOR_FEATURES = List.of("sse4_2", "avx", "avx2", "fma", "avx512f",
            "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "asimd", "sve");
    private static final CpuIdentity CURRENT = read(Path.of("/proc/cpuinfo"));

    /** This machine's identity, read once. */
    public static CpuIdentity current() {
        return CURRENT;
    }

    /** One line for report headers. */
    public String summary() {
        return model + "; features " + features + "; JVM " + jvmIsa;
    }

    /** From a {@code /proc/cpuinfo}-format file; unknown parts read "unknown" (other systems, hidden files). */
    static CpuIdentity read(Path cpuinfo) {
        String name = null;
        String family = null;
        String modelNumber = null;
        Set<String> flags = Set.of();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    if (name != null) {
                        break; // the first processor's block is enough
                    }
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                switch (key) {
                    case "model name" -> name = value;
                    case "cpu family" -> family = value;
                    case "model" -> modelNumber = value;
                    case "flags", "Features" -> flags = Set.copyOf(Arrays.asList(value.split("\\s+")));
                    default -> {
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable cpuinfo leaves the parts unknown; nothing depends on them but reports and keys
        }
        List<String> present = new ArrayList<>();
        for (String f : VECTOR_FEATURES) {
            if (flags.contains(f)) {
                present.add(f);
            }
        }
        String model = (name == null ? "unknown CPU" : name)
                + (family != null && modelNumber != null ? " (family " + family + " model " + modelNumber + ")" : "");
        return new CpuIdentity(model, present.isEmpty() ? "unknown" : String.join(" ", present), detectJvmIsa());
    }

    private static String detectJvmIsa() {
        String avx = "";
        try {
            var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            avx = "UseAVX=" + hotspot.getVMOption("UseAVX").getValue() + ", ";
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or not x86: the vector width below still says what the kernels run on
        }
        return avx + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit float vectors";
    }
}
