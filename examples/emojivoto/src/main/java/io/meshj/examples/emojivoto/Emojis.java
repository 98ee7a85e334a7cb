package io.meshj.examples.emojivoto;

import io.meshj.examples.emojivoto.v1.Emoji;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The emojis that can be voted for, and the rule that names each one's Vote RPC.
 *
 * <p>The emoji service serves this list; the voting service and the web service both derive a vote's
 * method from its shortcode with {@link #voteMethodName}. {@code EmojisTest} checks that voting.proto
 * has exactly one Vote RPC per emoji here, so the list and the proto cannot drift apart.
 */
final class Emojis {

    /** The emoji whose vote always fails, as in the original demo. */
    static final String DOUGHNUT = ":doughnut:";

    static final List<Emoji> ALL = List.of(
            emoji(":joy:", "😂"),
            emoji(":sunglasses:", "😎"),
            emoji(DOUGHNUT, "🍩"),
            emoji(":stuck_out_tongue_winking_eye:", "😜"),
            emoji(":money_mouth_face:", "🤑"),
            emoji(":flushed:", "😳"),
            emoji(":mask:", "😷"),
            emoji(":nerd_face:", "🤓"),
            emoji(":ghost:", "👻"),
            emoji(":skull_and_crossbones:", "☠️"),
            emoji(":heart_eyes_cat:", "😻"),
            emoji(":hear_no_evil:", "🙉"),
            emoji(":see_no_evil:", "🙈"),
            emoji(":speak_no_evil:", "🙊"),
            emoji(":boy:", "👦"),
            emoji(":girl:", "👧"),
            emoji(":man:", "👨"),
            emoji(":woman:", "👩"),
            emoji(":older_man:", "👴"),
            emoji(":policeman:", "👮"),
            emoji(":guardsman:", "💂"),
            emoji(":construction_worker:", "👷"),
            emoji(":prince:", "🤴"),
            emoji(":princess:", "👸"),
            emoji(":pregnant_woman:", "🤰"),
            emoji(":santa:", "🎅"),
            emoji(":mrs_claus:", "🤶"),
            emoji(":dancer:", "💃"),
            emoji(":man_dancing:", "🕺"),
            emoji(":poop:", "💩"),
            emoji(":unicorn_face:", "🦄"),
            emoji(":rainbow:", "🌈"),
            emoji(":pizza:", "🍕"),
            emoji(":taco:", "🌮"),
            emoji(":beer:", "🍺"),
            emoji(":tada:", "🎉"),
            emoji(":rocket:", "🚀"),
            emoji(":fire:", "🔥"),
            emoji(":trophy:", "🏆"),
            emoji(":crown:", "👑"),
            emoji(":balloon:", "🎈"),
            emoji(":champagne:", "🍾"));

    private Emojis() {}

    static Optional<Emoji> find(String shortcode) {
        return ALL.stream().filter(e -> e.getShortcode().equals(shortcode)).findFirst();
    }

    /**
     * The VotingService method that votes for {@code shortcode}: {@code :heart_eyes_cat:} votes
     * through {@code VoteHeartEyesCat}.
     */
    static String voteMethodName(String shortcode) {
        String bare = shortcode.startsWith(":") && shortcode.endsWith(":") && shortcode.length() > 2
                ? shortcode.substring(1, shortcode.length() - 1)
                : shortcode;
        StringBuilder name = new StringBuilder("Vote");
        for (String part : bare.split("_")) {
            if (!part.isEmpty()) {
                name.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
            }
        }
        return name.toString();
    }

    private static Emoji emoji(String shortcode, String unicode) {
        return Emoji.newBuilder().setShortcode(shortcode).setUnicode(unicode).build();
    }
}
