package io.meshj.proxy.testing;

import io.meshj.proxy.MeshProxy;
import io.meshj.proxy.ProxyConfig;
import io.meshj.proxy.ProxyConfigBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Two meshj proxies on loopback in front of a {@link TestBackend}, as two meshed pods would be: the
 * client proxy (the caller's sidecar, whose outbound listener tests send to) and the server proxy (the
 * backend's sidecar, whose inbound listener forwards to it). Discovery is a static file:
 *
 * <ul>
 *   <li>{@code web.default:80} — the backend, meshed (HTTP/2 between the proxies, via the server proxy);</li>
 *   <li>{@code plain.default:80} — the backend, not meshed (the client proxy dials it directly);</li>
 *   <li>{@code empty.default:80} — a known service without endpoints;</li>
 *   <li>{@code dead.default:80} — an endpoint nobody listens on;</li>
 *   <li>{@code h2direct.default:80} — the backend marked h2 but dialed directly (no proxy in front);</li>
 *   <li>plus whatever {@link #service} adds before {@link #start}.</li>
 * </ul>
 */
public final class MeshFixture implements AutoCloseable {

    private final Path dir;
    private final TestBackend backend;
    private final List<Integer> extraAppPorts = new ArrayList<>();
    private final Map<String, String> extraServices = new LinkedHashMap<>();
    private Consumer<ProxyConfigBuilder> clientConfig = b -> { };
    private Consumer<ProxyConfigBuilder> serverConfig = b -> { };
    private MeshProxy client;
    private MeshProxy server;

    public MeshFixture(Path dir) throws InterruptedException {
        this.dir = dir;
        this.backend = TestBackend.start();
    }

    /** Another application port behind the server proxy. */
    public MeshFixture appPort(int port) {
        extraAppPorts.add(port);
        return this;
    }

    /** Another service in the discovery file: {@code name} → the YAML list of its endpoints; "%INBOUND%" is the server proxy's inbound port. */
    public MeshFixture service(String name, String endpointsYaml) {
        extraServices.put(name, endpointsYaml);
        return this;
    }

    public MeshFixture clientConfig(Consumer<ProxyConfigBuilder> c) {
        this.clientConfig = c;
        return this;
    }

    public MeshFixture serverConfig(Consumer<ProxyConfigBuilder> c) {
        this.serverConfig = c;
        return this;
    }

    public MeshFixture start() throws IOException {
        List<Integer> appPorts = new ArrayList<>();
        appPorts.add(backend.port());
        appPorts.addAll(extraAppPorts);
        ProxyConfigBuilder s = base().appPorts(appPorts);
        serverConfig.accept(s);
        server = MeshProxy.start(s.build());
        int inbound = server.inboundAddress().getPort();

        StringBuilder yaml = new StringBuilder("services:\n");
        yaml.append("  web.default:80:\n    - address: 127.0.0.1:").append(backend.port())
                .append("\n      protocol: h2\n      inboundPort: ").append(inbound).append('\n');
        yaml.append("  plain.default:80:\n    - 127.0.0.1:").append(backend.port()).append('\n');
        yaml.append("  empty.default:80: []\n");
        yaml.append("  dead.default:80:\n    - 127.0.0.1:").append(unusedPort()).append('\n');
        yaml.append("  h2direct.default:80:\n    - address: 127.0.0.1:").append(backend.port())
                .append("\n      protocol: h2\n");
        extraServices.forEach((name, endpoints) -> yaml.append("  ").append(name).append(":\n")
                .append(endpoints.replace("%INBOUND%", Integer.toString(inbound))).append('\n'));
        Path file = Files.writeString(dir.resolve("endpoints.yml"), yaml);

        ProxyConfigBuilder c = base().discoveryFile(file);
        clientConfig.accept(c);
        client = MeshProxy.start(c.build());
        return this;
    }

    private static ProxyConfigBuilder base() {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return ProxyConfig.builder().outboundListen(any).inboundListen(any).adminListen(any).tapListen(any).eventLoops(2);
    }

    /** A port with no listener (bound and released). */
    public static int unusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public TestBackend backend() {
        return backend;
    }

    public MeshProxy client() {
        return client;
    }

    public MeshProxy server() {
        return server;
    }

    /** {@code http://127.0.0.1:<client outbound port><path>}: send with a Host header naming the service. */
    public String outboundUrl(String path) {
        return "http://127.0.0.1:" + client.outboundAddress().getPort() + path;
    }

    public String adminUrl(MeshProxy proxy, String path) {
        return "http://127.0.0.1:" + proxy.adminAddress().getPort() + path;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        backend.close();
    }
}
