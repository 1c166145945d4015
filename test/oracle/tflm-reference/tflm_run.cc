// Runs a .tflite model with TensorFlow Lite Micro's reference kernels on the
// host: the oracle that the project's int8 goldens come from
// (test/fixtures/tflm-goldens, made by make-goldens.ts). Built by build.sh
// against a tflite-micro checkout; not part of the package.
//
// usage: tflm_run MODEL.tflite INPUTS.bin OUTPUTS.bin STEPS
//   INPUTS.bin  the raw bytes of every input tensor, in input order, for each
//               of STEPS invokes (state is kept between invokes)
//   OUTPUTS.bin receives the raw bytes of every output tensor per invoke
// stdout: one line "arena head=<bytes> persistent=<bytes> used=<bytes>".
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tensorflow/lite/micro/micro_log.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/micro/recording_micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

std::vector<unsigned char> ReadFile(const char* path) {
  std::vector<unsigned char> bytes;
  FILE* f = std::fopen(path, "rb");
  if (!f) return bytes;
  unsigned char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

constexpr size_t kArenaSize = 16 * 1024 * 1024;
alignas(16) unsigned char arena[kArenaSize];

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: tflm_run MODEL.tflite INPUTS.bin OUTPUTS.bin STEPS\n");
    return 2;
  }
  std::vector<unsigned char> model_bytes = ReadFile(argv[1]);
  std::vector<unsigned char> inputs = ReadFile(argv[2]);
  const int steps = std::atoi(argv[4]);
  // Copy into 16-byte aligned memory, as TFLM expects of a model in flash.
  unsigned char* model_data = static_cast<unsigned char*>(std::aligned_alloc(16, (model_bytes.size() + 15) / 16 * 16));
  std::copy(model_bytes.begin(), model_bytes.end(), model_data);
  const tflite::Model* model = tflite::GetModel(model_data);

  static tflite::MicroMutableOpResolver<24> resolver;
  resolver.AddAdd();
  resolver.AddAveragePool2D();
  resolver.AddConcatenation();
  resolver.AddConv2D();
  resolver.AddDepthwiseConv2D();
  resolver.AddDequantize();
  resolver.AddFullyConnected();
  resolver.AddLogistic();
  resolver.AddMaxPool2D();
  resolver.AddMean();
  resolver.AddMul();
  resolver.AddPad();
  resolver.AddPadV2();
  resolver.AddQuantize();
  resolver.AddRelu();
  resolver.AddRelu6();
  resolver.AddReshape();
  resolver.AddSoftmax();
  resolver.AddSqueeze();
  resolver.AddSvdf();
  resolver.AddTanh();

  tflite::RecordingMicroInterpreter interpreter(model, resolver, arena, kArenaSize);
  if (interpreter.AllocateTensors() != kTfLiteOk) {
    std::fprintf(stderr, "AllocateTensors failed\n");
    return 1;
  }
  const auto* simple = interpreter.GetMicroAllocator().GetSimpleMemoryAllocator();
  std::printf("arena head=%zu persistent=%zu used=%zu\n", simple->GetNonPersistentUsedBytes(),
              simple->GetPersistentUsedBytes(), interpreter.arena_used_bytes());

  FILE* out = std::fopen(argv[3], "wb");
  size_t offset = 0;
  for (int s = 0; s < steps; s++) {
    for (size_t i = 0; i < interpreter.inputs_size(); i++) {
      TfLiteTensor* t = interpreter.input(i);
      if (offset + t->bytes > inputs.size()) {
        std::fprintf(stderr, "inputs file too short\n");
        return 1;
      }
      std::copy(inputs.begin() + offset, inputs.begin() + offset + t->bytes, t->data.uint8);
      offset += t->bytes;
    }
    if (interpreter.Invoke() != kTfLiteOk) {
      std::fprintf(stderr, "Invoke failed\n");
      return 1;
    }
    for (size_t i = 0; i < interpreter.outputs_size(); i++) {
      TfLiteTensor* t = interpreter.output(i);
      std::fwrite(t->data.uint8, 1, t->bytes, out);
    }
  }
  std::fclose(out);
  return 0;
}
