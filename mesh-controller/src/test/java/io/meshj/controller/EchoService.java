package io.meshj.controller;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.meshj.proxy.embedded.MeshServer;
import io.meshj.tls.WorkloadIdentity;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A one-method gRPC service with string messages, for tests that need a real gRPC peer without
 * generated code: {@code interop.Echo/Say} answers "&lt;name&gt; says &lt;message&gt; to &lt;caller&gt;", where the
 * caller is the client's mesh identity (or "anonymous"); "fail" fails with UNKNOWN, "flaky:&lt;x&gt;" fails its first
 * attempt with UNAVAILABLE, and "slow" is answered after two seconds.
 */
final class EchoService {

    static final MethodDescriptor<String, String> SAY = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("interop.Echo/Say")
            .setRequestMarshaller(new Utf8())
            .setResponseMarshaller(new Utf8())
            .build();

    /** "flaky:..." messages seen once: each fails its first attempt with UNAVAILABLE. */
    private static final java.util.Set<String> FAILED_ONCE = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** "slow" is answered two seconds later. */
    private static final java.util.concurrent.ScheduledExecutorService LATER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "echo-later");
                t.setDaemon(true);
                return t;
            });

    private EchoService() {
    }

    static ServerServiceDefinition named(String name) {
        return ServerServiceDefinition.builder("interop.Echo")
                .addMethod(SAY, ServerCalls.asyncUnaryCall((message, response) -> {
                    if (message.equals("fail")) {
                        response.onError(Status.UNKNOWN.withDescription("asked to fail").asRuntimeException());
                        return;
                    }
                    if (message.startsWith("flaky:") && FAILED_ONCE.add(message)) {
                        response.onError(Status.UNAVAILABLE.withDescription("failing the first attempt").asRuntimeException());
                        return;
                    }
                    if (message.equals("slow")) {
                        LATER.schedule(() -> {
                            response.onNext(name + " says slow, late");
                            response.onCompleted();
                        }, 2, TimeUnit.SECONDS);
                        return;
                    }
                    WorkloadIdentity caller = MeshServer.PEER_IDENTITY.get();
                    response.onNext(name + " says " + message + " to " + (caller == null ? "anonymous" : caller.dnsName()));
                    response.onCompleted();
                }))
                .build();
    }

    /** Calls Say on {@code channel}, waiting at most ten seconds. */
    static String say(Channel channel, String message) {
        return ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), message);
    }

    private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
