package io.meshj.controller.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshj.controller.registry.LocalRegistry;
import io.meshj.controller.tap.TapTarget;
import io.meshj.controller.tap.TapTargets;
import io.meshj.core.endpoint.ProtocolHint;
import io.meshj.core.name.AuthorityNormalizer;
import io.meshj.core.testing.FakeTicker;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Whom the controller scrapes and taps among registered workloads: each admin and tap server once. */
class ScrapeTargetsTest {

    private final LocalRegistry registry = LocalRegistry.open(null, new FakeTicker(), AuthorityNormalizer.defaults());

    private static LocalRegistry.Workload emoji(String service, int port) {
        return new LocalRegistry.Workload("emoji-1", "emojivoto", service, port, "10.0.0.5", "emoji", ProtocolHint.H2, 0,
                Map.of("deployment", "emoji"), null, 4191, 4190);
    }

    @Test
    void aWorkloadRegisteredAsClientAndAsEndpointIsOneTarget() {
        registry.register(emoji("", 0), null);              // the embedded mesh, from its start
        registry.register(emoji("emoji-svc", 8080), null);  // its gRPC server
        registry.register(new LocalRegistry.Workload("bot-1", "emojivoto", "", 0, "10.0.0.6", "bot", null, 0,
                Map.of("deployment", "vote-bot"), null, 4191, 4190), null);  // a client only

        assertThat(ScrapeTargets.of(registry)).containsExactly(
                new MetricsScraper.Target("emojivoto", "emoji-1", "emoji-svc", "emoji", "http://10.0.0.5:4191/metrics", null),
                new MetricsScraper.Target("emojivoto", "bot-1", null, "vote-bot", "http://10.0.0.6:4191/metrics", null));
        assertThat(TapTargets.of(registry)).extracting(TapTarget::pod, TapTarget::service, TapTarget::deployment)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("emoji-1", "emoji-svc", "emoji"),
                        org.assertj.core.groups.Tuple.tuple("bot-1", null, "vote-bot"));
    }
}
