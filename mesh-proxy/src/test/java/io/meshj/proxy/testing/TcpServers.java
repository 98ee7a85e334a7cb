package io.meshj.proxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Plain blocking TCP servers for opaque-traffic tests, one thread per connection. */
public final class TcpServers {

    private TcpServers() {
    }

    /**
     * An echo server; with a {@code banner}, it first sends the banner (a server-speaks-first protocol,
     * like SMTP or MySQL). It echoes until the client half-closes, then half-closes too.
     */
    public static ServerSocket start(String banner) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s, banner), "tcp-echo-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "tcp-echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    private static void serve(Socket s, String banner) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            if (banner != null) {
                out.write(banner.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            s.shutdownOutput();
        } catch (IOException e) {
            // the client went away
        }
    }
}
