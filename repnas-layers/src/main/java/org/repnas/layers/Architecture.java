package org.repnas.layers;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.util.GraphIndices;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.repnas.io.AtomicFiles;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A searched architecture as data: each block's kept branches (with the budget, the model and the alpha values).
 * JSON on disk; exported from a search, applied to a model, or used to build a fresh model with only the kept branches
 * ("retrain from scratch").
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Architecture(@JsonProperty("model") String model,
                           @JsonProperty("budget") int budget,
                           @JsonProperty("blocks") List<BlockArchitecture> blocks) {

    /** One block: its name, the kept branch ids and (optionally) every present branch's alpha. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BlockArchitecture(@JsonProperty("name") String name,
                                    @JsonProperty("kept") List<String> kept,
                                    @JsonProperty("alpha") Map<String, Double> alpha) {
        public EnumSet<Branch> keptBranches() {
            EnumSet<Branch> s = EnumSet.noneOf(Branch.class);
            for (String k : kept) s.add(Branch.parse(k));
            return s;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The model's current active branches (and alphas) as an architecture. */
    public static Architecture of(Model model, String modelName) {
        List<BlockArchitecture> blocks = new ArrayList<>();
        int total = 0;
        for (OdbbBlocks.Block b : OdbbBlocks.require(model)) {
            EnumSet<Branch> kept = b.conf().getActiveBranches();
            Map<String, Double> alpha = new LinkedHashMap<>();
            for (Branch br : b.conf().getPresentBranches()) alpha.put(br.id(), b.layer().alpha(br));
            blocks.add(new BlockArchitecture(b.name(), ids(kept), alpha));
            total += kept.size();
        }
        return new Architecture(modelName, total, blocks);
    }

    public List<EnumSet<Branch>> keptPerBlock() {
        return blocks.stream().map(BlockArchitecture::keptBranches).collect(Collectors.toList());
    }

    public int keptCount() {
        return blocks.stream().mapToInt(b -> b.kept().size()).sum();
    }

    /** Switches a model (built with these branches or more, e.g. a supernet) to this architecture. */
    public void applyTo(Model model) {
        List<OdbbBlocks.Block> blocks = OdbbBlocks.require(model);
        checkCount(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            OdbbBlocks.Block b = blocks.get(i);
            EnumSet<Branch> kept = this.blocks.get(i).keptBranches();
            EnumSet<Branch> missing = EnumSet.copyOf(kept);
            missing.removeAll(b.conf().getPresentBranches());
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("Architecture block " + i + " (" + this.blocks.get(i).name() + ") keeps "
                        + ids(missing) + " but the model's block '" + b.name() + "' has no such branch (present: "
                        + ids(b.conf().getPresentBranches()) + "). Build the model with BlockPreset.ALL.");
            }
            b.conf().setActiveBranches(kept);
            b.layer().setGateNoise(null);
        }
    }

    /**
     * Rewrites a network configuration, before {@code init()}, so that every ODBB has exactly its kept branches:
     * a fresh model with this architecture and no parameters for the other branches.
     */
    public MultiLayerConfiguration restrict(MultiLayerConfiguration conf) {
        List<OdbbConvLayer> layers = new ArrayList<>();
        for (NeuralNetConfiguration c : conf.getConfs()) {
            if (c.getLayer() instanceof OdbbConvLayer o) layers.add(o);
        }
        restrict(layers);
        return conf;
    }

    /** As {@link #restrict(MultiLayerConfiguration)}, blocks in topological order. */
    public ComputationGraphConfiguration restrict(ComputationGraphConfiguration conf) {
        List<OdbbConvLayer> layers = new ArrayList<>();
        Map<String, GraphVertex> vertices = conf.getVertices();
        // the order the runtime graph walks its vertices in (OdbbBlocks.find), computed without init()
        GraphIndices indices = new ComputationGraph(conf).calculateIndices();
        for (int idx : indices.getTopologicalSortOrder()) {
            GraphVertex v = vertices.get(indices.getIdxToName().get(idx));
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof OdbbConvLayer o) layers.add(o);
        }
        restrict(layers);
        return conf;
    }

    private void restrict(List<OdbbConvLayer> layers) {
        checkCount(layers.size());
        for (int i = 0; i < layers.size(); i++) {
            OdbbConvLayer o = layers.get(i);
            EnumSet<Branch> kept = blocks.get(i).keptBranches();
            o.setPreset(null);
            o.setBranches(kept);
            o.setActiveBranches(null);
            if (o.getNIn() > 0) o.validate();
        }
    }

    private void checkCount(int modelBlocks) {
        if (modelBlocks != blocks.size()) {
            throw new IllegalArgumentException("Architecture" + (model == null ? "" : " of " + model) + " has "
                    + blocks.size() + " blocks but the model has " + modelBlocks + " ODBBs: it belongs to another model.");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Files

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Architecture fromJson(String json) {
        try {
            Architecture a = JSON.readValue(json, Architecture.class);
            a.validateContents("the JSON text");
            return a;
        } catch (IOException e) {
            throw new IllegalArgumentException("Not an architecture file: " + e.getMessage(), e);
        }
    }

    /** Writes the file atomically (a temporary file renamed over the target), so a crash never leaves half a file. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    public static Architecture read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "architecture file not found");
        }
        try {
            Architecture a = JSON.readValue(text, Architecture.class);
            a.validateContents(file.toString());
            return a;
        } catch (IOException e) {
            throw new IOException(file + " is not a valid architecture file (JSON with \"blocks\": [{\"name\", \"kept\": "
                    + "[branch ids]}]): " + e.getMessage(), e);
        }
    }

    private void validateContents(String source) {
        if (blocks == null || blocks.isEmpty()) {
            throw new IllegalArgumentException(source + ": architecture has no blocks");
        }
        for (int i = 0; i < blocks.size(); i++) {
            BlockArchitecture b = blocks.get(i);
            if (b.kept() == null || b.kept().isEmpty()) {
                throw new IllegalArgumentException(source + ": block " + i + " keeps no branch; every block keeps at least one");
            }
            b.keptBranches();   // unknown ids fail here with the list of valid ones
        }
    }

    private static List<String> ids(EnumSet<Branch> s) {
        return s.stream().map(Branch::id).collect(Collectors.toList());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The official RepNAS release

    /** Column names of the official RepNAS arch.py, in its op order, and the branch each means. */
    private static final Map<String, Branch> OFFICIAL_COLUMNS = Map.of(
            "1x1", Branch.CONV_1X1, "1x1_avg", Branch.CONV_1X1_AVG, "3x3", Branch.KXK,
            "1x1_3x3", Branch.CONV_1X1_KXK, "1x3", Branch.CONV_1XK, "3x1", Branch.CONV_KX1);

    /**
     * Reads a searched architecture released with the official RepNAS code as a TSV (header {@code block 1x1 1x1_avg
     * 3x3 1x1_3x3 1x3 3x1}, one row per block, 1 = kept). The official search does not include the identity branch: it
     * is present in every block that can have it, so it is added where {@code blocks.get(i).identityPossible()}.
     *
     * @param blocks the model's ODBB configurations, in order (for where identity exists)
     */
    public static Architecture fromOfficialTsv(InputStream in, String source, String modelName, List<OdbbConvLayer> blocks)
            throws IOException {
        List<BlockArchitecture> out = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        String[] header = null;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] cells = line.trim().split("\t");
            if (header == null) {
                header = cells;
                if (!header[0].equals("block")) {
                    throw new IOException(source + ":" + lineNo + ": expected a header starting with 'block', got '" + line + "'");
                }
                for (int c = 1; c < header.length; c++) {
                    if (!OFFICIAL_COLUMNS.containsKey(header[c])) {
                        throw new IOException(source + ":" + lineNo + ": unknown column '" + header[c] + "'; expected "
                                + OFFICIAL_COLUMNS.keySet());
                    }
                }
                continue;
            }
            if (cells.length != header.length) {
                throw new IOException(source + ":" + lineNo + ": " + cells.length + " cells, the header has " + header.length);
            }
            int index = out.size();
            if (index >= blocks.size()) {
                throw new IOException(source + ": more rows than the model's " + blocks.size() + " blocks");
            }
            EnumSet<Branch> kept = EnumSet.noneOf(Branch.class);
            for (int c = 1; c < cells.length; c++) {
                switch (cells[c]) {
                    case "1" -> kept.add(OFFICIAL_COLUMNS.get(header[c]));
                    case "0" -> { }
                    default -> throw new IOException(source + ":" + lineNo + ": cell '" + cells[c] + "' is neither 0 nor 1");
                }
            }
            if (blocks.get(index).identityPossible()) kept.add(Branch.IDENTITY);
            if (kept.isEmpty()) {
                throw new IOException(source + ":" + lineNo + ": block " + cells[0] + " keeps no branch");
            }
            out.add(new BlockArchitecture(cells[0], ids(kept), null));
        }
        if (out.size() != blocks.size()) {
            throw new IOException(source + ": " + out.size() + " blocks, the model has " + blocks.size());
        }
        return new Architecture(modelName, out.stream().mapToInt(b -> b.kept().size()).sum(), out);
    }
}
