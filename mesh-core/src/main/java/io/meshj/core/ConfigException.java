package io.meshj.core;

import static java.util.Objects.requireNonNull;

/**
 * A configuration document (a static endpoints file, a service profile, a flag value) was rejected.
 * The message always names where: the source, the line when it is known, and the field, in the form
 * {@code endpoints.yml:12: services["web-svc.emojivoto:8080"][0].port: 70000 is out of range 1-65535},
 * so that a CLI can print it as is, without a stack trace.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final String field;
    private final String reason;

    /**
     * @param source the file name or other origin of the document, e.g. {@code endpoints.yml}
     * @param line the 1-based line of the offending value, or 0 when unknown
     * @param field the path of the offending field, e.g. {@code spec.routes[2].condition}; empty for
     *     the document as a whole
     * @param reason what is wrong, in words a user can act on
     */
    public ConfigException(String source, int line, String field, String reason) {
        this(source, line, field, reason, null);
    }

    public ConfigException(String source, int line, String field, String reason, Throwable cause) {
        super(format(source, line, field, reason), cause);
        this.source = requireNonNull(source, "source");
        this.line = line;
        this.field = requireNonNull(field, "field");
        this.reason = requireNonNull(reason, "reason");
    }

    /** The file name or other origin of the rejected document. */
    public String source() {
        return source;
    }

    /** The 1-based line of the offending value, or 0 when it is not known. */
    public int line() {
        return line;
    }

    /** The path of the offending field, empty for the whole document. */
    public String field() {
        return field;
    }

    /** What is wrong, without the location. */
    public String reason() {
        return reason;
    }

    private static String format(String source, int line, String field, String reason) {
        StringBuilder b = new StringBuilder(source);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (!field.isEmpty()) {
            b.append(field).append(": ");
        }
        return b.append(reason).toString();
    }
}
