package io.meshj.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import io.meshj.api.tap.v1.Lost;
import io.meshj.api.tap.v1.Peer;
import io.meshj.api.tap.v1.RequestInit;
import io.meshj.api.tap.v1.ResponseEnd;
import io.meshj.api.tap.v1.ResponseInit;
import io.meshj.api.tap.v1.TapEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** tap's lines are Linkerd's, to the space; top folds them into its table. */
class TapLinesTest {

    private static final TapEvent BASE = TapEvent.newBuilder().setId("0:809")
            .setProxyDirection(TapEvent.ProxyDirection.INBOUND)
            .setSource(Peer.newBuilder().setIp("10.244.6.239").setPort(57202).putLabels("pod", "web-1"))
            .setDestination(Peer.newBuilder().setIp("10.244.1.237").setPort(8080).putLabels("deployment", "voting"))
            .setTls(true).setObserver("emojivoto/voting-1").build();

    static TapEvent req(String id, String path) {
        return BASE.toBuilder().setId(id).setRequestInit(RequestInit.newBuilder().setMethod("POST")
                .setAuthority("voting-svc.emojivoto:8080").setPath(path)).build();
    }

    static TapEvent rsp(String id, int status, long micros) {
        return BASE.toBuilder().setId(id).setResponseInit(ResponseInit.newBuilder().setHttpStatus(status)
                .setSinceRequestInit(Duration.newBuilder().setSeconds(micros / 1_000_000)
                        .setNanos((int) (micros % 1_000_000 * 1000)))).build();
    }

    static TapEvent end(String id, int grpc) {
        return BASE.toBuilder().setId(id).setResponseEnd(ResponseEnd.newBuilder().setGrpcStatus(grpc)
                .setSinceResponseInit(Duration.newBuilder().setNanos(7_000)).setResponseBytes(5)).build();
    }

    @Test
    void linesFollowLinkerdsFormat() {
        assertThat(TapLines.line(req("0:809", "/emojivoto.v1.VotingService/VoteDoughnut"), false)).isEqualTo(
                "req id=0:809 proxy=in  src=10.244.6.239:57202 dst=10.244.1.237:8080 tls=true :method=POST"
                        + " :authority=voting-svc.emojivoto:8080 :path=/emojivoto.v1.VotingService/VoteDoughnut");
        assertThat(TapLines.line(rsp("0:809", 200, 478), false)).isEqualTo(
                "rsp id=0:809 proxy=in  src=10.244.6.239:57202 dst=10.244.1.237:8080 tls=true :status=200 latency=478µs");
        assertThat(TapLines.line(end("0:809", 0), false)).isEqualTo(
                "end id=0:809 proxy=in  src=10.244.6.239:57202 dst=10.244.1.237:8080 tls=true grpc-status=OK duration=7µs"
                        + " response-length=5B");
        assertThat(TapLines.line(end("0:809", 2), false)).contains(" grpc-status=Unknown ");
    }

    @Test
    void outboundResetsIpv6AndWideOutput() {
        TapEvent reset = BASE.toBuilder().setProxyDirection(TapEvent.ProxyDirection.OUTBOUND)
                .setSource(Peer.newBuilder().setIp("::1").setPort(1234))
                .setResponseEnd(ResponseEnd.newBuilder().setResetError("downstream_gone")).build();
        assertThat(TapLines.line(reset, false)).startsWith("end id=0:809 proxy=out src=[::1]:1234 ")
                .contains(" reset-error=downstream_gone duration=0µs response-length=0B");
        assertThat(TapLines.line(req("0:1", "/"), true))
                .endsWith(" src_res=pod/web-1 dst_res=deploy/voting observer=emojivoto/voting-1");
        assertThat(TapLines.line(TapEvent.newBuilder().setLost(Lost.newBuilder().setCount(3)).build(), false)).isNull();
    }

    @Test
    void jsonCarriesEveryField() {
        String json = Json.line(TapLines.json(end("0:809", 0)));
        assertThat(json).contains("\"id\":\"0:809\"", "\"proxyDirection\":\"INBOUND\"", "\"ip\":\"10.244.6.239\"",
                "\"grpcStatus\":\"OK\"", "\"responseBytes\":5", "\"sinceResponseInitMicros\":7", "\"tls\":true");
    }

    @Test
    void topCountsRequestsByPathWithBestWorstLastAndSuccessRate() {
        TopTable top = new TopTable();
        feed(top, "0:1", "/emojivoto.v1.VotingService/VoteDoughnut", 200, 1_500, 2);
        feed(top, "0:2", "/emojivoto.v1.VotingService/VotePizza", 200, 400, 0);
        feed(top, "0:3", "/emojivoto.v1.VotingService/VotePizza", 200, 900, 0);
        feed(top, "0:4", "/emojivoto.v1.VotingService/VotePizza", 503, 2_000_000, 14);
        top.add(req("0:5", "/never-ends")); // still open: not counted
        top.add(end("0:6", 0)); // its head was lost: ignored

        StringWriter out = new StringWriter();
        top.print(new PrintWriter(out, true));
        assertThat(out.toString()).isEqualTo(""
                + "Source   Destination   Method   Path                                       Count    Best   Worst   Last   Success Rate\n"
                + "web-1    voting        POST     /emojivoto.v1.VotingService/VotePizza          3   400µs    2.0s   2.0s         66.67%\n"
                + "web-1    voting        POST     /emojivoto.v1.VotingService/VoteDoughnut       1     2ms     2ms    2ms          0.00%\n");
    }

    private static void feed(TopTable top, String id, String path, int status, long micros, int grpc) {
        top.add(req(id, path));
        top.add(rsp(id, status, micros));
        top.add(end(id, grpc));
    }
}
