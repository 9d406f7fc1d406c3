// The checks every option's value goes through, whatever the table (a run's,
// a report's) and whatever the shell (imgfeat/option_spec.h).
#include "imgfeat/option_spec.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace imgfeat {
namespace {

std::string NumberText(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::string IntText(double v) { return std::to_string(static_cast<long long>(v)); }

bool InRange(const OptionSpec& spec, double v) {
  if (std::isnan(v)) return false;
  if (spec.min_exclusive ? !(v > spec.min) : !(v >= spec.min)) return false;
  if (spec.max_exclusive ? !(v < spec.max) : !(v <= spec.max)) return false;
  return true;
}

Status OutOfRange(const OptionSpec& spec, std::string_view shown, std::string_view given) {
  return Status::Invalid(shown, " must be ", spec.accepted_text(), ", not ", given);
}

}  // namespace

std::string OptionSpec::python_name() const {
  std::string out = name;
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

std::string OptionSpec::accepted_text() const {
  std::string out = accepts_auto ? "auto or " : "";
  switch (type) {
    case OptionType::kSwitch:
      return "true or false";
    case OptionType::kText:
      return "a text";
    case OptionType::kChoice: {
      for (size_t i = 0; i < choices.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
      }
      return out;
    }
    case OptionType::kInt:
      return out + "an integer from " + IntText(min) + " to " + IntText(max);
    case OptionType::kFloat:
      return out + "a number in " + (min_exclusive ? "(" : "[") + NumberText(min) + ", " +
             NumberText(max) + (max_exclusive ? ")" : "]");
  }
  return out;
}

Result<OptionValue> CheckOptionValue(const OptionSpec& spec, const OptionValue& value,
                                     std::string_view shown) {
  auto wrong_kind = [&](std::string_view what) {
    return Status::TypeError(shown, " must be ", what);
  };
  if (std::holds_alternative<std::monostate>(value)) {
    if (!spec.accepts_auto) return wrong_kind(spec.accepted_text());
    return value;
  }
  switch (spec.type) {
    case OptionType::kSwitch:
      if (!std::holds_alternative<bool>(value)) return wrong_kind("a bool");
      return value;
    case OptionType::kText:
      if (!std::holds_alternative<std::string>(value)) return wrong_kind("a str");
      if (std::get<std::string>(value).find('\0') != std::string::npos) {
        return Status::Invalid(shown, " must not hold a NUL character");
      }
      return value;
    case OptionType::kChoice: {
      const std::string* text = std::get_if<std::string>(&value);
      if (text == nullptr) return wrong_kind(spec.accepted_text());
      for (const auto& c : spec.choices) {
        if (c == *text) return value;
      }
      std::string quoted(1, '\'');
      quoted.append(*text);
      quoted.push_back('\'');
      return OutOfRange(spec, shown, quoted);
    }
    case OptionType::kInt: {
      const int64_t* i = std::get_if<int64_t>(&value);
      if (i == nullptr) return wrong_kind(spec.accepted_text());
      if (!InRange(spec, static_cast<double>(*i))) {
        return OutOfRange(spec, shown, std::to_string(*i));
      }
      return value;
    }
    case OptionType::kFloat: {
      double d;
      if (const int64_t* i = std::get_if<int64_t>(&value)) {
        d = static_cast<double>(*i);
      } else if (const double* p = std::get_if<double>(&value)) {
        d = *p;
      } else {
        return wrong_kind(spec.accepted_text());
      }
      if (!InRange(spec, d)) return OutOfRange(spec, shown, NumberText(d));
      return OptionValue(d);
    }
  }
  return Status::Invalid("unknown option type");
}

Result<OptionValue> ParseOptionText(const OptionSpec& spec, std::string_view text,
                                    std::string_view shown) {
  if (spec.accepts_auto && text == "auto") return OptionValue(std::monostate{});
  // Built piecewise: GCC 12 warns falsely (-Wrestrict) on the chained operator+.
  std::string quoted(1, '\'');
  quoted.append(text);
  quoted.push_back('\'');
  switch (spec.type) {
    case OptionType::kSwitch:
      if (text == "true") return OptionValue(true);
      if (text == "false") return OptionValue(false);
      return OutOfRange(spec, shown, quoted);
    case OptionType::kText:
    case OptionType::kChoice:
      return OptionValue(std::string(text));
    case OptionType::kInt: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return OutOfRange(spec, shown, quoted);
      }
      return OptionValue(v);
    }
    case OptionType::kFloat: {
      const std::string s(text);
      char* end = nullptr;
      const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() ||
          std::isspace(static_cast<unsigned char>(s[0]))) {
        return OutOfRange(spec, shown, quoted);
      }
      return OptionValue(v);
    }
  }
  return Status::Invalid("unknown option type");
}

std::string OptionValueText(const OptionValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return "auto";
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "on" : "off";
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return NumberText(*d);
  return std::get<std::string>(v);
}

std::string OptionHelpEntry(std::string left, const std::string& text) {
  std::ostringstream out;
  constexpr size_t kColumn = 26, kWidth = 80;
  if (left.size() + 1 > kColumn) {
    out << left << "\n";
    left.clear();
  }
  left.resize(kColumn, ' ');
  std::istringstream words(text);
  std::string word, line = left;
  bool first = true;
  while (words >> word) {
    if (!first && line.size() + 1 + word.size() > kWidth) {
      out << line << "\n";
      line = std::string(kColumn, ' ');
      first = true;
    }
    line += (first ? "" : " ") + word;
    first = false;
  }
  out << line << "\n";
  return out.str();
}

}  // namespace imgfeat
