#include "model/onnx_writer.h"

#include <cstring>

namespace imgfeat::model {
namespace {

// Field numbers from onnx.proto (stable across ONNX releases).
namespace field {
constexpr int kModelIrVersion = 1, kModelProducer = 2, kModelGraph = 7, kModelOpset = 8;
constexpr int kOpsetVersion = 2;
constexpr int kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphInput = 11,
              kGraphOutput = 12;
constexpr int kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5;
constexpr int kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrInts = 8, kAttrType = 20;
constexpr int kTensorDims = 1, kTensorDataType = 2, kTensorName = 8, kTensorRawData = 9;
constexpr int kValueName = 1, kValueType = 2;
constexpr int kTypeTensor = 1, kTensorTypeElem = 1, kTensorTypeShape = 2;
constexpr int kShapeDim = 1, kDimValue = 1, kDimParam = 2;
}  // namespace field

constexpr int64_t kFloatType = 1;  // TensorProto.DataType.FLOAT
constexpr int64_t kAttrTypeFloat = 1, kAttrTypeInt = 2, kAttrTypeInts = 7;

enum WireType { kVarint = 0, kFixed32 = 5, kLengthDelimited = 2 };

// Appends protobuf fields to a byte string; nested messages are built in
// their own Writer and added whole (their length must precede them).
class Writer {
 public:
  void Varint(int number, uint64_t value) {
    Tag(number, kVarint);
    Raw(value);
  }
  void Fixed32Float(int number, float value) {
    Tag(number, kFixed32);
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void Bytes(int number, const void* data, size_t size) {
    Tag(number, kLengthDelimited);
    Raw(size);
    out_.append(static_cast<const char*>(data), size);
  }
  void String(int number, const std::string& text) { Bytes(number, text.data(), text.size()); }
  void Message(int number, const Writer& inner) { String(number, inner.out_); }
  void PackedVarints(int number, const std::vector<int64_t>& values) {
    Writer packed;
    for (int64_t v : values) packed.Raw(static_cast<uint64_t>(v));
    String(number, packed.out_);
  }
  const std::string& bytes() const { return out_; }

 private:
  void Tag(int number, WireType type) { Raw((static_cast<uint64_t>(number) << 3) | type); }
  void Raw(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  std::string out_;
};

Writer Attribute(const OnnxAttribute& attr) {
  Writer w;
  w.String(field::kAttrName, attr.name);
  switch (attr.kind) {
    case OnnxAttribute::Kind::kFloat:
      w.Fixed32Float(field::kAttrF, attr.f);
      w.Varint(field::kAttrType, kAttrTypeFloat);
      break;
    case OnnxAttribute::Kind::kInt:
      w.Varint(field::kAttrI, static_cast<uint64_t>(attr.i));
      w.Varint(field::kAttrType, kAttrTypeInt);
      break;
    case OnnxAttribute::Kind::kInts:
      // AttributeProto.ints is declared without [packed]; parsers accept
      // both encodings, and unpacked is what onnx itself writes.
      for (int64_t v : attr.ints) w.Varint(field::kAttrInts, static_cast<uint64_t>(v));
      w.Varint(field::kAttrType, kAttrTypeInts);
      break;
  }
  return w;
}

Writer Node(const OnnxNode& node) {
  Writer w;
  for (const std::string& in : node.inputs) w.String(field::kNodeInput, in);
  for (const std::string& out : node.outputs) w.String(field::kNodeOutput, out);
  w.String(field::kNodeName, node.name);
  w.String(field::kNodeOpType, node.op_type);
  for (const OnnxAttribute& attr : node.attributes)
    w.Message(field::kNodeAttribute, Attribute(attr));
  return w;
}

Writer Tensor(const OnnxTensor& tensor) {
  Writer w;
  w.PackedVarints(field::kTensorDims, tensor.dims);
  w.Varint(field::kTensorDataType, kFloatType);
  w.String(field::kTensorName, tensor.name);
  // raw_data is little-endian, as floats are in memory on the targets imgfeat builds for.
  w.Bytes(field::kTensorRawData, tensor.data.data(), tensor.data.size() * sizeof(float));
  return w;
}

Writer Value(const OnnxValue& value) {
  Writer shape;
  for (int64_t d : value.dims) {
    Writer dim;
    if (d < 0) {
      dim.String(field::kDimParam, "N");
    } else {
      dim.Varint(field::kDimValue, static_cast<uint64_t>(d));
    }
    shape.Message(field::kShapeDim, dim);
  }
  Writer tensor_type;
  tensor_type.Varint(field::kTensorTypeElem, kFloatType);
  tensor_type.Message(field::kTensorTypeShape, shape);
  Writer type;
  type.Message(field::kTypeTensor, tensor_type);
  Writer w;
  w.String(field::kValueName, value.name);
  w.Message(field::kValueType, type);
  return w;
}

}  // namespace

OnnxAttribute OnnxAttribute::Int(std::string name, int64_t value) {
  OnnxAttribute attr;
  attr.name = std::move(name);
  attr.kind = Kind::kInt;
  attr.i = value;
  return attr;
}

OnnxAttribute OnnxAttribute::Float(std::string name, float value) {
  OnnxAttribute attr;
  attr.name = std::move(name);
  attr.kind = Kind::kFloat;
  attr.f = value;
  return attr;
}

OnnxAttribute OnnxAttribute::Ints(std::string name, std::vector<int64_t> values) {
  OnnxAttribute attr;
  attr.name = std::move(name);
  attr.kind = Kind::kInts;
  attr.ints = std::move(values);
  return attr;
}

std::string SerializeOnnxModel(const OnnxGraph& graph, int64_t opset) {
  Writer g;
  for (const OnnxNode& node : graph.nodes) g.Message(field::kGraphNode, Node(node));
  g.String(field::kGraphName, graph.name);
  for (const OnnxTensor& t : graph.initializers) g.Message(field::kGraphInitializer, Tensor(t));
  for (const OnnxValue& v : graph.inputs) g.Message(field::kGraphInput, Value(v));
  for (const OnnxValue& v : graph.outputs) g.Message(field::kGraphOutput, Value(v));

  Writer opset_id;
  opset_id.Varint(field::kOpsetVersion, static_cast<uint64_t>(opset));
  Writer model;
  model.Varint(field::kModelIrVersion, 5);
  model.String(field::kModelProducer, "imgfeat");
  model.Message(field::kModelGraph, g);
  model.Message(field::kModelOpset, opset_id);
  return model.bytes();
}

}  // namespace imgfeat::model
