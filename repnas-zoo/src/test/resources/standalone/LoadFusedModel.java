import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;

/**
 * Run as a single-file program (java -cp <DL4J only> LoadFusedModel.java model.zip input.npy output.npy) by
 * StandaloneFusedModelTest: loads a fused network with plain DL4J and writes its output.
 */
public class LoadFusedModel {
    public static void main(String[] args) throws Exception {
        try {
            Class.forName("org.repnas.layers.OdbbConvLayer");
            System.out.println("REPNAS_ON_CLASSPATH");
            System.exit(3);
        } catch (ClassNotFoundException expected) {
            System.out.println("no repnas classes on the class path");
        }
        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(new File(args[0]), false);
        INDArray x = Nd4j.createFromNpyFile(new File(args[1]));
        Nd4j.writeAsNumpy(net.output(x, false), new File(args[2]));
        System.out.println("OK " + net.numParams() + " parameters");
    }
}
