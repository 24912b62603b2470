package io.numarrow;

/**
 * Input the user can fix: a missing or malformed file, a wrong column, mismatched shapes.
 * The message names the file, column or shape at fault; the command line turns it into one
 * line on stderr and exit status 2.
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
