package io.numarrow.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * {@code ./numarrow --version}: the project version the build wrote into
 * {@code numarrow-version.properties} (a filtered resource, see pom.xml), so it cannot drift from the pom.
 */
final class BuildVersion implements CommandLine.IVersionProvider {
    static final String RESOURCE = "/io/numarrow/numarrow-version.properties";

    @Override
    public String[] getVersion() {
        return new String[] {"numarrow " + version()};
    }

    static String version() {
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath: build numarrow with Maven");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
