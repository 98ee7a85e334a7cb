package io.meshj.metrics;

import static java.util.Objects.requireNonNull;

/**
 * The {@code tls} label and its companions as Linkerd's proxy reports them: {@code tls="true"} with the
 * peer's identity ({@code client_id} on inbound traffic, {@code server_id} on outbound), or
 * {@code tls="no_identity"} with a {@code no_tls_reason}.
 */
public record TlsStatus(String tls, String peerIdLabel, String peerId, String noTlsReason) {

    /** Inbound traffic from a meshed client whose certificate named {@code clientId}. */
    public static TlsStatus fromClient(String clientId) {
        return new TlsStatus("true", "client_id", requireNonNull(clientId, "clientId"), null);
    }

    /** Outbound traffic to a server that proved {@code serverId}. */
    public static TlsStatus toServer(String serverId) {
        return new TlsStatus("true", "server_id", requireNonNull(serverId, "serverId"), null);
    }

    /** Plaintext, for {@code reason}: {@code no_tls_from_remote}, {@code not_provided_by_service_discovery}, {@code loopback}, ... */
    public static TlsStatus none(String reason) {
        return new TlsStatus("no_identity", null, null, requireNonNull(reason, "reason"));
    }

    public static final TlsStatus LOOPBACK = none("loopback");
    public static final TlsStatus NO_TLS_FROM_REMOTE = none("no_tls_from_remote");
    public static final TlsStatus NOT_PROVIDED_BY_DISCOVERY = none("not_provided_by_service_discovery");
}
