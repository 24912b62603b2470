package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CpuIdentity} from {@code /proc/cpuinfo} text: what bench headers and topology print. */
class CpuIdentityTest {
    @Test
    void readsTheFirstProcessorsModelAndVectorFeaturesInAFixedOrder(@TempDir Path dir) throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor\t: 0
                vendor_id\t: GenuineIntel
                cpu family\t: 6
                model\t\t: 143
                model name\t: Intel(R) Xeon(R) Platinum 8481C
                flags\t\t: fpu amx_tile avx512f sse4_2 fma avx2 avx avx512_bf16 avx512bw avx512vl amx_bf16 avx512_fp16

                processor\t: 1
                model name\t: something else
                """);
        CpuIdentity id = CpuIdentity.read(cpuinfo);
        assertEquals("Intel(R) Xeon(R) Platinum 8481C (family 6 model 143)", id.model());
        assertEquals("sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_bf16 avx512_fp16 amx_tile amx_bf16", id.features());
        assertTrue(id.jvmIsa().endsWith("-bit float vectors"), id.jvmIsa());
    }

    @Test
    void aMissingOrEmptyCpuinfoSaysUnknown(@TempDir Path dir) throws Exception {
        CpuIdentity missing = CpuIdentity.read(dir.resolve("absent"));
        assertEquals("unknown CPU", missing.model());
        assertEquals("unknown", missing.features());
        Path empty = Files.writeString(dir.resolve("empty"), "");
        assertEquals("unknown CPU", CpuIdentity.read(empty).model());
    }
}
