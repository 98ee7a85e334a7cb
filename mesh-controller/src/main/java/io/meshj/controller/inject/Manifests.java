package io.meshj.controller.inject;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.List;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.RepresentToNode;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.representer.StandardRepresenter;

/**
 * Kubernetes manifests as text and back: a stream of YAML documents (or one JSON document, which
 * YAML reads too), loaded into maps and lists that keep their keys' order, and written back in
 * kubectl's block style (JSON again for JSON input). Errors name the document and the line.
 */
public final class Manifests {

    /** What a stream of manifests was written in; it is written back the same way. */
    public enum Format { YAML, JSON }

    /** The documents of one input (empty documents dropped), and its format. */
    public record Parsed(List<Object> documents, Format format) {
    }

    private Manifests() {
    }

    /**
     * Parses {@code text} from {@code source} (a file name, or "-" for stdin).
     *
     * @throws ManifestException naming the source, the document and the line of a syntax error
     */
    public static Parsed parse(String text, String source) {
        String trimmed = text.stripLeading();
        Format format = trimmed.startsWith("{") || trimmed.startsWith("[") ? Format.JSON : Format.YAML;
        Load load = new Load(LoadSettings.builder().setLabel(source).setAllowDuplicateKeys(false).build());
        List<Object> documents = new ArrayList<>();
        int index = 0;
        try {
            for (Object d : load.loadAllFromString(text)) {
                index++;
                if (d != null) {
                    documents.add(d);
                }
            }
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
            throw new ManifestException(source + ": document " + (index + 1) + (line > 0 ? ", line " + line : "") + ": "
                    + e.getProblem());
        } catch (YamlEngineException e) {
            throw new ManifestException(source + ": document " + (index + 1) + ": " + e.getMessage());
        }
        return new Parsed(documents, format);
    }

    /** {@code documents} as {@code format}: YAML documents separated by {@code ---}, or JSON. */
    public static String write(List<Object> documents, Format format) {
        if (format == Format.JSON) {
            Object value = documents.size() == 1 ? documents.get(0) : documents;
            return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(value) + "\n";
        }
        DumpSettings settings = DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setSplitLines(false)
                .setExplicitStart(documents.size() > 1).build();
        return new Dump(settings, new Representer(settings)).dumpAllToString(documents.iterator());
    }

    /**
     * Strings a YAML 1.1 reader (kubectl's) would take for something else if written plain: booleans
     * (y, yes, on, off...), null (~), octal, hexadecimal, binary and sexagesimal numbers (0755, 0x1F,
     * 1:30), and floats. This library writes YAML 1.2's core schema, where those are strings and need
     * no quotes; Kubernetes would read them back as other types.
     */
    private static final java.util.regex.Pattern YAML11_NOT_A_STRING = java.util.regex.Pattern.compile(
            "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
                    + "|~|null|Null|NULL|"
                    + "|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+"
                    + "|[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
                    + "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");

    /**
     * Writes multi-line strings (certificates, scripts) as literal blocks, as people write them, and
     * double-quotes strings YAML 1.1 would read as another type.
     */
    private static final class Representer extends StandardRepresenter {
        Representer(DumpSettings settings) {
            super(settings);
            RepresentToNode plain = representers.get(String.class);
            representers.put(String.class, data -> {
                String s = (String) data;
                if (YAML11_NOT_A_STRING.matcher(s).matches()) {
                    return representScalar(Tag.STR, s, ScalarStyle.DOUBLE_QUOTED);
                }
                boolean literal = s.indexOf('\n') >= 0 && !s.contains(" \n") && !s.startsWith(" ");
                return literal ? representScalar(Tag.STR, s, ScalarStyle.LITERAL) : plain.representData(data);
            });
        }
    }

    /** A manifest that cannot be read; the message names where. */
    public static final class ManifestException extends IllegalArgumentException {
        public ManifestException(String message) {
            super(message);
        }
    }
}
