package io.meshj.examples.emojivoto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.meshj.examples.emojivoto.v1.Emoji;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VoteChooserTest {

    private static final List<String> ALL = Emojis.ALL.stream().map(Emoji::getShortcode).toList();

    @Test
    void theDoughnutIsChosenAboutFifteenPercentOfTheTimeAndTheRestEvenly() {
        VoteChooser chooser = new VoteChooser(new Random(20240601L));
        int draws = 10_000;
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < draws; i++) {
            counts.merge(chooser.choose(ALL), 1, Integer::sum);
        }

        // The standard deviation of the share is about 0.0036 at 10,000 draws: ±0.015 is four of them.
        assertThat(counts.get(Emojis.DOUGHNUT) / (double) draws).isCloseTo(0.15, within(0.015));
        int others = ALL.size() - 1;
        double expectedEach = draws * 0.85 / others;
        assertThat(counts).hasSize(ALL.size());
        assertThat(counts.entrySet())
                .filteredOn(e -> !e.getKey().equals(Emojis.DOUGHNUT))
                .allSatisfy(e -> assertThat((double) e.getValue()).as(e.getKey())
                        .isCloseTo(expectedEach, within(expectedEach * 0.4)));
    }

    @Test
    void withoutADoughnutOnOfferEveryChoiceIsFromTheList() {
        VoteChooser chooser = new VoteChooser(new Random(7));
        List<String> offered = List.of(":joy:", ":poop:");

        for (int i = 0; i < 1000; i++) {
            assertThat(chooser.choose(offered)).isIn(offered);
        }
    }

    @Test
    void aListOfOnlyTheDoughnutGivesTheDoughnut() {
        assertThat(new VoteChooser(new Random(1)).choose(List.of(Emojis.DOUGHNUT))).isEqualTo(Emojis.DOUGHNUT);
    }

    @Test
    void anEmptyListIsRefused() {
        assertThatThrownBy(() -> new VoteChooser(new Random(1)).choose(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
