package io.meshj.controller.cli;

import io.meshj.controller.inject.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The manifests {@code inject} and {@code uninject} read: files, the YAML and JSON files of a directory
 * (in name order), or "-" for standard input — all parsed before anything is written, so bad input
 * leaves standard output empty.
 */
final class ManifestInputs {

    private ManifestInputs() {
    }

    /** One input's documents and format, in the order given. */
    static List<Manifests.Parsed> read(List<String> inputs, InputStream stdin) {
        List<Manifests.Parsed> out = new ArrayList<>();
        for (String input : inputs.isEmpty() ? List.of("-") : inputs) {
            if (input.equals("-")) {
                try {
                    out.add(Manifests.parse(new String(stdin.readAllBytes(), StandardCharsets.UTF_8), "-"));
                } catch (IOException e) {
                    throw new IllegalArgumentException("-: cannot read standard input: " + e.getMessage(), e);
                }
                continue;
            }
            Path p = Path.of(input);
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    for (Path f : files.filter(f -> f.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList()) {
                        out.add(parse(f));
                    }
                } catch (IOException e) {
                    throw new IllegalArgumentException(input + ": cannot list the directory: " + e.getMessage(), e);
                }
            } else {
                out.add(parse(p));
            }
        }
        return out;
    }

    private static Manifests.Parsed parse(Path file) {
        try {
            return Manifests.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage(), e);
        }
    }

    /** The documents of every input, written as one stream: JSON only for a single JSON input. */
    static String write(List<Manifests.Parsed> inputs) {
        List<Object> documents = new ArrayList<>();
        for (Manifests.Parsed p : inputs) {
            documents.addAll(p.documents());
        }
        Manifests.Format format = inputs.size() == 1 ? inputs.get(0).format() : Manifests.Format.YAML;
        return Manifests.write(documents, format);
    }
}
