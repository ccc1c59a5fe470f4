package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.shade.jackson.databind.DeserializationFeature;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.repnas.io.AtomicFiles;
import org.repnas.io.ModelFiles;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A search's checkpoints in one folder: each in its own subfolder ({@code checkpoint-eEEEE-bBBBBBB}: the network with
 * its updater state, and the driver's state as JSON), written under a temporary name and renamed when complete; the
 * file {@code latest} names the newest; the newest two are kept. A damaged newest checkpoint falls back to the one
 * before it.
 */
final class SearchCheckpoints {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String MODEL_FILE = "model.zip";
    private static final String STATE_FILE = "state.json";
    private static final String LATEST = "latest";
    private static final String PREFIX = "checkpoint-";

    /** A restored checkpoint. */
    record Restored(Model model, SearchState state, Path from) {
    }

    private final Path dir;

    SearchCheckpoints(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    boolean exist() {
        return Files.exists(dir.resolve(LATEST));
    }

    /** Writes a checkpoint; returns its name. */
    String write(Model model, SearchState state) throws IOException {
        Files.createDirectories(dir);
        String name = String.format(PREFIX + "e%04d-b%06d", state.epoch, state.batchesDone);
        Path tmp = Files.createTempDirectory(dir, "." + name);
        ModelSerializer.writeModel(model, tmp.resolve(MODEL_FILE).toFile(), true);
        JSON.writeValue(tmp.resolve(STATE_FILE).toFile(), state);
        Path target = dir.resolve(name);
        deleteRecursively(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.writeString(dir.resolve(LATEST), name);
        AtomicFiles.writeString(dir.resolve("history.json"), JSON.writeValueAsString(state.history));
        List<Path> all = checkpoints();
        for (int i = 0; i < all.size() - 2; i++) deleteRecursively(all.get(i));
        return name;
    }

    /**
     * The newest checkpoint that restores, newest first from {@code latest}: a damaged one (cut off, corrupt) is
     * reported on {@code log} and the one before it is used.
     */
    Restored restoreLatest(PrintStream log) throws IOException {
        if (!exist()) {
            throw new NoSuchFileException(dir.toString(), null, "no search checkpoint here (no '" + LATEST
                    + "' file): start a new search, or point to the folder a search wrote its checkpoints to");
        }
        String latest = Files.readString(dir.resolve(LATEST)).trim();
        List<Path> candidates = checkpoints();
        candidates.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().equals(latest))
                .thenComparing(p -> p.getFileName().toString(), Comparator.reverseOrder()));
        IOException first = null;
        for (Path cp : candidates) {
            try {
                SearchState state = readState(cp);
                Model model = ModelFiles.restore(cp.resolve(MODEL_FILE), state.modelType, true);
                if (first != null) {
                    log.println("the newest checkpoint could not be used (" + first.getMessage() + "); resuming from the "
                            + "one before it, " + cp.getFileName());
                }
                return new Restored(model, state, cp);
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        throw new IOException("No usable checkpoint in " + dir + ": " + (first == null ? "none found" : first.getMessage())
                + ". Start the search anew in another folder.", first);
    }

    private static SearchState readState(Path cp) throws IOException {
        Path f = cp.resolve(STATE_FILE);
        if (!Files.isRegularFile(f)) throw new NoSuchFileException(f.toString(), null, "checkpoint is incomplete");
        try {
            return JSON.readValue(f.toFile(), SearchState.class);
        } catch (IOException e) {
            throw new ModelFiles.DamagedFileException(f, f + " is damaged: " + e.getMessage(), e);
        }
    }

    private List<Path> checkpoints() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return new java.util.ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList());
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
