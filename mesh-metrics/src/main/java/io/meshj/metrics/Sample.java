package io.meshj.metrics;

import java.util.Map;

/** One line of a Prometheus text exposition: a series (name and labels) and its value. */
public record Sample(String name, Map<String, String> labels, double value) {

    public Sample {
        labels = Map.copyOf(labels);
    }

    public String label(String name) {
        return labels.get(name);
    }
}
