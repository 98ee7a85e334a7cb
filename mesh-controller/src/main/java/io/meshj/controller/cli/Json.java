package io.meshj.controller.cli;

import com.google.gson.GsonBuilder;

/** JSON output of CLI commands (Gson, pretty-printed like kubectl's {@code -o json}). */
final class Json {

    private Json() {
    }

    /** One line, for streams of objects (tap's events). */
    static String line(Object value) {
        return new GsonBuilder().disableHtmlEscaping().create().toJson(value);
    }

    static String write(Object value) {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(value);
    }
}
