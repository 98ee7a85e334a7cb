package io.meshj.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/** PEM for certificates and keys, through BouncyCastle's reader and writer. */
public final class Pem {

    private Pem() {
    }

    public static String write(Object certificateOrKey) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            if (certificateOrKey instanceof PrivateKey key) {
                w.writeObject(new JcaPKCS8Generator(key, null)); // PKCS#8 "PRIVATE KEY", as openssl writes it today
            } else {
                w.writeObject(certificateOrKey);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The certificate in {@code pem}; {@code source} names it in the error. */
    public static X509Certificate certificate(String pem, String source) {
        Object o = read(pem, source);
        if (!(o instanceof X509CertificateHolder holder)) {
            throw new IllegalArgumentException(source + ": expected a PEM certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every certificate in {@code pem} (a bundle of trust anchors, or a chain), in order; at least one.
     */
    public static java.util.List<X509Certificate> certificates(String pem, String source) {
        java.util.List<X509Certificate> out = new java.util.ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new IllegalArgumentException(source + ": expected only PEM certificates, found "
                            + o.getClass().getSimpleName());
                }
                out.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid PEM: " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(source + ": no PEM certificate found");
        }
        return java.util.List.copyOf(out);
    }

    /** The private key in {@code pem} (PKCS#8 or a traditional EC key pair). */
    public static PrivateKey privateKey(String pem, String source) {
        Object o = read(pem, source);
        try {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException(source + ": expected a PEM private key");
    }

    private static Object read(String pem, String source) {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o = parser.readObject();
            if (o == null) {
                throw new IllegalArgumentException(source + ": no PEM object found");
            }
            return o;
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid PEM: " + e.getMessage(), e);
        }
    }
}
