package org.repnas.layers;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.layers.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.List;

/**
 * The ODBBs of a network in a fixed order (layer order, or a ComputationGraph's topological order), including those
 * wrapped in DL4J's {@code FrozenLayer} / {@code FrozenLayerWithBackprop}.
 */
public final class OdbbBlocks {
    private OdbbBlocks() {
    }

    /** A block with a name that identifies it in architecture files: the layer name, else its index. */
    public record Block(String name, OdbbConvLayerImpl layer) {
        public OdbbConvLayer conf() {
            return layer.odbbConf();
        }
    }

    public static List<Block> find(Model model) {
        List<Block> out = new ArrayList<>();
        if (model instanceof MultiLayerNetwork net) {
            Layer[] layers = net.getLayers();
            for (int i = 0; i < layers.length; i++) {
                OdbbConvLayerImpl b = odbbOf(layers[i]);
                if (b != null) {
                    String n = b.odbbConf().getLayerName();
                    out.add(new Block(n == null ? "layer" + i : n, b));
                }
            }
        } else if (model instanceof ComputationGraph cg) {
            GraphVertex[] vertices = cg.getVertices();
            for (int idx : cg.topologicalSortOrder()) {
                GraphVertex v = vertices[idx];
                OdbbConvLayerImpl b = v.hasLayer() ? odbbOf(v.getLayer()) : null;
                if (b != null) {
                    out.add(new Block(v.getVertexName(), b));
                }
            }
        } else {
            throw new IllegalArgumentException("Expected a MultiLayerNetwork or ComputationGraph, got "
                    + (model == null ? "null" : model.getClass().getName()));
        }
        return out;
    }

    /** The ODBB a layer is, or holds inside DL4J's frozen-layer wrappers (transfer learning); null if none. */
    public static OdbbConvLayerImpl odbbOf(Layer layer) {
        if (layer instanceof FrozenLayer f) return odbbOf(f.getInsideLayer());
        if (layer instanceof FrozenLayerWithBackprop f) return odbbOf(f.getInsideLayer());
        return layer instanceof OdbbConvLayerImpl b ? b : null;
    }

    /** As {@link #find}, failing with a clear message when the network has no ODBB. */
    public static List<Block> require(Model model) {
        List<Block> blocks = find(model);
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("The network has no OdbbConvLayer: nothing to search or fuse. Build it with "
                    + "OdbbConvLayer blocks (e.g. a RepNAS zoo model with BlockPreset.ALL).");
        }
        return blocks;
    }
}
