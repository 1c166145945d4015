// TFLM arena and output oracle, run by hand (README.md): loads each .tflite in
// tflite-micro's RecordingMicroInterpreter with reference kernels, prints the
// arena it uses, and when <file>.in holds float32 inputs, runs it and writes
// the outputs to <file>.out.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/recording_micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"

alignas(16) static uint8_t arena[8 << 20];

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    FILE* f = fopen(argv[i], "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t* data = static_cast<uint8_t*>(aligned_alloc(16, (n + 15) / 16 * 16));
    fread(data, 1, n, f);
    fclose(f);
    const tflite::Model* model = tflite::GetModel(data);
    static tflite::MicroMutableOpResolver<24> r;
    static bool init = false;
    if (!init) {
      init = true;
      r.AddFullyConnected(); r.AddConv2D(); r.AddDepthwiseConv2D(); r.AddAveragePool2D();
      r.AddMaxPool2D(); r.AddReshape(); r.AddSoftmax(); r.AddAdd(); r.AddMul(); r.AddPad();
      r.AddConcatenation(); r.AddLogistic(); r.AddTanh(); r.AddRelu(); r.AddRelu6();
      r.AddLeakyRelu(); r.AddMaximum(); r.AddMinimum(); r.AddSvdf(); r.AddQuantize();
      r.AddDequantize(); r.AddMean();
    }
    tflite::RecordingMicroInterpreter interp(model, r, arena, sizeof(arena));
    if (interp.AllocateTensors() != kTfLiteOk) {
      printf("%s ALLOCATE_FAILED\n", argv[i]);
      continue;
    }
    const auto* a = interp.GetMicroAllocator().GetSimpleMemoryAllocator();
    printf("%s used=%zu nonpersistent=%zu persistent=%zu\n", argv[i], interp.arena_used_bytes(),
           a->GetNonPersistentUsedBytes(), a->GetPersistentUsedBytes());
    fflush(stdout);
    // Optional float32 inputs in <file>.in (all inputs, concatenated): run and write <file>.out.
    std::string in = std::string(argv[i]) + ".in";
    FILE* fi = fopen(in.c_str(), "rb");
    if (!fi) continue;
    for (size_t k = 0; k < interp.inputs_size(); k++) {
      TfLiteTensor* t = interp.input(k);
      fread(t->data.raw, 1, t->bytes, fi);
    }
    fclose(fi);
    if (interp.Invoke() != kTfLiteOk) { printf("%s INVOKE_FAILED\n", argv[i]); continue; }
    FILE* fo = fopen((std::string(argv[i]) + ".out").c_str(), "wb");
    for (size_t k = 0; k < interp.outputs_size(); k++) {
      TfLiteTensor* t = interp.output(k);
      fwrite(t->data.raw, 1, t->bytes, fo);
    }
    fclose(fo);
  }
  return 0;
}
