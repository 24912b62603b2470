package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.JvmFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code --version} prints the pom's version, which the build filtered into a resource. */
class BuildVersionTest {
    @Test
    void versionIsThePomsVersion() throws Exception {
        String pom = Files.readString(JvmFlags.repositoryRoot().resolve("pom.xml"), StandardCharsets.UTF_8);
        Matcher own = Pattern.compile("<artifactId>numarrow</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(own.find(), "pom.xml: no <version> after <artifactId>numarrow</artifactId>");
        assertEquals(own.group(1), BuildVersion.version());
        assertArrayEquals(new String[] {"numarrow " + own.group(1)}, new BuildVersion().getVersion());
    }
}
