package io.meshj.core.tap;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * One observation of a request: its head arrived ({@link RequestInit}), its response head went out
 * ({@link ResponseInit}), or its response ended ({@link ResponseEnd}). Linkerd's tap reports the same
 * three points, which is what {@code meshj tap}'s {@code req}, {@code rsp} and {@code end} lines show.
 */
public sealed interface TapEvent permits TapEvent.RequestInit, TapEvent.ResponseInit, TapEvent.ResponseEnd {

    /** The request this event is about. */
    TapRequest request();

    /** The request's head: method, scheme, authority, path and headers (as received). */
    record RequestInit(TapRequest request, String method, String scheme, String authority, String path,
            List<Map.Entry<String, String>> headers) implements TapEvent {

        public RequestInit {
            requireNonNull(request, "request");
            requireNonNull(method, "method");
            scheme = scheme == null ? "" : scheme;
            authority = authority == null ? "" : authority;
            path = path == null ? "" : path;
            headers = List.copyOf(headers);
        }
    }

    /** The response's head: its HTTP status and how long after the request's head it came. */
    record ResponseInit(TapRequest request, int status, long sinceRequestInitNanos,
            List<Map.Entry<String, String>> headers) implements TapEvent {

        public ResponseInit {
            requireNonNull(request, "request");
            headers = List.copyOf(headers);
        }
    }

    /**
     * The response's end: its gRPC status ({@code -1} when it carried none) or, when the exchange was cut
     * short, the reason ({@code resetError}, else null); the time since the response's head (or since the
     * request's, when there was no response) and the response body's length in bytes.
     */
    record ResponseEnd(TapRequest request, int grpcStatus, String resetError, long sinceResponseInitNanos,
            long responseBytes) implements TapEvent {

        public ResponseEnd {
            requireNonNull(request, "request");
        }
    }
}
