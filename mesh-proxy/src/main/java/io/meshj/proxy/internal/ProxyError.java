package io.meshj.proxy.internal;

/**
 * Why the proxy answered a request itself. Each kind has the HTTP status and gRPC status it maps to;
 * the reason travels in the {@code meshj-proxy-error} header (with details only where they concern
 * the client's own request, see {@link #detailForClient}) and each occurrence is counted.
 */
public enum ProxyError {
    /** Discovery knows the service but it has no endpoints. */
    NO_ENDPOINTS(503, 14, "no endpoints", true),
    /** Nobody answered the connection attempt, or it was refused. */
    CONNECT_FAILED(502, 14, "connect failed", false),
    /** The upstream closed or reset the stream before it responded. */
    UPSTREAM_FAILED(502, 14, "upstream closed the connection before responding", false),
    /** The upstream sent something that is not valid HTTP. */
    UPSTREAM_PROTOCOL_ERROR(502, 13, "upstream sent an invalid response", false),
    /** The upstream's mTLS handshake failed: another identity than discovery promised, another CA, no TLS. */
    UPSTREAM_TLS_FAILED(502, 14, "upstream mTLS handshake failed", false),
    /** The client spoke HTTP/2, and the upstream answered the HTTP/2 preface with HTTP/1. */
    UPSTREAM_NOT_HTTP2(502, 14, "upstream does not speak HTTP/2 (it answered the connection preface with HTTP/1)", false),
    /** The upstream did not start its response within the request timeout. */
    TIMEOUT(504, 4, "response timeout", true),
    /** The destination is this proxy's own listener: forwarding would loop forever. */
    LOOP_DETECTED(502, 14, "request would loop back into the proxy", false),
    /** An inbound request for which no application port is configured. */
    NO_APP_PORT(502, 14, "no application port configured", false),
    /** The request has no authority (no Host header, no :authority). */
    NO_AUTHORITY(400, 13, "request has no authority", true),
    /** A method the proxy does not forward (CONNECT). */
    METHOD_NOT_SUPPORTED(501, 12, "method not supported", true),
    /** The request could not be parsed. */
    BAD_REQUEST(400, 13, "malformed request", true),
    /** The request line is longer than the proxy accepts. */
    URI_TOO_LONG(414, 13, "request line too long", true),
    /** The request head is larger than the proxy accepts. */
    HEADERS_TOO_LARGE(431, 13, "request headers too large", true),
    /** The client did not send a whole request head within the header read timeout. */
    REQUEST_HEAD_TIMEOUT(408, 4, "request head timeout", true),
    /** A plaintext request to an application port that requires a meshed (mTLS) client. */
    IDENTITY_REQUIRED(403, 7, "client identity required", true),
    /** A connection refused at accept: the proxy holds as many client connections as it may. */
    CONNECTION_LIMIT(503, 14, "connection limit reached", false),
    /** The heap is too full for new work: requests and connections are refused until it recovers. */
    OVERLOADED(503, 14, "proxy overloaded", false),
    /** An HTTP/2 client reset more dispatched streams than its budget allows: its connection is closed (GOAWAY ENHANCE_YOUR_CALM). */
    RESET_FLOOD(429, 8, "too many streams reset", false),
    /** The proxy is shutting down and takes no new requests. */
    SHUTTING_DOWN(503, 14, "proxy is shutting down", false);

    private static final ProxyError[] VALUES = values();

    private final int httpStatus;
    private final int grpcStatus;
    private final String reason;
    private final String label;
    private final boolean detailForClient;

    ProxyError(int httpStatus, int grpcStatus, String reason, boolean detailForClient) {
        this.detailForClient = detailForClient;
        this.httpStatus = httpStatus;
        this.grpcStatus = grpcStatus;
        this.reason = reason;
        this.label = name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Its name as metrics label it ({@code reason}, {@code error}): lower case. */
    public String label() {
        return label;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The gRPC status code (UNAVAILABLE = 14, DEADLINE_EXCEEDED = 4, INTERNAL = 13). */
    public int grpcStatus() {
        return grpcStatus;
    }

    public String reason() {
        return reason;
    }

    /**
     * Whether the client is told the details (what was wrong with its request, which timeout ran out,
     * which name has no endpoints), or only the reason: details of upstream failures name backend
     * addresses and carry library exception text, which are for the operator's log, not for whoever
     * sent the request.
     */
    public boolean detailForClient() {
        return detailForClient;
    }

    /**
     * Whether a request answered with this error never went further than the proxy that answered: it
     * reached no application (no connection to one, or not sent for lack of one, or shed before it was
     * routed), so it may be sent elsewhere whatever its method. A client's proxy retries such an answer
     * of a server's proxy on another endpoint, as it does its own connect failures.
     */
    public boolean unprocessed() {
        return this == CONNECT_FAILED || this == NO_APP_PORT || this == OVERLOADED || this == SHUTTING_DOWN;
    }

    /**
     * The error a {@code meshj-proxy-error} value names (its reason, alone or followed by ": " and
     * details), or null when it names none.
     */
    public static ProxyError ofHeader(String value) {
        if (value == null) {
            return null;
        }
        for (ProxyError e : VALUES) {
            String reason = e.reason;
            if (value.startsWith(reason) && (value.length() == reason.length()
                    || value.startsWith(": ", reason.length()))) {
                return e;
            }
        }
        return null;
    }

    /** Whether the client's connection must be closed after this answer (the request could not be framed). */
    public boolean closesConnection() {
        return this == BAD_REQUEST || this == URI_TOO_LONG || this == HEADERS_TOO_LARGE || this == REQUEST_HEAD_TIMEOUT;
    }
}
