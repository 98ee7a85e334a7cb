package io.meshj.controller.cli;

import io.grpc.ChannelCredentials;
import io.meshj.tls.MeshGrpcCredentials;
import io.meshj.tls.MeshTrustManager;
import io.meshj.tls.Pem;
import io.meshj.tls.RotatingKeyManager;
import io.meshj.tls.WorkloadIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** How a CLI command reaches a controller started with {@code --tls}: the identity to expect, and the roots. */
final class ControllerTlsOptions {

    @Option(names = "--controller-identity", paramLabel = "NAME",
            description = "Speak TLS to the controller and demand this identity (e.g."
                    + " controller.meshj.serviceaccount.identity.meshj.cluster.local); needs --trust-anchors.")
    String controllerIdentity;

    @Option(names = "--trust-anchors", paramLabel = "FILE", description = "PEM trust anchors of the mesh.")
    Path trustAnchors;

    /** TLS credentials for the options given, or null for plaintext; bad values are usage errors of {@code cli}. */
    ChannelCredentials credentials(CommandLine cli) {
        if (controllerIdentity == null) {
            return null;
        }
        if (trustAnchors == null) {
            throw new ParameterException(cli, "--controller-identity needs --trust-anchors");
        }
        WorkloadIdentity identity;
        try {
            identity = WorkloadIdentity.parseDnsName(controllerIdentity);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cli, "--controller-identity: " + e.getMessage());
        }
        try {
            return MeshGrpcCredentials.channel((RotatingKeyManager) null,
                    Pem.certificates(Files.readString(trustAnchors), trustAnchors.toString()),
                    MeshTrustManager.IdentityPolicy.exactly(identity));
        } catch (IOException e) {
            throw new ParameterException(cli, "--trust-anchors " + trustAnchors + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cli, "--trust-anchors " + e.getMessage());
        }
    }
}
