package io.meshj.examples.emojivoto;

/** A bad command line or environment: reported as one line on stderr, exit code 2. */
final class UsageException extends Exception {

    UsageException(String message) {
        super(message, null, false, false);
    }
}
