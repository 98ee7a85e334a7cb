package io.meshj.proxy.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class OriginalDestinationTest {

    /** A sockaddr as the kernel writes it: family in {@code order}, port and address in network order. */
    private static byte[] sockaddr(short family, int port, byte[] address, ByteOrder order) {
        boolean v6 = family == OriginalDestination.AF_INET6;
        ByteBuffer b = ByteBuffer.allocate(v6 ? 28 : 16);
        b.order(order).putShort(0, family);
        b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port);
        if (v6) {
            b.putInt(4, 0x12345); // flow info, ignored
            b.put(8, address);
            b.putInt(24, 3); // scope id, ignored
        } else {
            b.put(4, address);
        }
        return b.array();
    }

    @Test
    void anIpv4SockaddrInIsItsAddressAndPort() throws Exception {
        byte[] raw = sockaddr(OriginalDestination.AF_INET, 6379, new byte[] {10, (byte) 251, 7, 1}, ByteOrder.LITTLE_ENDIAN);

        assertThat(OriginalDestination.parse(raw, 16, ByteOrder.LITTLE_ENDIAN))
                .contains(new InetSocketAddress(InetAddress.getByName("10.251.7.1"), 6379));
        // The family is in the host's order; a big-endian host writes it the other way round.
        byte[] bigEndian = sockaddr(OriginalDestination.AF_INET, 65535, new byte[] {127, 0, 0, 1}, ByteOrder.BIG_ENDIAN);
        assertThat(OriginalDestination.parse(bigEndian, 16, ByteOrder.BIG_ENDIAN))
                .contains(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 65535));
    }

    @Test
    void anIpv6SockaddrIn6IsItsAddressAndPortWithoutFlowInfoOrScope() throws Exception {
        byte[] address = InetAddress.getByName("fd00:10:251::7").getAddress();
        byte[] raw = sockaddr(OriginalDestination.AF_INET6, 8080, address, ByteOrder.LITTLE_ENDIAN);

        assertThat(OriginalDestination.parse(raw, 28, ByteOrder.LITTLE_ENDIAN))
                .contains(new InetSocketAddress(InetAddress.getByName("fd00:10:251::7"), 8080));
    }

    @Test
    void aV4MappedIpv6AddressIsTheIpv4Address() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = 10;
        mapped[15] = 9;
        byte[] raw = sockaddr(OriginalDestination.AF_INET6, 80, mapped, ByteOrder.LITTLE_ENDIAN);

        Optional<InetSocketAddress> parsed = OriginalDestination.parse(raw, 28, ByteOrder.LITTLE_ENDIAN);

        assertThat(parsed).contains(new InetSocketAddress(InetAddress.getByName("10.0.0.9"), 80));
        assertThat(parsed.orElseThrow().getAddress()).isInstanceOf(java.net.Inet4Address.class);
    }

    @Test
    void shortBuffersOtherFamiliesAndPortZeroAreNoDestination() {
        byte[] v4 = sockaddr(OriginalDestination.AF_INET, 80, new byte[] {10, 0, 0, 1}, ByteOrder.LITTLE_ENDIAN);
        assertThat(OriginalDestination.parse(v4, 7, ByteOrder.LITTLE_ENDIAN)).isEmpty();
        assertThat(OriginalDestination.parse(new byte[1], 1, ByteOrder.LITTLE_ENDIAN)).isEmpty();
        assertThat(OriginalDestination.parse(v4, 0, ByteOrder.LITTLE_ENDIAN)).isEmpty();
        byte[] v6 = sockaddr(OriginalDestination.AF_INET6, 80, new byte[16], ByteOrder.LITTLE_ENDIAN);
        assertThat(OriginalDestination.parse(v6, 23, ByteOrder.LITTLE_ENDIAN)).isEmpty();
        byte[] unix = sockaddr((short) 1, 80, new byte[] {1, 2, 3, 4}, ByteOrder.LITTLE_ENDIAN); // AF_UNIX
        assertThat(OriginalDestination.parse(unix, 16, ByteOrder.LITTLE_ENDIAN)).isEmpty();
        // The family written in the other byte order is no family we know.
        assertThat(OriginalDestination.parse(v4, 16, ByteOrder.BIG_ENDIAN)).isEmpty();
        byte[] portZero = sockaddr(OriginalDestination.AF_INET, 0, new byte[] {10, 0, 0, 1}, ByteOrder.LITTLE_ENDIAN);
        assertThat(OriginalDestination.parse(portZero, 16, ByteOrder.LITTLE_ENDIAN)).isEmpty();
        // A length longer than the buffer is read as the buffer.
        assertThat(OriginalDestination.parse(v4, 4096, ByteOrder.LITTLE_ENDIAN)).isPresent();
    }

    @Test
    void aChannelWithoutADescriptorHasNone() {
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            assertThat(OriginalDestination.read(ch)).isEmpty();
            assertThat(OriginalDestination.get(ch)).isNull();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** The real system call on a connection nothing redirected: conntrack has no other address for it. */
    @Test
    void anEpollConnectionMadeStraightToItsListenerHasNone() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll");
        EventLoopGroup group = Transport.EPOLL.newGroup(1, "odst-test");
        try {
            CompletableFuture<Optional<InetSocketAddress>> read = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group).channel(Transport.EPOLL.serverChannel())
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            read.complete(OriginalDestination.read(ch));
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            Channel client = new Bootstrap().group(group).channel(Transport.EPOLL.socketChannel())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                        }
                    })
                    .connect(server.localAddress()).sync().channel();

            assertThat(read.get(10, TimeUnit.SECONDS)).isEmpty();
            assertThat(OriginalDestination.isAvailable()).as("libc through JNA").isTrue();
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }
}
