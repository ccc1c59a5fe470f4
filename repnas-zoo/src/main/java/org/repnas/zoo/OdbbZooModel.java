package org.repnas.zoo;

import org.repnas.layers.fusion.NetworkFuser;
import org.apache.commons.io.FileUtils;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
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
import org.repnas.layers.BlockPreset;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.Architecture;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Adler32;
import java.util.zip.Checksum;

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
     * DL4J's zoo mechanism with errors that say what to do: the file is copied from {@link #pretrainedUrl} (a jar
     * resource works offline) into DL4J's zoo cache ({@code DL4JResources.getDirectory(ZOO_MODEL, modelName())}),
     * checked against its Adler32 checksum (a mismatch deletes the copy and fails) and restored with ModelSerializer.
     * The result is the fused, plain DL4J network, its layers on oneDNN ({@link OneDnnLayerHelpers}).
     */
    @Override
    @SuppressWarnings("unchecked")
    public <M extends Model> M initPretrained(PretrainedType type) throws IOException {
        String url = pretrainedUrl(type);
        if (url == null) {
            throw new UnsupportedOperationException(modelName() + " has no pretrained " + type + " weights"
                    + (availablePretrained().isEmpty() ? "." : "; available: " + availablePretrained())
                    + " RepVGG's official weights can be imported with RepVggConverter.");
        }
        File dir = DL4JResources.getDirectory(ResourceType.ZOO_MODEL, modelName());
        File cached = new File(dir, url.substring(url.lastIndexOf('/') + 1));
        if (!cached.exists()) {
            File tmp = File.createTempFile(cached.getName(), ".part", dir);
            try (InputStream in = new URL(url).openStream()) {
                Files.copy(in, tmp.toPath(), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                tmp.delete();
                throw new IOException("Could not copy the pretrained " + modelName() + " model from " + url + ": " + e.getMessage(), e);
            }
            Files.move(tmp.toPath(), cached.toPath(), StandardCopyOption.ATOMIC_MOVE);
        }
        long expected = pretrainedChecksum(type);
        if (expected != 0) {
            Checksum adler = new Adler32();
            FileUtils.checksum(cached, adler);
            if (adler.getValue() != expected) {
                cached.delete();
                throw new IOException("The pretrained " + modelName() + " file " + cached + " failed its Adler32 checksum "
                        + "(expected " + expected + ", got " + adler.getValue() + "): the cached copy was corrupt or "
                        + "replaced. It has been deleted; call initPretrained again to copy it anew from " + url + ".");
            }
        }
        return (M) OneDnnLayerHelpers.attach(ModelSerializer.restoreMultiLayerNetwork(cached));
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
