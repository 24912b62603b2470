package io.numarrow.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.JvmFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelDirectiveTest {
    /** The kernel classes the policy's scaling lines name, once each; packing keeps C1. */
    @Test
    void thePatternsAreTheMatmulClassesThePolicyCovers() {
        List<String> args = List.of("-Xmx1g",
                "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.MicroKernel*::*,0.02",
                "-XX:CompileCommand=BackgroundCompilation,io.numarrow.kernels.MicroKernel*::*,false",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.Softmax::*,0.02",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.Packing::*,0.02",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.MicroKernel*::*,0.05");
        assertEquals(List.of("io/numarrow/kernels/MicroKernel*.*", "io/numarrow/kernels/Softmax.*"),
                KernelDirective.policyPatterns(args));
    }

    @Test
    void withoutThePolicyThereIsNothingToSkip() {
        assertEquals(List.of(), KernelDirective.policyPatterns(List.of(
                "-XX:CompileCommand=BackgroundCompilation,io.numarrow.kernels.MicroKernel*::*,false",
                "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.Packing::*,0.02")));
    }

    @Test
    void theDirectiveExcludesC1AndC2ForTheirPatterns() {
        assertEquals("[{ match: [\"a/B.*\", \"c/D*.*\"], c1: { Exclude: true } }, { match: [\"e/F.*\"], c2: { Exclude: true } }]\n",
                KernelDirective.json(List.of("a/B.*", "c/D*.*"), List.of("e/F.*")));
    }

    /** jvm.flags' policy covers the kernel classes that skip C1, and its opening is a line of jvm.flags. */
    @Test
    void jvmFlagsGiveTheDirectiveItsClassesAndItsAccess() {
        List<String> flags = JvmFlags.ofThisRepository();
        assertTrue(flags.contains(KernelDirective.OPENS), flags.toString());
        List<String> patterns = KernelDirective.policyPatterns(flags);
        assertEquals(List.of("io/numarrow/kernels/MicroKernel*.*", "io/numarrow/kernels/Softmax.*", "io/numarrow/kernels/VectorExp.*",
                "io/numarrow/kernels/RowSum.*", "io/numarrow/kernels/RowArgmax.*"), patterns);
    }

    /** The directive's file: new, empty, its owner's alone, another one each time. */
    @Test
    void theDirectiveFileIsNewAndPrivate() throws Exception {
        Path first = KernelDirective.directiveFile();
        Path second = KernelDirective.directiveFile();
        try {
            assertNotEquals(first, second);
            assertEquals(0, Files.size(first));
            if (Files.getFileStore(first).supportsFileAttributeView("posix")) {
                assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(first));
            }
        } finally {
            Files.deleteIfExists(first);
            Files.deleteIfExists(second);
        }
    }

    @Test
    void c2LeavesTheVectorApiAndTheClassFileLibraryAlone() {
        List<String> off = KernelDirective.c2Off();
        assertTrue(off.containsAll(KernelDirective.FALLBACKS) && off.containsAll(KernelDirective.CLASS_FILE), off.toString());
        assertTrue(off.contains("jdk/internal/classfile/*.*"), off.toString());
    }

    @Test
    void onlyThePolicyAndTheOpeningAreSoonerOnly() {
        assertTrue(CompilePolicy.onlySooner(KernelDirective.OPENS));
        assertTrue(CompilePolicy.onlySooner("-XX:CompileCommand=quiet"));
        assertFalse(CompilePolicy.onlySooner("--add-modules=java.sql"));
        assertFalse(CompilePolicy.onlySooner("--add-opens=java.base/java.nio=ALL-UNNAMED"));
    }
}
