package org.repnas.io;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Reading the zip files this library writes and restores (DL4J model files, NumPy .npz archives) with errors that name
 * the file and what is wrong with it. DL4J itself reports a truncated model as "Unexpected end of ZLIB input stream"
 * without a file name, and ND4J loads an .npz cut inside an entry with that entry zero-filled; every entry is therefore
 * read once in full, its length and CRC checked, before anything trusts the file.
 */
public final class ModelFiles {
    private ModelFiles() {
    }

    /** A file that exists but cannot be used: truncated, corrupt, or not what it should be. */
    public static class DamagedFileException extends IOException {
        private final Path file;

        public DamagedFileException(Path file, String message, Throwable cause) {
            super(message, cause);
            this.file = file;
        }

        public Path file() {
            return file;
        }
    }

    /**
     * Checks that {@code file} is a whole zip archive: it exists, is not empty, has its central directory, and every
     * entry reads to its end with the recorded length and CRC.
     *
     * @param what what the file should be, for messages (e.g. "DL4J model file")
     */
    public static void verifyZip(Path file, String what) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, what + " not found");
        }
        if (Files.size(file) == 0) {
            throw new DamagedFileException(file, file + " is empty (0 bytes): not a " + what + ". It was probably cut "
                    + "off while being written or copied; write or copy it again.", null);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            if (zip.size() == 0) {
                throw new DamagedFileException(file, file + " is a zip archive with no entries: not a " + what + ".", null);
            }
        } catch (ZipException e) {
            throw new DamagedFileException(file, file + " is damaged: it is not a whole zip archive (" + e.getMessage()
                    + "), as happens when a file is cut off while being written or copied. It cannot be read as a " + what
                    + "; write or copy it again.", e);
        }
        String entry = null;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(file))) {
            byte[] buf = new byte[1 << 16];
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                entry = e.getName();
                while (in.read(buf) >= 0) {
                    // reading to the end makes ZipInputStream check the entry's length and CRC
                }
            }
        } catch (IOException e) {
            throw new DamagedFileException(file, file + " is damaged: its entry '" + entry + "' cannot be read whole ("
                    + e.getMessage() + "). The file cannot be used as a " + what + "; write or copy it again.", e);
        }
    }

    /** Restores a MultiLayerNetwork, after {@link #verifyZip}. */
    public static MultiLayerNetwork restoreMultiLayerNetwork(Path file, boolean loadUpdater) throws IOException {
        verifyZip(file, "DL4J model file");
        try {
            return ModelSerializer.restoreMultiLayerNetwork(file.toFile(), loadUpdater);
        } catch (RuntimeException | IOException e) {
            throw new DamagedFileException(file, file + " is a zip archive but not a MultiLayerNetwork DL4J can restore: "
                    + e.getMessage(), e);
        }
    }

    /** Restores a ComputationGraph, after {@link #verifyZip}. */
    public static ComputationGraph restoreComputationGraph(Path file, boolean loadUpdater) throws IOException {
        verifyZip(file, "DL4J model file");
        try {
            return ModelSerializer.restoreComputationGraph(file.toFile(), loadUpdater);
        } catch (RuntimeException | IOException e) {
            throw new DamagedFileException(file, file + " is a zip archive but not a ComputationGraph DL4J can restore: "
                    + e.getMessage(), e);
        }
    }

    /** Restores either kind, as {@code type} says ("MultiLayerNetwork" or "ComputationGraph"). */
    public static Model restore(Path file, String type, boolean loadUpdater) throws IOException {
        return "ComputationGraph".equals(type) ? restoreComputationGraph(file, loadUpdater)
                : restoreMultiLayerNetwork(file, loadUpdater);
    }

    /** Opens a verified file for reading (for readers that take a stream). */
    public static InputStream openVerified(Path file, String what) throws IOException {
        verifyZip(file, what);
        return Files.newInputStream(file);
    }
}
