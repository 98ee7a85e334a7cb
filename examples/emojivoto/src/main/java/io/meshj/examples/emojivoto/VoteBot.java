package io.meshj.examples.emojivoto;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The vote-bot: traffic for the demo. Each of {@code workers} workers, once per {@code interval},
 * lists the emojis through the web service and votes for one ({@link VoteChooser}: the failing
 * {@code :doughnut:} about 15 % of the time).
 *
 * <p>Workers are fixed-rate tasks on a scheduler, started {@code interval / workers} apart so the
 * load is even; an iteration that overruns the interval delays the next one rather than overlapping
 * it. Failures (a 500 from the doughnut, a refused connection, a timeout) are counted and logged at
 * most once per {@link #LOG_EVERY}; they never stop the bot.
 */
final class VoteBot implements RunningService {

    private static final System.Logger LOG = System.getLogger(VoteBot.class.getName());
    static final Duration LOG_EVERY = Duration.ofSeconds(10);

    private final Http1Client web;
    private final String webAddr;
    private final VoteChooser chooser;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong iterations = new AtomicLong();
    private final AtomicLong votes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong failuresLogged = new AtomicLong();
    private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());

    private VoteBot(Http1Client web, String webAddr, VoteChooser chooser, int workers) {
        this.web = web;
        this.webAddr = webAddr;
        this.chooser = chooser;
        AtomicInteger threadNumber = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(workers, r -> {
            Thread t = new Thread(r, "emojivoto-vote-bot-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts voting through {@code web}, whose {@code Host} is {@code webAddr}.
     */
    static VoteBot start(Http1Client web, String webAddr, VoteChooser chooser, int workers, Duration interval) {
        VoteBot bot = new VoteBot(web, webAddr, chooser, workers);
        long periodNanos = interval.toNanos();
        for (int worker = 0; worker < workers; worker++) {
            bot.scheduler.scheduleAtFixedRate(bot::iteration, periodNanos * worker / workers, periodNanos,
                    TimeUnit.NANOSECONDS);
        }
        return bot;
    }

    long iterations() {
        return iterations.get();
    }

    /** Votes the web service accepted. */
    long votes() {
        return votes.get();
    }

    /** Requests that failed, whatever the reason. */
    long failures() {
        return failures.get();
    }

    @Override
    public String readyLine() {
        return "emojivoto vote-bot ready (plain) -> " + webAddr;
    }

    @Override
    public void close() {
        Graceful.stop(scheduler);
    }

    /** One list-then-vote round. Catches everything it can: a task that throws is never run again. */
    private void iteration() {
        try {
            Http1Client.Response list = web.get("/api/list");
            if (list.status() != 200) {
                failed("GET /api/list: HTTP " + list.status() + " " + list.body());
                return;
            }
            String choice = chooser.choose(shortcodes(list.body()));
            Http1Client.Response vote = web.get("/api/vote?choice=" + URLEncoder.encode(choice, StandardCharsets.UTF_8));
            if (vote.status() == 200) {
                votes.incrementAndGet();
            } else {
                failed("voting for " + choice + ": HTTP " + vote.status() + " " + vote.body());
            }
        } catch (IOException | RuntimeException e) {
            failed(e.toString());
        } finally {
            iterations.incrementAndGet();
        }
    }

    /** The shortcodes in /api/list's {@code [{"shortcode":...,"unicode":...},...]}. */
    static List<String> shortcodes(String listJson) {
        if (!(Json.parse(listJson) instanceof List<?> list)) {
            throw new IllegalArgumentException("/api/list did not return a JSON array");
        }
        List<String> shortcodes = new ArrayList<>();
        for (Object element : list) {
            if (element instanceof Map<?, ?> emoji && emoji.get("shortcode") instanceof String shortcode) {
                shortcodes.add(shortcode);
            }
        }
        return shortcodes;
    }

    private void failed(String why) {
        long total = failures.incrementAndGet();
        long now = System.nanoTime();
        long next = nextLogNanos.get();
        // One thread wins the right to log per LOG_EVERY; the rest only count.
        if (now - next >= 0 && nextLogNanos.compareAndSet(next, now + LOG_EVERY.toNanos())) {
            long since = total - failuresLogged.getAndSet(total);
            LOG.log(System.Logger.Level.WARNING, "vote-bot: {0} failed request(s) since the last report, {1} in all; latest: {2}",
                    since, total, why);
        }
    }
}
