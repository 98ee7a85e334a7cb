package io.meshj.proxy;

import io.meshj.proxy.ProxyInit.IptablesException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Runs one iptables binary and turns its failures into one line a user can act on: the binary is
 * missing, the caller lacks the privilege, or iptables refused a command (with its own words).
 */
final class IptablesRunner {

    /** Wait this long for the legacy backend's xtables lock (iptables-nft accepts and ignores it). */
    private static final List<String> WAIT = List.of("-w", "10");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /**
     * How each backend says the caller lacks CAP_NET_ADMIN: iptables-nft "Could not fetch rule set
     * generation id: Permission denied (you must be root)", iptables-legacy "can't open lock file
     * /run/xtables.lock: Permission denied" or "can't initialize iptables table `nat': Permission
     * denied (you must be root)", and EPERM from the kernel as "Operation not permitted".
     */
    private static final Pattern NOT_PERMITTED = Pattern.compile("(?i)permission denied|you must be root|operation not permitted");

    static final String NOT_FOUND = "%s not found: install iptables, or pass --iptables PATH";
    static final String NOT_PERMITTED_MESSAGE = "iptables: permission denied: run as root or with CAP_NET_ADMIN";

    private final String iptables;
    private final Duration timeout;

    IptablesRunner(String iptables) {
        this(iptables, TIMEOUT);
    }

    IptablesRunner(String iptables, Duration timeout) {
        this.iptables = iptables;
        this.timeout = timeout;
    }

    /** The nat table as {@code iptables -t nat -S} lists it, and what it warned on standard error. */
    Listing list() throws InterruptedException {
        Result r = execute(List.of("-t", "nat", "-S"));
        return new Listing(r.out, r.err);
    }

    /** Runs one command; fails unless it succeeds. */
    void run(List<String> args) throws InterruptedException {
        execute(args);
    }

    /** A command as a shell line (without the lock wait, as --dry-run prints it). */
    String line(List<String> args) {
        StringBuilder b = new StringBuilder(quote(iptables));
        for (String a : args) {
            b.append(' ').append(quote(a));
        }
        return b.toString();
    }

    private Result execute(List<String> args) throws InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(iptables);
        command.addAll(WAIT);
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            // ProcessBuilder's message is "Cannot run program "x": error=2, No such file or directory".
            String why = String.valueOf(e.getMessage());
            if (why.contains("error=2,")) {
                throw new IptablesException(String.format(NOT_FOUND, iptables));
            }
            if (why.contains("error=13,")) {
                throw new IptablesException(iptables + " cannot be run: permission denied (not an executable file?); pass --iptables PATH");
            }
            throw new IptablesException(iptables + " cannot be run: " + why);
        }
        closeQuietly(p);
        // Both streams on threads of their own, so that an iptables that hangs (a stuck lock, a
        // kernel that never answers) is given up on after the timeout instead of blocking a read.
        FutureTask<String> out = reader(p.getInputStream(), "stdout");
        FutureTask<String> err = reader(p.getErrorStream(), "stderr");
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IptablesException(line(args) + ": did not finish within "
                    + (timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms"));
        }
        String output = collect(out);
        String errors = collect(err);
        if (p.exitValue() != 0) {
            String said = (errors + "\n" + output).strip();
            if (NOT_PERMITTED.matcher(said).find()) {
                throw new IptablesException(NOT_PERMITTED_MESSAGE);
            }
            throw new IptablesException(line(args) + " failed (exit " + p.exitValue() + ")"
                    + (said.isEmpty() ? "" : ": " + String.join("; ", said.lines().map(String::strip).filter(l -> !l.isEmpty()).toList())));
        }
        return new Result(output, errors);
    }

    /** iptables reads nothing; its standard input is closed so that nothing could make it wait. */
    private static void closeQuietly(Process p) {
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // nothing was written, so nothing is lost
        }
    }

    private FutureTask<String> reader(InputStream in, String name) {
        FutureTask<String> task = new FutureTask<>(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        });
        Thread t = new Thread(task, iptables + " " + name);
        t.setDaemon(true);
        t.start();
        return task;
    }

    /** What a stream held; the process has ended, so the pipe is at its end unless a child kept it open. */
    private static String collect(FutureTask<String> stream) throws InterruptedException {
        try {
            return stream.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            stream.cancel(true);
            return "";
        }
    }

    /**
     * The words of a line as {@code iptables -S} prints it: separated by spaces, a word with spaces
     * or quotes in double quotes with backslash escapes (its {@code xtables_save_string}).
     */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    word.append(c);
                }
            } else if (c == ' ' || c == '\t') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '"') {
                    quoted = true;
                } else {
                    word.append(c);
                }
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    /** A word as a POSIX shell reads it back: as is when it is safe, else in single quotes. */
    static String quote(String word) {
        if (!word.isEmpty() && word.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./:,=+@%".indexOf(c) >= 0)) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    record Listing(String rules, String warnings) {
    }

    private record Result(String out, String err) {
    }
}
