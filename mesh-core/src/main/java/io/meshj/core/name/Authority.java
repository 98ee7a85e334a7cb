package io.meshj.core.name;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Locale;

/**
 * A host and optional port, as found in an HTTP {@code Host} header, an HTTP/2 {@code :authority}, a
 * gRPC target or a discovery file: {@code web-svc}, {@code web-svc.emojivoto:8080},
 * {@code 10.0.0.7:8080}, {@code [2001:db8::1]:443}.
 *
 * <p>Parsing is strict and never touches DNS. Host names follow RFC 1123 (letters, digits and hyphens;
 * labels of 1–63 characters; at most 253 characters), are lower-cased and lose one trailing dot. IP
 * literals are written canonically (IPv6 per RFC 5952, in brackets), so two spellings of one address
 * compare equal. User info ({@code user@host}), IPv6 zone identifiers and unbracketed IPv6 are
 * rejected, each with a message that says so.
 *
 * <p>Instances are immutable; {@link #equals} compares host and port.
 */
public final class Authority {

    /** The port value of an authority written without one. */
    public static final int NO_PORT = -1;

    private static final int MAX_HOST_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    private enum Kind { NAME, IPV4, IPV6 }

    private final String host;
    private final int port;
    private final Kind kind;

    private Authority(String host, int port, Kind kind) {
        this.host = host;
        this.port = port;
        this.kind = kind;
    }

    /**
     * Parses {@code host}, {@code host:port}, an IPv4 literal with optional port, or a bracketed IPv6
     * literal with optional port.
     *
     * @throws InvalidAuthorityException naming what is wrong (empty label, port out of range, illegal
     *     character, ...)
     */
    public static Authority parse(String authority) {
        requireNonNull(authority, "authority");
        if (authority.isEmpty()) {
            throw new InvalidAuthorityException(authority, "empty");
        }
        if (authority.indexOf('@') >= 0) {
            throw new InvalidAuthorityException(authority, "user info (\"...@\") is not allowed");
        }
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new InvalidAuthorityException(authority, "missing ']' after IPv6 address");
            }
            String literal = authority.substring(1, close);
            int port = NO_PORT;
            if (close + 1 < authority.length()) {
                if (authority.charAt(close + 1) != ':') {
                    throw new InvalidAuthorityException(authority, "expected ':' after ']'");
                }
                port = parsePort(authority, authority.substring(close + 2));
            }
            return ipv6(authority, literal, port);
        }
        int firstColon = authority.indexOf(':');
        int lastColon = authority.lastIndexOf(':');
        if (firstColon != lastColon) {
            throw new InvalidAuthorityException(authority, "an IPv6 address must be enclosed in brackets, e.g. [::1]:8080");
        }
        String hostPart = firstColon < 0 ? authority : authority.substring(0, firstColon);
        int port = firstColon < 0 ? NO_PORT : parsePort(authority, authority.substring(firstColon + 1));
        return host(authority, hostPart, port);
    }

    /**
     * Returns the authority for a host (a name, an IPv4 literal or an IPv6 literal with or without
     * brackets) and a port in 1–65535, or {@link #NO_PORT}.
     */
    public static Authority of(String host, int port) {
        requireNonNull(host, "host");
        String input = host + (port == NO_PORT ? "" : ":" + port);
        if (port != NO_PORT) {
            checkPort(input, port);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            return ipv6(input, host.substring(1, host.length() - 1), port);
        }
        if (host.indexOf(':') >= 0) {
            return ipv6(input, host, port);
        }
        return host(input, host, port);
    }

    /** The authority of an IP address and port; never resolves names. Scoped IPv6 addresses are rejected. */
    public static Authority of(InetAddress address, int port) {
        requireNonNull(address, "address");
        checkPort(address.getHostAddress(), port);
        if (address instanceof Inet6Address v6 && (v6.getScopeId() != 0 || v6.getScopedInterface() != null)) {
            throw new InvalidAuthorityException(address.getHostAddress(), "IPv6 zone identifiers are not supported");
        }
        Kind kind = address instanceof Inet6Address ? Kind.IPV6 : Kind.IPV4;
        return new Authority(InetAddresses.toAddrString(address), port, kind);
    }

    /** The host, lower-cased; an IPv6 literal without brackets. */
    public String host() {
        return host;
    }

    /** The port, or {@link #NO_PORT} when the authority was written without one. */
    public int port() {
        return port;
    }

    public boolean hasPort() {
        return port != NO_PORT;
    }

    /** True for IPv4 and IPv6 literals, false for names. */
    public boolean isIpAddress() {
        return kind != Kind.NAME;
    }

    /** True for IPv6 literals. */
    public boolean isIpv6() {
        return kind == Kind.IPV6;
    }

    /** This authority with the given port. */
    public Authority withPort(int newPort) {
        checkPort(toString(), newPort);
        return newPort == port ? this : new Authority(host, newPort, kind);
    }

    /** This authority, or, when it has no port, this authority with {@code defaultPort}. */
    public Authority withDefaultPort(int defaultPort) {
        return hasPort() ? this : withPort(defaultPort);
    }

    /** This authority without its port. */
    public Authority withoutPort() {
        return hasPort() ? new Authority(host, NO_PORT, kind) : this;
    }

    /**
     * The address of an IP literal, made without a DNS lookup.
     *
     * @throws IllegalStateException if this authority is a name
     */
    public InetAddress toInetAddress() {
        if (!isIpAddress()) {
            throw new IllegalStateException(host + " is a name, not an IP address");
        }
        return InetAddresses.forString(host);
    }

    /** The host as it appears in a URI or {@code Host} header: IPv6 in brackets. */
    public String hostForUri() {
        return kind == Kind.IPV6 ? "[" + host + "]" : host;
    }

    /** {@code host}, {@code host:port}, {@code [v6]:port}: the canonical spelling, parseable again. */
    @Override
    public String toString() {
        return hasPort() ? hostForUri() + ":" + port : hostForUri();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Authority)) {
            return false;
        }
        Authority that = (Authority) o;
        return port == that.port && host.equals(that.host);
    }

    @Override
    public int hashCode() {
        return 31 * host.hashCode() + port;
    }

    private static Authority ipv6(String input, String literal, int port) {
        if (literal.isEmpty()) {
            throw new InvalidAuthorityException(input, "empty IPv6 address");
        }
        if (literal.indexOf('%') >= 0) {
            throw new InvalidAuthorityException(input, "IPv6 zone identifiers are not supported");
        }
        InetAddress address;
        try {
            address = InetAddresses.forString(literal);
        } catch (IllegalArgumentException e) {
            throw new InvalidAuthorityException(input, "\"" + literal + "\" is not a valid IPv6 address");
        }
        // An IPv4-mapped literal (::ffff:10.0.0.1) is the IPv4 address; store it in that form.
        Kind kind = address instanceof Inet4Address ? Kind.IPV4 : Kind.IPV6;
        return new Authority(InetAddresses.toAddrString(address), port, kind);
    }

    private static Authority host(String input, String rawHost, int port) {
        String host = rawHost.endsWith(".") ? rawHost.substring(0, rawHost.length() - 1) : rawHost;
        if (host.isEmpty()) {
            throw new InvalidAuthorityException(input, "empty host");
        }
        if (host.length() > MAX_HOST_LENGTH) {
            throw new InvalidAuthorityException(input, "host is " + host.length() + " characters long, more than "
                    + MAX_HOST_LENGTH);
        }
        int labelStart = 0;
        for (int i = 0; i <= host.length(); i++) {
            char c = i < host.length() ? host.charAt(i) : '.';
            if (c == '.') {
                checkLabel(input, host, labelStart, i);
                labelStart = i + 1;
            } else if (!isLetterOrDigit(c) && c != '-') {
                throw new InvalidAuthorityException(input, "illegal character '" + c + "' at position " + i
                        + " of host (allowed: letters, digits, '-' and '.')");
            }
        }
        String lower = host.toLowerCase(Locale.ROOT);
        // A final label of digits only cannot be a DNS top-level name (RFC 3696 §2): it must be IPv4.
        String last = lower.substring(lower.lastIndexOf('.') + 1);
        if (isAllDigits(last)) {
            InetAddress address;
            try {
                address = InetAddresses.forString(lower);
            } catch (IllegalArgumentException e) {
                address = null;
            }
            if (!(address instanceof Inet4Address)) {
                throw new InvalidAuthorityException(input, "\"" + host + "\" is not a valid IPv4 address");
            }
            return new Authority(InetAddresses.toAddrString(address), port, Kind.IPV4);
        }
        return new Authority(lower, port, Kind.NAME);
    }

    private static void checkLabel(String input, String host, int start, int end) {
        if (start == end) {
            throw new InvalidAuthorityException(input, "empty label at position " + start + " of host");
        }
        if (end - start > MAX_LABEL_LENGTH) {
            throw new InvalidAuthorityException(input, "label \"" + host.substring(start, end) + "\" is longer than "
                    + MAX_LABEL_LENGTH + " characters");
        }
        if (host.charAt(start) == '-' || host.charAt(end - 1) == '-') {
            throw new InvalidAuthorityException(input, "label \"" + host.substring(start, end)
                    + "\" starts or ends with '-'");
        }
    }

    private static int parsePort(String input, String digits) {
        if (digits.isEmpty()) {
            throw new InvalidAuthorityException(input, "empty port after ':'");
        }
        if (digits.length() > 5 || !isAllDigits(digits)) {
            throw new InvalidAuthorityException(input, "port \"" + digits + "\" is not a number in 1-65535");
        }
        int port = Integer.parseInt(digits);
        checkPort(input, port);
        return port;
    }

    private static void checkPort(String input, int port) {
        if (port < 1 || port > 65535) {
            throw new InvalidAuthorityException(input, "port " + port + " is out of range 1-65535");
        }
    }

    private static boolean isLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isAllDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
