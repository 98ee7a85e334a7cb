package io.meshj.controller.identity;

import static java.util.Objects.requireNonNull;

import io.meshj.tls.WorkloadIdentity;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Workload tokens of the local mode: what {@code meshj identity token --sa <sa> -n <ns>} mints and the
 * identity service checks. A token binds one identity to an expiry and is signed with the controller's
 * key (HMAC-SHA256 over {@code v1.<sa>.<ns>.<expiry epoch seconds>}), so only someone who could read
 * the controller's data directory can mint one — the local counterpart of a projected service-account
 * token checked by a TokenReview.
 */
public final class LocalTokens implements TokenVerifier {

    private static final String VERSION = "v1";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final byte[] key;
    private final Clock clock;

    public LocalTokens(byte[] key, Clock clock) {
        if (key.length < 32) {
            throw new IllegalArgumentException("a token signing key needs at least 32 bytes");
        }
        this.key = key.clone();
        this.clock = requireNonNull(clock, "clock");
    }

    /** A new random signing key. */
    public static byte[] newKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    /** A token for {@code identity}, valid for {@code ttl}. */
    public String mint(WorkloadIdentity identity, Duration ttl) {
        long expiry = clock.instant().plus(ttl).getEpochSecond();
        String payload = VERSION + "." + identity.serviceAccount() + "." + identity.namespace() + "." + expiry;
        return ENCODER.encodeToString(payload.getBytes(StandardCharsets.US_ASCII)) + "." + ENCODER.encodeToString(mac(payload));
    }

    /**
     * Checks that {@code token} proves {@code identity} now.
     *
     * @throws SecurityException with the reason (malformed, bad signature, expired, another identity)
     */
    @Override
    public void verify(String token, WorkloadIdentity identity) {
        int dot = token.indexOf('.');
        if (dot < 0) {
            throw new SecurityException("the token is malformed");
        }
        String payload;
        byte[] signature;
        try {
            payload = new String(DECODER.decode(token.substring(0, dot)), StandardCharsets.US_ASCII);
            signature = DECODER.decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new SecurityException("the token is malformed");
        }
        if (!MessageDigest.isEqual(signature, mac(payload))) {
            throw new SecurityException("the token's signature is not this controller's");
        }
        String[] parts = payload.split("\\.");
        if (parts.length != 4 || !VERSION.equals(parts[0])) {
            throw new SecurityException("the token is malformed");
        }
        long expiry = Long.parseLong(parts[3]);
        if (!clock.instant().isBefore(Instant.ofEpochSecond(expiry))) {
            throw new SecurityException("the token expired at " + Instant.ofEpochSecond(expiry));
        }
        if (!parts[1].equals(identity.serviceAccount()) || !parts[2].equals(identity.namespace())) {
            throw new SecurityException("the token is for service account " + parts[1] + " in " + parts[2]
                    + ", not " + identity.serviceAccount() + " in " + identity.namespace());
        }
    }

    private byte[] mac(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
