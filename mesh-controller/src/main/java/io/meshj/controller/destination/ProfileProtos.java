package io.meshj.controller.destination;

import io.meshj.api.destination.v1.DestinationProfile;
import io.meshj.api.destination.v1.RequestMatch;
import io.meshj.api.destination.v1.ResponseClass;
import io.meshj.api.destination.v1.ResponseMatch;
import io.meshj.api.destination.v1.RetryBudget;
import io.meshj.api.destination.v1.Route;
import io.meshj.core.profile.ServiceProfile;
import java.time.Duration;

/** Service profiles as the Destination API sends them. */
final class ProfileProtos {

    private ProfileProtos() {
    }

    static DestinationProfile toProto(String fullyQualifiedName, ServiceProfile profile) {
        DestinationProfile.Builder b = DestinationProfile.newBuilder()
                .setFullyQualifiedName(fullyQualifiedName)
                .setRetryBudget(RetryBudget.newBuilder()
                        .setRetryRatio((float) profile.retryBudget().retryRatio())
                        .setMinRetriesPerSecond(profile.retryBudget().minRetriesPerSecond())
                        .setTtl(duration(profile.retryBudget().ttl())));
        for (io.meshj.core.profile.Route r : profile.routes()) {
            Route.Builder route = Route.newBuilder().setName(r.name()).setCondition(toProto(r.condition()))
                    .setIsRetryable(r.isRetryable());
            for (io.meshj.core.profile.ResponseClass c : r.responseClasses()) {
                route.addResponseClasses(ResponseClass.newBuilder().setCondition(toProto(c.condition()))
                        .setIsFailure(c.isFailure()));
            }
            r.timeout().ifPresent(t -> route.setTimeout(duration(t)));
            b.addRoutes(route);
        }
        return b.build();
    }

    private static RequestMatch toProto(io.meshj.core.profile.RequestMatch m) {
        RequestMatch.Builder b = RequestMatch.newBuilder();
        if (m instanceof io.meshj.core.profile.RequestMatch.Method method) {
            b.setMethod(method.method());
        } else if (m instanceof io.meshj.core.profile.RequestMatch.PathRegex path) {
            b.setPathRegex(path.regex().pattern());
        } else if (m instanceof io.meshj.core.profile.RequestMatch.All all) {
            RequestMatch.Seq.Builder seq = RequestMatch.Seq.newBuilder();
            all.conditions().forEach(c -> seq.addMatches(toProto(c)));
            b.setAll(seq);
        } else if (m instanceof io.meshj.core.profile.RequestMatch.Any any) {
            RequestMatch.Seq.Builder seq = RequestMatch.Seq.newBuilder();
            any.conditions().forEach(c -> seq.addMatches(toProto(c)));
            b.setAny(seq);
        } else if (m instanceof io.meshj.core.profile.RequestMatch.Not not) {
            b.setNot(toProto(not.condition()));
        }
        return b.build();
    }

    private static ResponseMatch toProto(io.meshj.core.profile.ResponseMatch m) {
        ResponseMatch.Builder b = ResponseMatch.newBuilder();
        if (m instanceof io.meshj.core.profile.ResponseMatch.Status status) {
            b.setStatus(ResponseMatch.StatusRange.newBuilder().setMin(status.min()).setMax(status.max()));
        } else if (m instanceof io.meshj.core.profile.ResponseMatch.All all) {
            ResponseMatch.Seq.Builder seq = ResponseMatch.Seq.newBuilder();
            all.conditions().forEach(c -> seq.addMatches(toProto(c)));
            b.setAll(seq);
        } else if (m instanceof io.meshj.core.profile.ResponseMatch.Any any) {
            ResponseMatch.Seq.Builder seq = ResponseMatch.Seq.newBuilder();
            any.conditions().forEach(c -> seq.addMatches(toProto(c)));
            b.setAny(seq);
        } else if (m instanceof io.meshj.core.profile.ResponseMatch.Not not) {
            b.setNot(toProto(not.condition()));
        }
        return b.build();
    }

    private static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }
}
