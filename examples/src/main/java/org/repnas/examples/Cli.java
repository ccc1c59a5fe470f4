package org.repnas.examples;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * How the example mains parse their command line (picocli): --help prints the usage and exits 0; a bad flag or value
 * prints what is wrong (an unknown flag with the likely one meant) and exits 2; so does a user error while running (a
 * missing or damaged file, a bad value: IOException, IllegalArgumentException), with its message and no stack trace.
 */
final class Cli {
    /** picocli's exit code for bad usage, also used for bad input found while running. */
    static final int USAGE = CommandLine.ExitCode.USAGE;

    private Cli() {
    }

    static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Cli::badFlags);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IOException || e instanceof UncheckedIOException || e instanceof IllegalArgumentException) {
                line.getErr().println("error: " + e.getMessage());
                return USAGE;
            }
            throw e;                                    // a bug: the stack trace helps
        });
        return cl;
    }

    private static int badFlags(ParameterException e, String[] args) {
        CommandLine line = e.getCommandLine();
        PrintWriter err = line.getErr();
        err.println("error: " + e.getMessage());
        if (!UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("Run " + line.getCommandName() + " with --help for every flag and its default.");
        }
        return USAGE;
    }

    /** Runs a main: parses, runs, returns the exit code (0, or {@link #USAGE} with a message on standard error). */
    static int execute(Callable<Integer> command, String... args) {
        return commandLine(command).execute(args);
    }

    /** {@link #execute} printing to {@code out} and {@code err} instead of the standard streams. */
    static int execute(Callable<Integer> command, PrintWriter out, PrintWriter err, String... args) {
        return commandLine(command).setOut(out).setErr(err).execute(args);
    }

    /** What a main's {@code main} does: exits only on failure, so that exec:java finishes normally on success. */
    static void main(Callable<Integer> command, String... args) {
        int code = execute(command, args);
        if (code != 0) System.exit(code);
    }

    /** Parses {@code args} into {@code command} and runs it, letting every exception through (for tests). */
    static <C extends Callable<Integer>> int run(C command, String... args) throws Exception {
        commandLine(command).parseArgs(args);
        return command.call();
    }
}
