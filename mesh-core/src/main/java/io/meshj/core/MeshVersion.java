package io.meshj.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of the meshj build on the class path, as the build wrote it into the jar. */
public final class MeshVersion {

    private static final String RESOURCE = "/META-INF/meshj/version.properties";
    private static final String VERSION = load();

    private MeshVersion() {
    }

    /** Returns the meshj version, for example {@code 0.1.0} or {@code 0.2.0-SNAPSHOT}. */
    public static String current() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = MeshVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                // Only possible when the classes were not built by Maven (e.g. an IDE without resource filtering).
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "unknown");
            return version.startsWith("${") ? "unknown" : version;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
