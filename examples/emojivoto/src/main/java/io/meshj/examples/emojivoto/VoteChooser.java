package io.meshj.examples.emojivoto;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * What the vote-bot votes for: {@code :doughnut:} about {@value #DOUGHNUT_SHARE} of the time (a vote
 * that always fails, so the mesh shows a success rate below 100 %), otherwise any other emoji with
 * equal chance — the original bot's mix.
 *
 * <p>The random generator is injected so the distribution can be tested with a fixed seed. Safe for
 * concurrent use when the generator is ({@link java.util.Random} is).
 */
final class VoteChooser {

    static final double DOUGHNUT_SHARE = 0.15;

    private final RandomGenerator random;

    VoteChooser(RandomGenerator random) {
        this.random = random;
    }

    /** One shortcode from {@code shortcodes}, which must not be empty. */
    String choose(List<String> shortcodes) {
        if (shortcodes.isEmpty()) {
            throw new IllegalArgumentException("nothing to vote for");
        }
        boolean doughnutOnOffer = shortcodes.contains(Emojis.DOUGHNUT);
        if (doughnutOnOffer && random.nextDouble() < DOUGHNUT_SHARE) {
            return Emojis.DOUGHNUT;
        }
        List<String> others = doughnutOnOffer
                ? shortcodes.stream().filter(s -> !s.equals(Emojis.DOUGHNUT)).toList()
                : shortcodes;
        if (others.isEmpty()) {
            return Emojis.DOUGHNUT;
        }
        return others.get(random.nextInt(others.size()));
    }
}
