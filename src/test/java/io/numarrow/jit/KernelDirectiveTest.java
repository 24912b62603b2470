package io.numarrow.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.JvmFlags;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelDirectiveTest {
    /** The tiles' classes, once each, when the policy's scaling lines name them; softmax's and packing's keep C1. */
    @Test
    void thePatternsAreTheMatmulClassesThePolicyCovers() {
        List<String> args = List.of("-Xmx1g",
                "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.MicroKernel*::*,0.02",
                "-XX:CompileCommand=BackgroundCompilation,io.numarrow.kernels.MicroKernel*::*,false",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.Softmax::*,0.02",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.MicroKernel*::*,0.05");
        assertEquals(List.of("io/numarrow/kernels/MicroKernel*.*"), KernelDirective.policyPatterns(args));
    }

    @Test
    void withoutThePolicyThereIsNothingToSkip() {
        assertEquals(List.of(), KernelDirective.policyPatterns(List.of(
                "-XX:CompileCommand=BackgroundCompilation,io.numarrow.kernels.MicroKernel*::*,false",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.Packing::*,0.02")));
    }

    @Test
    void theDirectiveExcludesC1ForEveryPattern() {
        assertEquals("[{ match: [\"a/B.*\", \"c/D*.*\"], c1: { Exclude: true } }]\n",
                KernelDirective.json(List.of("a/B.*", "c/D*.*")));
    }

    /** jvm.flags' policy covers the matmul classes, and its opening is a line of jvm.flags. */
    @Test
    void jvmFlagsGiveTheDirectiveItsClassesAndItsAccess() {
        List<String> flags = JvmFlags.ofThisRepository();
        assertTrue(flags.contains(KernelDirective.OPENS), flags.toString());
        List<String> patterns = KernelDirective.policyPatterns(flags);
        assertEquals(List.of("io/numarrow/kernels/MicroKernel*.*"), patterns);
    }

    @Test
    void onlyThePolicyAndTheOpeningAreSoonerOnly() {
        assertTrue(CompilePolicy.onlySooner(KernelDirective.OPENS));
        assertTrue(CompilePolicy.onlySooner("-XX:CompileCommand=quiet"));
        assertFalse(CompilePolicy.onlySooner("--add-modules=java.sql"));
        assertFalse(CompilePolicy.onlySooner("--add-opens=java.base/java.nio=ALL-UNNAMED"));
    }
}
