package io.meshj.core.internal;

import static java.util.Objects.requireNonNull;

import io.meshj.core.ConfigException;
import io.meshj.core.time.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A read-only view of a YAML document that knows where each value came from, so every rejection is a
 * {@link ConfigException} naming the source, the line and the field path
 * ({@code spec.routes[2].condition.pathRegex}). Reading is strict: wrong types, unknown fields (with
 * {@link #allowOnly}) and duplicate keys are errors, because a typo silently ignored in a mesh
 * configuration is an outage later.
 */
public final class YamlNode {

    private static final Pattern SIMPLE_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

    private final String source;
    private final String path;
    private final Node node;
    private final int fallbackLine;

    private YamlNode(String source, String path, Node node, int fallbackLine) {
        this.source = source;
        this.path = path;
        this.node = node;
        this.fallbackLine = fallbackLine;
    }

    /**
     * Parses one YAML document. An empty document is a null node.
     *
     * @param source names the document in error messages, usually its file name
     * @throws ConfigException on a syntax error, with its line
     */
    public static YamlNode parse(String source, String text) {
        requireNonNull(source, "source");
        requireNonNull(text, "text");
        LoadSettings settings = LoadSettings.builder()
                .setLabel(source)
                .setAllowDuplicateKeys(false)
                .setCodePointLimit(16 * 1024 * 1024)
                .build();
        try {
            Node root = new Compose(settings).composeString(text).orElse(null);
            if (root != null) {
                rejectCycles(source, root, Collections.newSetFromMap(new IdentityHashMap<>()));
            }
            return new YamlNode(source, "", root, 1);
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
            String problem = e.getProblem() == null ? "invalid YAML" : e.getProblem();
            throw new ConfigException(source, line, "", "invalid YAML: " + problem, e);
        } catch (YamlEngineException e) {
            throw new ConfigException(source, 0, "", "invalid YAML: " + e.getMessage(), e);
        }
    }

    /**
     * Rejects an alias that refers to a node containing it ({@code &a {not: *a}}): readers walk the
     * tree recursively and would never finish. Plain (acyclic) aliases are fine; snakeyaml already
     * limits how many there may be.
     */
    private static void rejectCycles(String source, Node node, Set<Node> ancestors) {
        if (!(node instanceof MappingNode) && !(node instanceof SequenceNode)) {
            return;
        }
        if (!ancestors.add(node)) {
            int line = node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
            throw new ConfigException(source, line, "", "an alias refers to a value that contains it");
        }
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                rejectCycles(source, tuple.getKeyNode(), ancestors);
                rejectCycles(source, tuple.getValueNode(), ancestors);
            }
        } else {
            for (Node child : ((SequenceNode) node).getValue()) {
                rejectCycles(source, child, ancestors);
            }
        }
        ancestors.remove(node);
    }

    /** The name of the document this node belongs to. */
    public String source() {
        return source;
    }

    /** The field path, e.g. {@code spec.routes[0].name}; empty for the root. */
    public String path() {
        return path;
    }

    /** The 1-based line of the value, or of the enclosing value when this one is absent. */
    public int line() {
        if (node != null) {
            return node.getStartMark().map(Mark::getLine).map(l -> l + 1).orElse(fallbackLine);
        }
        return fallbackLine;
    }

    /** True when the value is absent or YAML null ({@code ~}, {@code null}, nothing). */
    public boolean isNull() {
        return node == null || (node instanceof ScalarNode && Tag.NULL.equals(node.getTag()));
    }

    public boolean isMap() {
        return node instanceof MappingNode;
    }

    public boolean isSequence() {
        return node instanceof SequenceNode;
    }

    public boolean isScalar() {
        return node instanceof ScalarNode && !isNull();
    }

    /** A rejection of this value. */
    public ConfigException error(String reason) {
        return new ConfigException(source, line(), path, reason);
    }

    /** The entries of a map, in document order; a null value counts as an empty map. */
    public Map<String, YamlNode> entries() {
        if (isNull()) {
            return Collections.emptyMap();
        }
        if (!(node instanceof MappingNode)) {
            throw error("expected a map, found " + describe());
        }
        Map<String, YamlNode> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : ((MappingNode) node).getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode)) {
                throw new YamlNode(source, path, keyNode, line()).error("map keys must be plain values");
            }
            String key = ((ScalarNode) keyNode).getValue();
            YamlNode child = new YamlNode(source, childPath(key), tuple.getValueNode(), lineOf(keyNode));
            if (entries.putIfAbsent(key, child) != null) {
                throw new YamlNode(source, childPath(key), keyNode, line()).error("duplicate key");
            }
        }
        return entries;
    }

    /** The named field of a map; absent fields give a null node. */
    public YamlNode field(String name) {
        YamlNode child = entries().get(name);
        return child != null ? child : new YamlNode(source, childPath(name), null, line());
    }

    /** The named field of a map, which must be present and not null. */
    public YamlNode required(String name) {
        YamlNode child = field(name);
        if (child.isNull()) {
            throw child.error("required field is missing");
        }
        return child;
    }

    /** Rejects any field of this map not in {@code allowed}, naming it and the allowed ones. */
    public YamlNode allowOnly(Set<String> allowed) {
        for (Map.Entry<String, YamlNode> e : entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw e.getValue().error("unknown field (expected one of " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
        return this;
    }

    /** The items of a sequence; a null value counts as empty. */
    public List<YamlNode> items() {
        if (isNull()) {
            return Collections.emptyList();
        }
        if (!(node instanceof SequenceNode)) {
            throw error("expected a list, found " + describe());
        }
        List<Node> values = ((SequenceNode) node).getValue();
        List<YamlNode> items = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            items.add(new YamlNode(source, path + "[" + i + "]", values.get(i), line()));
        }
        return items;
    }

    /** A scalar as text (numbers and booleans too, as written). */
    public String asString() {
        if (!isScalar()) {
            throw error(isNull() ? "required value is missing" : "expected a single value, found " + describe());
        }
        return ((ScalarNode) node).getValue();
    }

    /** A scalar as a non-empty string. */
    public String asNonEmptyString() {
        String s = asString();
        if (s.isBlank()) {
            throw error("must not be empty");
        }
        return s;
    }

    public int asInt(int min, int max) {
        String s = asString();
        long value;
        try {
            value = Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw error("\"" + s + "\" is not an integer");
        }
        if (value < min || value > max) {
            throw error(value + " is out of range " + min + "-" + max);
        }
        return (int) value;
    }

    public double asDouble(double min, double max) {
        String s = asString();
        double value;
        try {
            value = Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
            throw error("\"" + s + "\" is not a number");
        }
        if (!(value >= min && value <= max)) {
            throw error(s + " is out of range " + min + "-" + max);
        }
        return value;
    }

    public boolean asBoolean() {
        String s = asString().strip();
        if (s.equals("true")) {
            return true;
        }
        if (s.equals("false")) {
            return false;
        }
        throw error("\"" + s + "\" is not true or false");
    }

    /** A Go-style duration ({@code 250ms}, {@code 10s}), as Kubernetes and Linkerd write them. */
    public Duration asDuration() {
        String s = asString();
        try {
            return Durations.parse(s);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private String childPath(String key) {
        String k = SIMPLE_KEY.matcher(key).matches() ? key : null;
        if (k != null) {
            return path.isEmpty() ? k : path + "." + k;
        }
        return path + "[\"" + key.replace("\"", "\\\"") + "\"]";
    }

    private int lineOf(Node n) {
        return n.getStartMark().map(m -> m.getLine() + 1).orElse(line());
    }

    private String describe() {
        if (node instanceof MappingNode) {
            return "a map";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (isNull()) {
            return "nothing";
        }
        return "\"" + ((ScalarNode) node).getValue() + "\"";
    }
}
