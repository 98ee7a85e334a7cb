package io.meshj.controller.destination;

import io.meshj.core.discovery.Watch;
import io.meshj.core.name.Authority;
import io.meshj.core.profile.ServiceProfile;
import java.util.function.Consumer;

/**
 * Where service profiles come from (a ServiceProfile resource in Kubernetes, for one). A watch first
 * delivers the current profile of the name — {@link ServiceProfile#empty} when there is none — and
 * then each change, in order, never concurrently.
 */
public interface ProfileSource extends AutoCloseable {

    /** No profiles anywhere: every name gets the default profile. */
    ProfileSource NONE = new ProfileSource() {
        @Override
        public Watch watch(Authority name, Consumer<ServiceProfile> listener) {
            listener.accept(ServiceProfile.empty(name.host()));
            return () -> { };
        }

        @Override
        public void close() {
        }
    };

    /** Watches the profile of {@code name} (a fully qualified service name and port). */
    Watch watch(Authority name, Consumer<ServiceProfile> listener);

    /**
     * The current profile of the service {@code fqdn} (its fully qualified name): a watch opened and
     * closed, which delivers the current profile before it returns in every source here.
     */
    default ServiceProfile current(String fqdn) {
        ServiceProfile[] now = new ServiceProfile[1];
        watch(Authority.of(fqdn, 80), p -> now[0] = p).close();
        return now[0] == null ? ServiceProfile.empty(fqdn) : now[0];
    }

    @Override
    void close();
}
