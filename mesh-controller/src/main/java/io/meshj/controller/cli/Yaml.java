package io.meshj.controller.cli;

import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/** YAML output of CLI commands (SnakeYAML Engine, block style like kubectl's {@code -o yaml}). */
final class Yaml {

    private Yaml() {
    }

    static String write(Object value) {
        return new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build()).dumpToString(value);
    }
}
