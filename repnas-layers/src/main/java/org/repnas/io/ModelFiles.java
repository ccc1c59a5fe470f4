package org.repnas.io;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.CRC32;
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
     * entry reads to its end with the length and CRC the archive records. A damaged file gets a
     * {@link DamagedFileException} naming the file and the entry the damage is in.
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
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw locateDamage(file, what, e);
        }
        try (zip) {
            if (zip.size() == 0) {
                throw new DamagedFileException(file, file + " is a zip archive with no entries: not a " + what + ".", null);
            }
            byte[] buf = new byte[1 << 16];
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry e = entries.nextElement();
                // ZipFile checks neither length nor CRC of what it hands out (ND4J's .npz reader does not either)
                CRC32 crc = new CRC32();
                long length = 0;
                try (InputStream in = zip.getInputStream(e)) {
                    for (int n; (n = in.read(buf)) >= 0; length += n) crc.update(buf, 0, n);
                } catch (IOException ex) {
                    throw damaged(file, what, "its entry '" + e.getName() + "' cannot be read (" + ex.getMessage() + ")", ex);
                }
                if (e.getSize() >= 0 && length != e.getSize()) {
                    throw damaged(file, what, "its entry '" + e.getName() + "' has " + length + " bytes where the archive "
                            + "records " + e.getSize(), null);
                }
                if (e.getCrc() >= 0 && crc.getValue() != e.getCrc()) {
                    throw damaged(file, what, String.format("its entry '%s' fails its CRC check (recorded %08x, read %08x): "
                            + "bytes of it were changed", e.getName(), e.getCrc(), crc.getValue()), null);
                }
            }
        }
    }

    /**
     * A file without a readable central directory (which a zip writes last): reads the entries from their local
     * headers to name the one a cut or corruption is in.
     */
    private static DamagedFileException locateDamage(Path file, String what, ZipException centralDirectory) {
        String lastWhole = null;
        int whole = 0;
        try (ZipInputStream in = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] buf = new byte[1 << 16];
            for (ZipEntry e; (e = in.getNextEntry()) != null; whole++) {
                try {
                    while (in.read(buf) >= 0) {
                        // reading to the end makes ZipInputStream check the entry's length and CRC
                    }
                } catch (IOException ex) {
                    return damaged(file, what, "it is cut off or corrupt inside its entry '" + e.getName() + "' ("
                            + ex.getMessage() + ")", ex);
                }
                lastWhole = e.getName();
            }
        } catch (IOException ex) {
            return damaged(file, what, (lastWhole == null ? "its first entry" : "the entry after '" + lastWhole + "'")
                    + " cannot be read (" + ex.getMessage() + ")", ex);
        }
        if (whole == 0) {
            return damaged(file, what, "it is not a zip archive (" + centralDirectory.getMessage() + ")", centralDirectory);
        }
        return damaged(file, what, "its " + whole + " entries up to '" + lastWhole + "' are whole, but the central "
                + "directory a zip ends with is missing (" + centralDirectory.getMessage() + "): the file was cut off after "
                + "them", centralDirectory);
    }

    private static DamagedFileException damaged(Path file, String what, String detail, Throwable cause) {
        return new DamagedFileException(file, file + " is damaged: " + detail + ", as happens when a file is cut off or "
                + "changed while being written, copied or stored. It cannot be used as a " + what + "; write or copy it "
                + "again.", cause);
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
