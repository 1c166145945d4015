#!/usr/bin/python3
# Arm NN's TfLite parser with its CpuRef backend (Debian python3-pyarmnn,
# libarmnntfliteparser22, libarmnn-cpuref-backend22): a second reader of our
# .tflite files, written independently of TensorFlow. Same line protocol as
# tflite-child.js:
#   {"id", "model": base64, "inputs": [{"data": [...]}]}
#   -> {"id", "outputs": [{"name", "shape", "data"}]} | {"id", "error"}
# Run with the system python (/usr/bin/python3), where Debian installs pyarmnn.
import base64
import json
import os
import sys
import tempfile

import numpy as np
import pyarmnn as ann

runtime = ann.IRuntime(ann.CreationOptions())
backends = [ann.BackendId("CpuRef")]


def handle(req):
    # The 20.08 Python binding only parses from a file.
    fd, path = tempfile.mkstemp(suffix=".tflite")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64decode(req["model"]))
        parser = ann.ITfLiteParser()
        network = parser.CreateNetworkFromBinaryFile(path)
    finally:
        os.unlink(path)
    optimized, _ = ann.Optimize(
        network, backends, runtime.GetDeviceSpec(), ann.OptimizerOptions()
    )
    net_id, _ = runtime.LoadNetwork(optimized)
    try:
        in_names = parser.GetSubgraphInputTensorNames(0)
        out_names = parser.GetSubgraphOutputTensorNames(0)
        in_bindings = [parser.GetNetworkInputBindingInfo(0, n) for n in in_names]
        out_bindings = [parser.GetNetworkOutputBindingInfo(0, n) for n in out_names]
        if len(req["inputs"]) != len(in_bindings):
            raise ValueError(
                "model has %d inputs, %d given" % (len(in_bindings), len(req["inputs"]))
            )
        arrays = []
        for binding, given in zip(in_bindings, req["inputs"]):
            shape = tuple(binding[1].GetShape()[i] for i in range(binding[1].GetNumDimensions()))
            arrays.append(np.array(given["data"], dtype=np.float32).reshape(shape))
        inputs = ann.make_input_tensors(in_bindings, arrays)
        outputs = ann.make_output_tensors(out_bindings)
        runtime.EnqueueWorkload(net_id, inputs, outputs)
        results = ann.workload_tensors_to_ndarray(outputs)
        return [
            {"name": n, "shape": list(r.shape), "data": r.astype(np.float64).ravel().tolist()}
            for n, r in zip(out_names, results)
        ]
    finally:
        runtime.UnloadNetwork(net_id)


for line in sys.stdin:
    req = None
    try:
        req = json.loads(line)
        reply = {"id": req["id"], "outputs": handle(req)}
    except Exception as err:  # every failure goes back to the test as text
        reply = {"id": req["id"] if req else None, "error": "%s: %s" % (type(err).__name__, err)}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
