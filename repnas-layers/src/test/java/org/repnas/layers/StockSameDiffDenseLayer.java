package org.repnas.layers;

import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * The smallest layer that goes through DL4J's stock SameDiff layer backprop (external-errors function): a control
 * showing that the gradient check used for OdbbConvLayer catches M2.1's doubled gradients.
 */
public class StockSameDiffDenseLayer extends SameDiffLayer {
    private long nIn;
    private long nOut;

    protected StockSameDiffDenseLayer() {
    }

    StockSameDiffDenseLayer(long nIn, long nOut) {
        this.nIn = nIn;
        this.nOut = nOut;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        return sd.math().tanh(input.mmul(params.get("W")).add(params.get("b")));
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam("W", nIn, nOut);
        params.addBiasParam("b", 1, nOut);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        params.get("W").assign(org.nd4j.linalg.factory.Nd4j.randn(params.get("W").dataType(), nIn, nOut).muli(0.5));
        params.get("b").assign(0.1);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(nOut);
    }

    public long getNIn() { return nIn; }
    public void setNIn(long nIn) { this.nIn = nIn; }
    public long getNOut() { return nOut; }
    public void setNOut(long nOut) { this.nOut = nOut; }
}
