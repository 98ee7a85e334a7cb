package io.meshj.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.meshj.api.destination.v1.DestinationGrpc;
import io.meshj.api.destination.v1.GetDestination;
import io.meshj.api.destination.v1.Update;
import io.meshj.api.destination.v1.WeightedAddress;
import io.meshj.api.registry.v1.DeregisterRequest;
import io.meshj.api.registry.v1.Lease;
import io.meshj.api.registry.v1.RegisterRequest;
import io.meshj.api.registry.v1.RegistryGrpc;
import io.meshj.api.registry.v1.Workload;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The controller's scale benchmark (run by {@code bench/controller.sh}, never a test): registers
 * {@code endpoints} workloads across {@code services} services through the registry API, opens
 * {@code watches} Get streams — each on its own connection, like that many proxies — spread evenly
 * over the services, and then measures update propagation: for each of {@code changes} registrations
 * and as many deregistrations, the time from sending the RPC to each watcher of that service seeing
 * the change. Changes are made one at a time (each waits for all its watchers), so the numbers are
 * propagation, not queueing behind a burst.
 *
 * <p>Prints {@code key value} lines for the script to tabulate.
 */
public final class ControllerScale {

    private static volatile boolean closing;
    private static com.google.protobuf.ByteString token;

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int services = Integer.parseInt(args[2]);
        int endpoints = Integer.parseInt(args[3]);
        int watches = Integer.parseInt(args[4]);
        int changes = Integer.parseInt(args[5]);
        // Registering needs a token proving the workloads' identity (one service account for all here).
        token = com.google.protobuf.ByteString.copyFromUtf8(args[6]);

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        ManagedChannel control = channel(group, host, port);
        RegistryGrpc.RegistryBlockingStub registry = RegistryGrpc.newBlockingStub(control);

        long t0 = System.nanoTime();
        for (int i = 0; i < endpoints; i++) {
            registry.register(request(i % services, address(i)));
        }
        System.out.printf("register_endpoints_seconds %.2f%n", (System.nanoTime() - t0) / 1e9);

        // Watchers, each on its own connection; a watcher counts the endpoints it has seen.
        int perService = endpoints / services;
        List<ManagedChannel> channels = new ArrayList<>();
        List<Watcher> watchers = new ArrayList<>();
        CountDownLatch synced = new CountDownLatch(watches);
        t0 = System.nanoTime();
        for (int w = 0; w < watches; w++) {
            ManagedChannel ch = channel(group, host, port);
            channels.add(ch);
            Watcher watcher = new Watcher(w % services, perService, synced);
            watchers.add(watcher);
            DestinationGrpc.newStub(ch).get(GetDestination.newBuilder().setPath(name(w % services)).build(), watcher);
        }
        if (!synced.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(synced.getCount() + " watchers never saw their service whole");
        }
        System.out.printf("initial_sync_seconds %.2f%n", (System.nanoTime() - t0) / 1e9);

        Histogram add = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
        Histogram remove = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
        List<Lease> added = new ArrayList<>();
        for (int c = 0; c < changes; c++) {
            int service = c % services;
            String addr = "10.250." + (c / 250) + "." + (c % 250 + 1);
            List<Watcher> audience = watchers.stream().filter(x -> x.service == service).toList();
            CountDownLatch seen = new CountDownLatch(audience.size());
            audience.forEach(x -> x.expect(addr, true, seen));
            long start = System.nanoTime();
            added.add(registry.register(request(service, addr)));
            await(seen, addr);
            audience.forEach(x -> add.recordValue(x.arrival(addr) - start));
        }
        for (int c = 0; c < changes; c++) {
            int service = c % services;
            String addr = "10.250." + (c / 250) + "." + (c % 250 + 1);
            List<Watcher> audience = watchers.stream().filter(x -> x.service == service).toList();
            CountDownLatch seen = new CountDownLatch(audience.size());
            audience.forEach(x -> x.expect(addr, false, seen));
            long start = System.nanoTime();
            registry.deregister(DeregisterRequest.newBuilder().setLeaseId(added.get(c).getId()).build());
            await(seen, addr);
            audience.forEach(x -> remove.recordValue(x.arrival(addr) - start));
        }
        print("add", add);
        print("remove", remove);

        closing = true;
        channels.forEach(ManagedChannel::shutdownNow);
        control.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static void await(CountDownLatch seen, String addr) throws InterruptedException {
        if (!seen.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(seen.getCount() + " watchers never saw the change of " + addr);
        }
    }

    private static void print(String what, Histogram h) {
        System.out.printf("%s_samples %d%n", what, h.getTotalCount());
        System.out.printf("%s_p50_ms %.2f%n", what, h.getValueAtPercentile(50) / 1e6);
        System.out.printf("%s_p99_ms %.2f%n", what, h.getValueAtPercentile(99) / 1e6);
        System.out.printf("%s_max_ms %.2f%n", what, h.getMaxValue() / 1e6);
    }

    private static ManagedChannel channel(EventLoopGroup group, String host, int port) {
        return NettyChannelBuilder.forAddress(host, port).eventLoopGroup(group).channelType(NioSocketChannel.class)
                .usePlaintext().build();
    }

    private static String name(int service) {
        return "svc-" + service + ".bench:8080";
    }

    private static String address(int i) {
        return "10." + (i / 65536 % 200 + 1) + "." + (i / 256 % 256) + "." + (i % 256);
    }

    private static RegisterRequest request(int service, String address) {
        return RegisterRequest.newBuilder().setWorkload(Workload.newBuilder()
                .setName("w-" + address).setNamespace("bench").setService("svc-" + service).setPort(8080)
                .setAddress(address).setServiceAccount("bench"))
                .setToken(token)
                .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600)).build();
    }

    /** One Get stream: counts endpoints, and times the arrival of the address a change is about. */
    private static final class Watcher implements StreamObserver<Update> {
        final int service;
        private final int expectedInitially;
        private final CountDownLatch synced;
        private int count;
        private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
        private volatile String awaited;
        private volatile boolean awaitingAdd;
        private volatile CountDownLatch seen;

        Watcher(int service, int expectedInitially, CountDownLatch synced) {
            this.service = service;
            this.expectedInitially = expectedInitially;
            this.synced = synced;
        }

        void expect(String address, boolean add, CountDownLatch latch) {
            this.seen = latch;
            this.awaitingAdd = add;
            this.awaited = address;
        }

        long arrival(String address) {
            return arrivals.get(address);
        }

        @Override
        public void onNext(Update u) {
            long now = System.nanoTime();
            List<WeightedAddress> list = u.hasAdd() ? u.getAdd().getAddressesList()
                    : u.hasRemove() ? u.getRemove().getAddressesList() : List.of();
            if (u.hasAdd()) {
                int before = count;
                count += list.size();
                if (before < expectedInitially && count >= expectedInitially) {
                    synced.countDown();
                }
            }
            String a = awaited;
            if (a != null && (u.hasAdd() == awaitingAdd)) {
                for (WeightedAddress w : list) {
                    if (w.getAddress().getHost().equals(a)) {
                        arrivals.put(a, now);
                        awaited = null;
                        seen.countDown();
                        break;
                    }
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            if (!closing) {
                System.err.println("watch of svc-" + service + " failed: " + t);
            }
        }

        @Override
        public void onCompleted() {
        }
    }
}
