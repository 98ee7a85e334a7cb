package io.meshj.proxy.internal.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Rewrites an HTTP/1 request whose target is in absolute form ({@code GET http://web:8080/a HTTP/1.1},
 * what clients send to a configured forward proxy) into the origin form an application expects, with
 * the URI's authority as its Host.
 *
 * <p>RFC 9112 §3.2.2: a server receiving the absolute form must ignore Host and take the target's
 * authority; routing by Host while the request names another destination would send it somewhere the
 * client did not ask for, and forwarding the absolute form unchanged leaves the application to decide
 * differently from the proxy.
 */
final class AbsoluteForm {

    private AbsoluteForm() {
    }

    /** Rewrites {@code request} in place if its target is absolute; null, or why the target is malformed. */
    static String toOriginForm(HttpRequest request) {
        String uri = request.uri();
        if (uri.isEmpty() || uri.charAt(0) == '/' || uri.equals("*")) {
            return null; // origin form (or asterisk form), the usual case
        }
        int schemeEnd;
        if (uri.regionMatches(true, 0, "http://", 0, 7)) {
            schemeEnd = 7;
        } else if (uri.regionMatches(true, 0, "https://", 0, 8)) {
            schemeEnd = 8;
        } else {
            return null; // authority form (CONNECT, refused later) or not a URI: routing says what is wrong
        }
        int end = schemeEnd;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        String authority = uri.substring(schemeEnd, end);
        if (authority.isEmpty()) {
            return "absolute request target without a host";
        }
        if (authority.indexOf('@') >= 0) {
            return "user information in the request target";
        }
        // The codec takes any bytes but spaces in a target, and the authority becomes the Host header,
        // whose validation throws on a control character: the request would be dropped with its
        // connection, unanswered. No host name or IP literal has such bytes (found by fuzzing).
        for (int i = 0; i < authority.length(); i++) {
            char c = authority.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return "request target's authority has a byte that is not visible ASCII";
            }
        }
        String rest = uri.substring(end);
        int fragment = rest.indexOf('#');
        if (fragment >= 0) {
            rest = rest.substring(0, fragment);
        }
        request.setUri(rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest);
        request.headers().set(HttpHeaderNames.HOST, authority);
        return null;
    }
}
