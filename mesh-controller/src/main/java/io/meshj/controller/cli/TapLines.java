package io.meshj.controller.cli;

import io.meshj.api.tap.v1.Peer;
import io.meshj.api.tap.v1.TapEvent;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tap events as {@code meshj tap} prints them, in Linkerd's line format:
 * <pre>
 * req id=0:809 proxy=in  src=10.244.6.239:57202 dst=10.244.1.237:8080 tls=true :method=POST :authority=... :path=...
 * rsp id=0:809 proxy=in  src=... dst=... tls=true :status=200 latency=478µs
 * end id=0:809 proxy=in  src=... dst=... tls=true grpc-status=OK duration=7µs response-length=5B
 * </pre>
 * and as JSON objects for {@code -o json}.
 */
final class TapLines {

    /** gRPC status codes by number, spelled as Linkerd (Go's codes.Code) prints them. */
    private static final List<String> GRPC_CODES = List.of("OK", "Canceled", "Unknown", "InvalidArgument",
            "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
            "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
            "Unauthenticated");

    private TapLines() {
    }

    /** The line of {@code e}; null for an event that is no request's (a count of lost events). */
    static String line(TapEvent e, boolean wide) {
        StringBuilder b = new StringBuilder(160);
        switch (e.getEventCase()) {
            case REQUEST_INIT -> b.append("req");
            case RESPONSE_INIT -> b.append("rsp");
            case RESPONSE_END -> b.append("end");
            default -> {
                return null;
            }
        }
        String direction = e.getProxyDirection() == TapEvent.ProxyDirection.INBOUND ? "in" : "out";
        b.append(" id=").append(e.getId()).append(" proxy=").append(direction).append(direction.length() == 2 ? "  " : " ")
                .append("src=").append(address(e.getSource())).append(" dst=").append(address(e.getDestination()))
                .append(" tls=").append(e.getTls());
        switch (e.getEventCase()) {
            case REQUEST_INIT -> b.append(" :method=").append(e.getRequestInit().getMethod())
                    .append(" :authority=").append(e.getRequestInit().getAuthority())
                    .append(" :path=").append(e.getRequestInit().getPath());
            case RESPONSE_INIT -> b.append(" :status=").append(e.getResponseInit().getHttpStatus())
                    .append(" latency=").append(micros(e.getResponseInit().getSinceRequestInit())).append("µs");
            default -> {
                var end = e.getResponseEnd();
                switch (end.getEndCase()) {
                    case GRPC_STATUS -> b.append(" grpc-status=").append(grpcCode(end.getGrpcStatus()));
                    case RESET_ERROR -> b.append(" reset-error=").append(end.getResetError());
                    default -> { }
                }
                b.append(" duration=").append(micros(end.getSinceResponseInit())).append("µs")
                        .append(" response-length=").append(end.getResponseBytes()).append('B');
            }
        }
        if (wide) {
            resource(b, " src_res=", e.getSource());
            resource(b, " dst_res=", e.getDestination());
            if (!e.getObserver().isEmpty()) {
                b.append(" observer=").append(e.getObserver());
            }
        }
        return b.toString();
    }

    /** The resource a peer is known as ({@code deploy/web}, else {@code pod/web-1}), if any. */
    private static void resource(StringBuilder b, String key, Peer p) {
        String deployment = p.getLabelsMap().get("deployment");
        String pod = p.getLabelsMap().get("pod");
        if (deployment != null) {
            b.append(key).append("deploy/").append(deployment);
        } else if (pod != null) {
            b.append(key).append("pod/").append(pod);
        }
    }

    static String grpcCode(int code) {
        return code >= 0 && code < GRPC_CODES.size() ? GRPC_CODES.get(code) : Integer.toString(code);
    }

    /** ip:port, with IPv6 in brackets; "-" when unknown. */
    static String address(Peer p) {
        if (p.getIp().isEmpty()) {
            return "-";
        }
        return (p.getIp().indexOf(':') >= 0 ? "[" + p.getIp() + "]" : p.getIp()) + ":" + p.getPort();
    }

    static long micros(com.google.protobuf.Duration d) {
        return d.getSeconds() * 1_000_000L + d.getNanos() / 1_000;
    }

    /** The JSON form of an event (fields named as in the tap API). */
    static Map<String, Object> json(TapEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (e.hasLost()) {
            m.put("lost", e.getLost().getCount());
            return m;
        }
        m.put("id", e.getId());
        m.put("proxyDirection", e.getProxyDirection() == TapEvent.ProxyDirection.INBOUND ? "INBOUND" : "OUTBOUND");
        m.put("source", peer(e.getSource()));
        m.put("destination", peer(e.getDestination()));
        m.put("tls", e.getTls());
        if (!e.getObserver().isEmpty()) {
            m.put("observer", e.getObserver());
        }
        switch (e.getEventCase()) {
            case REQUEST_INIT -> {
                var r = e.getRequestInit();
                Map<String, Object> init = new LinkedHashMap<>();
                init.put("method", r.getMethod());
                init.put("scheme", r.getScheme());
                init.put("authority", r.getAuthority());
                init.put("path", r.getPath());
                init.put("headers", r.getHeadersList().stream().map(h -> Map.of("name", h.getName(), "value", h.getValue())).toList());
                m.put("requestInit", init);
            }
            case RESPONSE_INIT -> {
                Map<String, Object> init = new LinkedHashMap<>();
                init.put("httpStatus", e.getResponseInit().getHttpStatus());
                init.put("sinceRequestInitMicros", micros(e.getResponseInit().getSinceRequestInit()));
                m.put("responseInit", init);
            }
            default -> {
                var r = e.getResponseEnd();
                Map<String, Object> end = new LinkedHashMap<>();
                if (r.hasGrpcStatus()) {
                    end.put("grpcStatus", grpcCode(r.getGrpcStatus()));
                }
                if (r.hasResetError()) {
                    end.put("resetError", r.getResetError());
                }
                end.put("sinceResponseInitMicros", micros(r.getSinceResponseInit()));
                end.put("responseBytes", r.getResponseBytes());
                m.put("responseEnd", end);
            }
        }
        return m;
    }

    private static Map<String, Object> peer(Peer p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ip", p.getIp());
        m.put("port", p.getPort());
        if (!p.getLabelsMap().isEmpty()) {
            m.put("labels", new java.util.TreeMap<>(p.getLabelsMap()));
        }
        return m;
    }
}
