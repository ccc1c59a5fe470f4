package org.repnas.examples;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command-line flags of an example main: {@code --name value} or {@code --name=value}, boolean {@code --name},
 * defaults shown by {@code --help}. Unknown flags fail with the list of known ones.
 */
final class Flags {
    /** Thrown for --help: the caller prints the usage and exits 0. */
    static final class HelpRequested extends RuntimeException {
        HelpRequested(String usage) {
            super(usage);
        }
    }

    private record Spec(String defaultValue, String help, boolean bool) {
    }

    private final String program;
    private final String description;
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();

    Flags(String program, String description) {
        this.program = program;
        this.description = description;
    }

    Flags option(String name, String defaultValue, String help) {
        specs.put(name, new Spec(defaultValue, help, false));
        return this;
    }

    Flags flag(String name, String help) {
        specs.put(name, new Spec("false", help, true));
        return this;
    }

    Flags parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                throw new HelpRequested(usage());
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("Unexpected argument '" + a + "': flags look like --name value. Run with --help.");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Spec s = specs.get(name);
            if (s == null) {
                throw new IllegalArgumentException("Unknown flag --" + name + ". Known flags: " + String.join(", ",
                        specs.keySet().stream().map(k -> "--" + k).toList()) + ". Run with --help.");
            }
            if (value == null) {
                if (s.bool()) {
                    value = "true";
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException("Flag --" + name + " needs a value (" + s.help() + ")");
                }
            }
            values.put(name, value);
        }
        return this;
    }

    String get(String name) {
        if (!specs.containsKey(name)) throw new IllegalStateException("undeclared flag " + name);
        return values.getOrDefault(name, specs.get(name).defaultValue());
    }

    boolean isSet(String name) {
        return values.containsKey(name);
    }

    int integer(String name) {
        try {
            return Integer.parseInt(get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + get(name) + "'");
        }
    }

    double number(String name) {
        try {
            return Double.parseDouble(get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + get(name) + "'");
        }
    }

    boolean bool(String name) {
        return Boolean.parseBoolean(get(name));
    }

    Path path(String name) {
        String v = get(name);
        return v == null || v.isEmpty() ? null : Path.of(v);
    }

    String usage() {
        StringBuilder sb = new StringBuilder("Usage: " + program + " [flags]\n" + description + "\n\nFlags:\n");
        for (Map.Entry<String, Spec> e : specs.entrySet()) {
            Spec s = e.getValue();
            sb.append(String.format("  --%-16s %s%s%n", e.getKey() + (s.bool() ? "" : " V"), s.help(),
                    s.bool() || s.defaultValue() == null || s.defaultValue().isEmpty() ? "" : " (default " + s.defaultValue() + ")"));
        }
        return sb.toString();
    }

    /** Runs a main body, turning --help and bad input into a message and an exit code instead of a stack trace. */
    static void run(String[] args, Main body) {
        try {
            body.run(args);
        } catch (HelpRequested h) {
            System.out.println(h.getMessage());
        } catch (IllegalArgumentException | java.io.IOException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    interface Main {
        void run(String[] args) throws java.io.IOException;
    }
}
