package io.meshj.proxy.internal.transport;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import io.meshj.core.name.Authority;
import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.AttributeKey;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The address an accepted connection was made to before an iptables {@code REDIRECT} (or
 * {@code DNAT}) rule sent it to the proxy: what the application meant to reach, as Linkerd's proxy
 * reads it to route intercepted traffic.
 *
 * <p>Netfilter keeps the connection's original tuple in conntrack and answers for it through
 * {@code getsockopt(fd, SOL_IP, SO_ORIGINAL_DST)} ({@code sockaddr_in}), or for IPv6
 * {@code getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST)} ({@code sockaddr_in6}); both option numbers
 * are 80 ({@code linux/netfilter_ipv4.h}, {@code linux/netfilter_ipv6/ip6_tables.h}). Netty's epoll
 * transport exposes the socket's descriptor but not this option, and the JDK neither, so the call goes
 * through JNA. NIO channels have no descriptor to ask: they never have an original destination.
 *
 * <p>A connection that was not redirected has none either: the kernel answers {@code ENOENT} when
 * conntrack does not track it, and its own local address when it tracks it unchanged; both read as
 * empty, so a client connecting straight to the proxy is not "redirected" to the proxy.
 *
 * <p>The call is one non-blocking system call; it runs on the event loop, once per accepted connection.
 */
public final class OriginalDestination {

    /**
     * The original destination of an accepted connection, as its listener read it; absent when the
     * connection was not redirected. Set before protocol detection, read by routing.
     */
    public static final AttributeKey<Authority> KEY = AttributeKey.valueOf(OriginalDestination.class, "address");

    private static final System.Logger LOG = System.getLogger(OriginalDestination.class.getName());

    static final int SOL_IP = 0;
    static final int SOL_IPV6 = 41;
    static final int SO_ORIGINAL_DST = 80;
    static final int IP6T_SO_ORIGINAL_DST = 80;
    static final short AF_INET = 2;
    static final short AF_INET6 = 10;
    /** {@code sizeof(struct sockaddr_in6)}, the larger of the two answers. */
    static final int SOCKADDR_MAX = 28;
    private static final int ENOENT = 2;
    private static final int ENOPROTOOPT = 92;

    private OriginalDestination() {
    }

    /** True when the system call can be made (JNA loaded libc); false, e.g., where JNA has no native library. */
    public static boolean isAvailable() {
        return LibCHolder.LIBC != null;
    }

    /** The original destination stored on {@code ch} by its listener, or null. */
    public static Authority get(Channel ch) {
        return ch.hasAttr(KEY) ? ch.attr(KEY).get() : null;
    }

    /**
     * Reads the original destination of {@code ch}, an accepted connection: empty when it is not an
     * epoll channel, was not redirected, or was made to the address it arrived at.
     */
    public static Optional<InetSocketAddress> read(Channel ch) {
        if (!(ch instanceof UnixChannel unix) || !(ch.localAddress() instanceof InetSocketAddress local)
                || local.getAddress() == null) {
            return Optional.empty();
        }
        LibC libc = LibCHolder.LIBC;
        if (libc == null) {
            return Optional.empty();
        }
        // Netty reports an IPv4 peer of a dual-stack socket with an Inet4Address: the connection's
        // own family, which is the family conntrack tracks it under.
        boolean v6 = local.getAddress() instanceof Inet6Address;
        byte[] buffer = new byte[SOCKADDR_MAX];
        IntByReference length = new IntByReference(buffer.length);
        try {
            libc.getsockopt(unix.fd().intValue(), v6 ? SOL_IPV6 : SOL_IP, v6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST,
                    buffer, length);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != ENOENT && e.getErrorCode() != ENOPROTOOPT) {
                LOG.log(System.Logger.Level.DEBUG, () -> "SO_ORIGINAL_DST of " + ch + ": errno " + e.getErrorCode());
            }
            return Optional.empty();
        }
        return parse(buffer, length.getValue(), ByteOrder.nativeOrder()).filter(original -> !original.equals(local));
    }

    /**
     * Decodes a {@code sockaddr_in} or {@code sockaddr_in6} of {@code length} bytes: the family in the
     * host's byte order ({@code hostOrder}), the port and address in network order. Empty for another
     * family, a short buffer, or port 0. (An IPv6 scope id is dropped: link-local destinations are not
     * routed by name.)
     */
    static Optional<InetSocketAddress> parse(byte[] sockaddr, int length, ByteOrder hostOrder) {
        int n = Math.min(length, sockaddr.length);
        if (n < 2) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(sockaddr, 0, n);
        short family = b.order(hostOrder).getShort(0);
        int addressOffset;
        int addressLength;
        if (family == AF_INET && n >= 8) {
            addressOffset = 4;
            addressLength = 4;
        } else if (family == AF_INET6 && n >= 24) {
            addressOffset = 8; // after sin6_port and sin6_flowinfo
            addressLength = 16;
        } else {
            return Optional.empty();
        }
        int port = b.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xFFFF;
        if (port == 0) {
            return Optional.empty();
        }
        byte[] address = new byte[addressLength];
        System.arraycopy(sockaddr, addressOffset, address, 0, addressLength);
        try {
            // A v4-mapped IPv6 address comes back as an Inet4Address, as Netty reports such peers.
            return Optional.of(new InetSocketAddress(InetAddress.getByAddress(address), port));
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // only thrown for a wrong length
        }
    }

    /** The one libc function needed; thread-safe (JNA's interface mapping holds no per-call state). */
    interface LibC extends Library {
        int getsockopt(int fd, int level, int name, byte[] value, IntByReference length) throws LastErrorException;
    }

    /** Loads libc through JNA on first use; null where it cannot (no JNA native library for the platform). */
    private static final class LibCHolder {
        static final LibC LIBC = load();

        private static LibC load() {
            try {
                return Native.load("c", LibC.class);
            } catch (LinkageError | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot load libc through JNA; original destinations will not be"
                        + " read, so redirected connections route as if they were not: {0}", e.toString());
                return null;
            }
        }
    }
}
