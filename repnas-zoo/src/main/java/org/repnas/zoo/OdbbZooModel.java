package org.repnas.zoo;

import org.repnas.layers.fusion.NetworkFuser;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.ModelMetaData;
import org.deeplearning4j.zoo.PretrainedType;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.ZooType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.repnas.backend.OneDnnLayerHelpers;
import org.repnas.io.ModelFiles;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.Architecture;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;

/**
 * A DL4J zoo model built from ODBBs: every block uses one {@link BlockPreset} (ALL for a search) or the kept branches
 * of a searched {@link Architecture}. {@link #init()} gives the multi-branch network; {@link NetworkFuser} its plain
 * fused form; {@code initPretrained} loads fused pretrained weights where the model ships them.
 */
public abstract class OdbbZooModel extends ZooModel<OdbbZooModel> {
    protected BlockPreset preset = BlockPreset.ALL;
    protected Architecture architecture;
    protected int numClasses;
    protected int[] inputShape;
    protected long seed = 42;
    protected IUpdater updater = new Nesterovs(0.1, 0.9);
    protected DataType dataType = DataType.FLOAT;

    protected OdbbZooModel(int numClasses, int[] inputShape) {
        this.numClasses = numClasses;
        this.inputShape = inputShape;
    }

    /** The multi-branch network configuration (blocks per the preset, restricted to the architecture if one is set). */
    public MultiLayerConfiguration conf() {
        MultiLayerConfiguration conf = layers(new NeuralNetConfiguration.Builder().seed(seed).dataType(dataType)
                .updater(updater).weightInit(WeightInit.RELU).list()).build();
        return architecture == null ? conf : architecture.restrict(conf);
    }

    /** The network's layers after the global configuration (blocks via {@link #block}). */
    protected abstract NeuralNetConfiguration.ListBuilder layers(NeuralNetConfiguration.ListBuilder list);

    /** A block with the model's preset. */
    protected OdbbConvLayer.Builder block(String name, int nOut, int stride, int groups) {
        return OdbbConvLayer.builder().name(name).nOut(nOut).kernelSize(3).stride(stride).groups(groups).preset(preset);
    }

    @Override
    @SuppressWarnings("unchecked")
    public MultiLayerNetwork init() {
        MultiLayerNetwork net = new MultiLayerNetwork(conf());
        net.init();
        return net;
    }

    @Override
    public Class<? extends Model> modelType() {
        return MultiLayerNetwork.class;
    }

    @Override
    public String pretrainedUrl(PretrainedType pretrainedType) {
        return null;
    }

    @Override
    public long pretrainedChecksum(PretrainedType pretrainedType) {
        return 0L;
    }

    /**
     * DL4J's {@link ZooModel#initPretrained(PretrainedType)}: it copies {@link #pretrainedUrl} (a jar or file URL works
     * offline) into DL4J's zoo cache ({@code DL4JResources.getDirectory(ZOO_MODEL, modelName())}), checks the copy's
     * Adler32 against {@link #pretrainedChecksum} (a mismatch deletes it) and restores it as {@link #modelType()}. Around
     * it: the fused network's layers are created on oneDNN ({@link OneDnnLayerHelpers}), and every failure says which
     * file and what to do. A damaged cached copy is deleted; the next call copies it anew.
     */
    @Override
    public <M extends Model> M initPretrained(PretrainedType type) throws IOException {
        String url = pretrainedUrl(type);
        if (url == null) {
            throw new UnsupportedOperationException(modelName() + " has no pretrained " + type + " weights"
                    + (availablePretrained().isEmpty() ? "." : "; available: " + availablePretrained())
                    + " RepVGG's official weights can be imported with RepVggConverter.");
        }
        File cached = cachedPretrainedFile(type);
        long checksum = pretrainedChecksum(type);
        if (checksum == 0 && cached.exists()) {
            checkCachedCopy(cached, url);                 // no checksum guards what DL4J restores
        }
        try {
            M net = super.initPretrained(type);
            if (net instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork m) OneDnnLayerHelpers.attach(m);
            else if (net instanceof org.deeplearning4j.nn.graph.ComputationGraph g) OneDnnLayerHelpers.attach(g);
            return net;
        } catch (IllegalStateException e) {
            if (cached.exists() || !String.valueOf(e.getMessage()).startsWith("Pretrained model file failed checksum")) {
                throw e;
            }
            throw new IOException("The pretrained " + modelName() + " file " + cached + " failed its Adler32 checksum "
                    + "(expected " + checksum + "): the cached copy was corrupt, cut off or replaced. It has been deleted; "
                    + "call initPretrained again to copy it anew from " + url + ".", e);
        } catch (IOException | RuntimeException e) {
            if (cached.exists()) {
                checkCachedCopy(cached, url);             // DL4J's own error names no file ("Unexpected end of ZLIB ...")
            }
            throw new IOException("Could not load the pretrained " + modelName() + " model " + cached + " (copied from "
                    + url + "): " + e.getMessage(), e);
        }
    }

    /** Where DL4J's {@link ZooModel#initPretrained(PretrainedType)} keeps its copy (named as the URL's last part). */
    public File cachedPretrainedFile(PretrainedType type) {
        String url = pretrainedUrl(type);
        if (url == null) throw new UnsupportedOperationException(modelName() + " has no pretrained " + type + " weights");
        return new File(DL4JResources.getDirectory(ResourceType.ZOO_MODEL, modelName()), new File(url).getName());
    }

    /** A cached copy that is not a whole zip is deleted, so the next call copies it anew. */
    private void checkCachedCopy(File cached, String url) throws IOException {
        try {
            ModelFiles.verifyZip(cached.toPath(), "DL4J model file");
        } catch (ModelFiles.DamagedFileException e) {
            Files.deleteIfExists(cached.toPath());
            throw new ModelFiles.DamagedFileException(e.file(), e.getMessage() + " It was DL4J's cached copy of the "
                    + "pretrained " + modelName() + " model and has been deleted: call initPretrained again to copy it anew "
                    + "from " + url + " (if the copy is damaged again, so is that source).", e);
        }
    }

    /** The pretrained types this model ships. */
    public List<PretrainedType> availablePretrained() {
        return Arrays.stream(PretrainedType.values()).filter(t -> pretrainedUrl(t) != null).toList();
    }

    @Override
    public ModelMetaData metaData() {
        return new ModelMetaData(new int[][]{inputShape}, 1, ZooType.CNN);
    }

    @Override
    public void setInputShape(int[][] shape) {
        this.inputShape = shape[0];
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    public int numClasses() {
        return numClasses;
    }

    /** Options shared by every ODBB zoo model. */
    @SuppressWarnings("unchecked")
    public abstract static class Builder<M extends OdbbZooModel, B extends Builder<M, B>> {
        protected final M model;

        protected Builder(M model) {
            this.model = model;
        }

        /** Every block gets this preset (default ALL, the search space). */
        public B preset(BlockPreset p) { model.preset = p; model.architecture = null; return (B) this; }
        /** Every block keeps exactly the architecture's branches (a searched or imported one). */
        public B architecture(Architecture a) { model.architecture = a; model.preset = BlockPreset.ALL; return (B) this; }
        public B numClasses(int n) { model.numClasses = n; return (B) this; }
        /** channels, height, width */
        public B inputShape(int c, int h, int w) { model.inputShape = new int[]{c, h, w}; return (B) this; }
        public B seed(long s) { model.seed = s; return (B) this; }
        public B updater(IUpdater u) { model.updater = u; return (B) this; }
        public B dataType(DataType t) { model.dataType = t; return (B) this; }

        public M build() {
            if (model.numClasses < 1) {
                throw new IllegalArgumentException("numClasses must be at least 1, got " + model.numClasses);
            }
            if (model.inputShape.length != 3 || model.inputShape[0] < 1 || model.inputShape[1] < 1 || model.inputShape[2] < 1) {
                throw new IllegalArgumentException("inputShape must be {channels, height, width}");
            }
            return model;
        }
    }
}
