package io.meshj.core.name;

/** An authority string was rejected; the message names the problem and quotes the input. */
public final class InvalidAuthorityException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    InvalidAuthorityException(String input, String problem) {
        super("invalid authority \"" + input + "\": " + problem);
    }
}
