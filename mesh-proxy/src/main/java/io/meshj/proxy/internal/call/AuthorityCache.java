package io.meshj.proxy.internal.call;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.meshj.core.name.Authority;

/**
 * Parsed authorities by their spelling. Every request names its authority as a string, and a proxy sees
 * the same few names over and over: parsing (validation, lower-casing, IP literal checks) once per name
 * instead of once per request saves work on the hot path. Bounded, so a client inventing names cannot
 * grow it; invalid spellings are never cached and throw as {@link Authority#parse} does.
 */
final class AuthorityCache {

    private static final Cache<String, Authority> CACHE = Caffeine.newBuilder()
            .maximumSize(4096)
            .executor(Runnable::run)
            .build();

    private AuthorityCache() {
    }

    static Authority parse(String spelling) {
        Authority a = CACHE.getIfPresent(spelling);
        if (a == null) {
            a = Authority.parse(spelling);
            CACHE.put(spelling, a);
        }
        return a;
    }
}
