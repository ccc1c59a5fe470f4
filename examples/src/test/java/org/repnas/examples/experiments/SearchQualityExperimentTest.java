package org.repnas.examples.experiments;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.repnas.examples.TinyDataAccess;

import javax.imageio.ImageIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The experiment end to end on a few real-format Fashion-MNIST images, one seed; a second start skips finished runs. */
class SearchQualityExperimentTest {

    @Test
    void writesTheTableTheJsonAndThePlotAndSkipsFinishedRuns(@TempDir Path dir) throws Exception {
        Path data = TinyDataAccess.fashionIdx(dir.resolve("data"), 48, 24);
        Path out = dir.resolve("out"), runs = dir.resolve("runs");
        String[] args = {"--data", data.toString(), "--train-size", "0", "--test-size", "0", "--epochs", "2", "--batch", "16",
                "--seeds", "1", "--budgets", "12", "--out", out.toString(), "--runs", runs.toString()};
        assertEquals(0, SearchQualityExperiment.run(args));

        JsonNode json = SearchQualityExperiment.JSON.readTree(out.resolve("search-quality.json").toFile());
        assertEquals("Fashion-MNIST", json.get("data").asText());
        assertEquals(48, json.get("train_images").asInt());
        assertEquals(2, json.get("epochs").asInt());
        Set<String> methods = new HashSet<>();
        for (JsonNode row : json.get("rows")) {
            methods.add(row.get("method").asText());
            assertEquals(1, row.get("accuracy").size(), "one accuracy per seed");
            double a = row.get("accuracy").get(0).asDouble();
            assertTrue(a >= 0 && a <= 1, "accuracy " + a);
        }
        assertEquals(Set.of("PLAIN", "ACB", "REPVGG", "DBB", "RANDOM", "ODBB", "ODBB_RETRAIN"), methods);
        for (JsonNode row : json.get("rows")) {
            int expected = switch (row.get("method").asText()) {
                case "PLAIN" -> 6; case "ACB" -> 18; case "REPVGG" -> 15; case "DBB" -> 24; default -> 12;
            };
            assertEquals(expected, row.get("branches").asInt(), row.toString());
        }
        String md = Files.readString(out.resolve("search-quality.md"));
        assertTrue(md.contains("| ODBB_RETRAIN | 12 |") && md.contains("| ACB | 18 |"), md);
        assertNotNull(ImageIO.read(out.resolve("search-quality.png").toFile()));

        // started again: every run is done already and none is redone
        FileTime before = Files.getLastModifiedTime(runs.resolve("odbb-b12-s0.json"));
        assertEquals(0, SearchQualityExperiment.run(args));
        assertEquals(before, Files.getLastModifiedTime(runs.resolve("odbb-b12-s0.json")));
        assertEquals(7, Files.list(runs).count());
    }

    /** With --data pointing to CIFAR-10's binary files the experiment runs VGG-16 on them (a few images, two rows). */
    @Test
    void cifarBinaryFilesRunVgg16(@TempDir Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        java.util.Random random = new java.util.Random(7);
        for (String[] f : new String[][]{{"data_batch_1.bin", "16"}, {"test_batch.bin", "8"}}) {
            byte[] records = new byte[Integer.parseInt(f[1]) * 3073];
            random.nextBytes(records);
            for (int i = 0; i < records.length; i += 3073) records[i] = (byte) (i / 3073 % 10);
            Files.write(data.resolve(f[0]), records);
        }
        Path out = dir.resolve("out"), runs = dir.resolve("runs");
        assertEquals(0, SearchQualityExperiment.run("--data", data.toString(), "--train-size", "0", "--test-size", "0",
                "--epochs", "2", "--batch", "8", "--seeds", "1", "--budgets", "26", "--methods", "PLAIN,ODBB",
                "--out", out.toString(), "--runs", runs.toString()));
        JsonNode json = SearchQualityExperiment.JSON.readTree(out.resolve("search-quality.json").toFile());
        assertEquals("CIFAR-10", json.get("data").asText());
        assertEquals(16, json.get("train_images").asInt());
        Set<String> rows = new HashSet<>();
        for (JsonNode row : json.get("rows")) rows.add(row.get("method").asText() + "/" + row.get("branches").asInt());
        assertEquals(Set.of("PLAIN/13", "ODBB/26"), rows, "VGG-16's 13 blocks plain, and the search at C = 26");
    }

    @Test
    void badFlagsSayWhatIsExpected() {
        assertEquals(2, SearchQualityExperiment.run("--methods", "BEST"));
        assertEquals(2, SearchQualityExperiment.run("--budgets", "5", "--train-size", "16", "--test-size", "8"),
                "a budget below one branch per block plus the identities");
    }
}
