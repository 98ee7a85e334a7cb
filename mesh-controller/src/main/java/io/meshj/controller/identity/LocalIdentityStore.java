package io.meshj.controller.identity;

import io.meshj.tls.CertificateAuthority;
import io.meshj.tls.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * The local mode's identity state under {@code <data-dir>/identity}: the trust anchor
 * ({@code trust-anchor.pem}), the issuer and its key ({@code issuer.pem}, {@code issuer-key.pem}) and
 * the token signing key ({@code token-key}). Keys are written readable by their owner only. A user may
 * put an anchor and issuer of their own there instead of letting {@link #init} make them.
 */
public final class LocalIdentityStore {

    public static final String ANCHOR = "trust-anchor.pem";
    public static final String ISSUER = "issuer.pem";
    public static final String ISSUER_KEY = "issuer-key.pem";
    public static final String TOKEN_KEY = "token-key";

    private final Path dir;

    public LocalIdentityStore(Path dataDir) {
        this.dir = dataDir.resolve("identity");
    }

    public Path dir() {
        return dir;
    }

    public boolean exists() {
        return Files.isRegularFile(dir.resolve(ISSUER_KEY));
    }

    /**
     * Creates a new anchor, issuer and token key.
     *
     * @throws IllegalStateException if the directory already holds them (an existing anchor is never
     *     replaced by accident: every workload trusts it)
     */
    public void init(String trustDomain, Clock clock) {
        if (exists()) {
            throw new IllegalStateException(dir + " already holds an identity issuer; remove it to start over");
        }
        CertificateAuthority ca = CertificateAuthority.generate(trustDomain, clock, CertificateAuthority.DEFAULT_LEAF_LIFETIME);
        try {
            Files.createDirectories(dir);
            write(ANCHOR, Pem.write(ca.trustAnchor()), false);
            write(ISSUER, Pem.write(ca.issuer()), false);
            write(ISSUER_KEY, Pem.write(ca.issuerKey()), true);
            write(TOKEN_KEY, Base64.getEncoder().encodeToString(LocalTokens.newKey()) + "\n", true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The CA the files describe; errors name the file. */
    public CertificateAuthority ca(Clock clock, Duration leafLifetime) {
        return CertificateAuthority.of(Pem.certificate(read(ANCHOR), dir.resolve(ANCHOR).toString()),
                Pem.certificate(read(ISSUER), dir.resolve(ISSUER).toString()),
                Pem.privateKey(read(ISSUER_KEY), dir.resolve(ISSUER_KEY).toString()), clock, leafLifetime);
    }

    public LocalTokens tokens(Clock clock) {
        try {
            return new LocalTokens(Base64.getDecoder().decode(read(TOKEN_KEY).trim()), clock);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve(TOKEN_KEY) + ": " + e.getMessage(), e);
        }
    }

    private String read(String name) {
        try {
            return Files.readString(dir.resolve(name), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException(dir.resolve(name) + ": cannot read it (" + e.getMessage()
                    + "); run meshj identity init", e);
        }
    }

    private void write(String name, String content, boolean secret) throws IOException {
        Path file = dir.resolve(name);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    secret ? "rw-------" : "rw-r--r--")));
        } catch (FileAlreadyExistsException e) {
            // a half-finished earlier init: rewritten below
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }
}
