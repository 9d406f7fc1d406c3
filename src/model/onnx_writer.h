// A small ONNX writer: the few protobuf messages a feed-forward float graph
// needs (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto), encoded by hand in protobuf's wire format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imgfeat::model {

struct OnnxAttribute {
  enum class Kind { kInt, kFloat, kInts };
  std::string name;
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;

  static OnnxAttribute Int(std::string name, int64_t value);
  static OnnxAttribute Float(std::string name, float value);
  static OnnxAttribute Ints(std::string name, std::vector<int64_t> values);
};

struct OnnxNode {
  std::string op_type;
  std::string name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<OnnxAttribute> attributes;
};

// A float32 constant (an initializer).
struct OnnxTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
};

// A graph input or output: float32 with these dims; a dim < 0 is the
// symbolic batch size "N".
struct OnnxValue {
  std::string name;
  std::vector<int64_t> dims;
};

struct OnnxGraph {
  std::string name;
  std::vector<OnnxNode> nodes;  // in topological order
  std::vector<OnnxTensor> initializers;
  std::vector<OnnxValue> inputs;
  std::vector<OnnxValue> outputs;
};

// The serialized ModelProto (IR version 5, default domain at `opset`).
std::string SerializeOnnxModel(const OnnxGraph& graph, int64_t opset);

}  // namespace imgfeat::model
