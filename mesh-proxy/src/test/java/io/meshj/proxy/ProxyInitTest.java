package io.meshj.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ProxyInitTest {

    private static List<String> lines(ProxyInit init) {
        return init.commands().stream().map(c -> String.join(" ", c)).toList();
    }

    @Test
    void theRulesAreLinkerdsRedirectsWithTheProxysOwnTrafficAndLoopbackExempt() {
        assertThat(lines(ProxyInit.builder().ignoreInbound("4190,4191").ignoreOutbound("5432,6379-6380").build())).containsExactly(
                "-t nat -N MESHJ_INBOUND",
                "-t nat -A MESHJ_INBOUND -p tcp -m multiport --dports 4190,4191 -j RETURN -m comment --comment meshj/ignore-inbound-ports",
                "-t nat -A MESHJ_INBOUND -p tcp -j REDIRECT --to-ports 4143 -m comment --comment meshj/redirect-inbound",
                "-t nat -A PREROUTING -j MESHJ_INBOUND -m comment --comment meshj/install-inbound",
                "-t nat -N MESHJ_OUTPUT",
                "-t nat -A MESHJ_OUTPUT -m owner --uid-owner 2102 -j RETURN -m comment --comment meshj/ignore-proxy-user",
                "-t nat -A MESHJ_OUTPUT -o lo -j RETURN -m comment --comment meshj/ignore-loopback",
                "-t nat -A MESHJ_OUTPUT -p tcp -m multiport --dports 5432,6379:6380 -j RETURN -m comment --comment meshj/ignore-outbound-ports",
                "-t nat -A MESHJ_OUTPUT -p tcp -j REDIRECT --to-ports 4140 -m comment --comment meshj/redirect-outbound",
                "-t nat -A OUTPUT -j MESHJ_OUTPUT -m comment --comment meshj/install-outbound");
    }

    @Test
    void longPortListsAreSplitAtIptablesMultiportLimit() {
        String twenty = IntStream.rangeClosed(9000, 9019).mapToObj(Integer::toString).collect(Collectors.joining(","));
        List<String> ignores = lines(ProxyInit.builder().ignoreInbound(twenty).build()).stream()
                .filter(l -> l.contains("ignore-inbound-ports")).toList();
        assertThat(ignores).hasSize(2);
        assertThat(ignores.get(0)).contains("--dports 9000,9001,9002,9003,9004,9005,9006,9007,9008,9009,9010,9011,9012,9013,9014 ");
        assertThat(ignores.get(1)).contains("--dports 9015,9016,9017,9018,9019 ");
    }

    @Test
    void badPortsAreNamed() {
        assertThatThrownBy(() -> ProxyInit.builder().ignoreInbound("80,http")).hasMessage("inbound ports to ignore \"http\": not a port or a range of ports");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreOutbound("70000")).hasMessage("outbound ports to ignore 70000: must be 1 to 65535");
        assertThatThrownBy(() -> ProxyInit.builder().ignoreOutbound("20-10")).hasMessageContaining("the range ends before it starts");
        assertThatThrownBy(() -> ProxyInit.builder().inboundPort(0)).hasMessage("incoming proxy port 0: must be 1 to 65535");
    }

    @Test
    void resettingRemovesTheJumpsBeforeTheChains() {
        assertThat(ProxyInit.builder().build().resetCommands().stream().map(c -> String.join(" ", c)).toList())
                .startsWith("-t nat -D PREROUTING -j MESHJ_INBOUND -m comment --comment meshj/install-inbound",
                        "-t nat -D OUTPUT -j MESHJ_OUTPUT -m comment --comment meshj/install-outbound");
    }
}
