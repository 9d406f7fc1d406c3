// The one description of a run's options (imgfeat/run_options.h) and of a
// report's (imgfeat/report_options.h) as Python sees them: keyword arguments
// checked by the same code as the CLI's flags, and the tables themselves for
// the shells written in Python (spark_job's flags, the docs' option table, the
// tests that hold every shell to them).
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "binding_util.h"
#include "imgfeat/report_options.h"

namespace imgfeat::python {
namespace {

const char* TypeName(OptionType type) {
  switch (type) {
    case OptionType::kSwitch:
      return "switch";
    case OptionType::kInt:
      return "int";
    case OptionType::kFloat:
      return "float";
    case OptionType::kText:
      return "text";
    case OptionType::kChoice:
      return "choice";
  }
  return "?";
}

nb::object ToPython(const OptionValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return nb::str("auto");
  if (const bool* b = std::get_if<bool>(&v)) return nb::bool_(*b);
  if (const int64_t* i = std::get_if<int64_t>(&v)) return nb::int_(*i);
  if (const double* d = std::get_if<double>(&v)) return nb::float_(*d);
  return nb::str(std::get<std::string>(v).c_str());
}

std::string PythonTypeName(nb::handle value) {
  return nb::cast<std::string>(nb::str(value.type().attr("__name__")));
}

// A Python value as the description's value; None is the option's default.
OptionValue FromPython(const OptionSpec& spec, const OptionValue& default_value, nb::handle value) {
  if (value.is_none()) return default_value;
  PyObject* p = value.ptr();
  if (PyBool_Check(p)) return static_cast<bool>(p == Py_True);
  if (PyLong_Check(p)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow != 0) {
      throw nb::value_error((spec.python_name() + " must be " + spec.accepted_text() + ", not " +
                             nb::cast<std::string>(nb::str(value)))
                                .c_str());
    }
    return static_cast<int64_t>(v);
  }
  if (PyFloat_Check(p)) return PyFloat_AsDouble(p);
  if (nb::isinstance<nb::str>(value)) {
    std::string text = nb::cast<std::string>(value);
    if (spec.accepts_auto && text == "auto") return std::monostate{};
    return text;
  }
  throw nb::type_error(
      (spec.python_name() + " must be " + spec.accepted_text() + ", not " + PythonTypeName(value))
          .c_str());
}

unsigned ShellOf(const std::string& name) {
  if (name == "cli") return kShellCli;
  if (name == "python") return kShellPython;
  if (name == "spark") return kShellSpark;
  if (name == "featurizer") return kShellFeaturizer;
  throw nb::value_error(("unknown shell '" + name + "'").c_str());
}

// What every table's entry says, as a dict.
nb::dict SpecDict(const OptionSpec& spec, const std::string& cli_flag,
                  const OptionValue& default_value, const std::string& default_text) {
  nb::dict d;
  d["name"] = spec.name;
  d["python_name"] = spec.python_name();
  d["cli_flag"] = cli_flag;
  d["group"] = spec.group;
  d["type"] = TypeName(spec.type);
  d["metavar"] = spec.metavar;
  d["choices"] = spec.choices;
  d["accepts_auto"] = spec.accepts_auto;
  d["default"] = ToPython(default_value);
  d["default_text"] = default_text;
  d["accepted"] = spec.accepted_text();
  d["help"] = spec.help;
  return d;
}

nb::list Specs() {
  nb::list out;
  for (const auto& spec : RunOptionSpecs()) {
    nb::dict d = SpecDict(spec, spec.cli_flag(), spec.get(RunOptions{}), spec.default_text());
    nb::list shells;
    for (const char* name : {"cli", "python", "spark", "featurizer"}) {
      if (spec.shells & ShellOf(name)) shells.append(name);
    }
    d["shells"] = shells;
    out.append(d);
  }
  return out;
}

// A report's options: `imgfeat report` (cli) and imgfeat.report (python) take each.
nb::list ReportSpecs() {
  nb::list out;
  for (const auto& spec : ReportOptionSpecs()) {
    nb::dict d = SpecDict(spec, spec.cli_flag(), spec.get(ReportOptions{}), spec.default_text());
    nb::list shells;
    shells.append("cli");
    shells.append("python");
    d["shells"] = shells;
    out.append(d);
  }
  return out;
}

// A failed check as Python's exception; a wrong kind (TypeError) names the
// value's type.
void ThrowOptionError(const Status& status, nb::handle value) {
  if (status.IsTypeError()) {
    throw nb::type_error((status.message() + ", not " + PythonTypeName(value)).c_str());
  }
  ThrowIfError(status);
}

nb::dict ParseArgs(const std::vector<std::string>& args, const std::string& shell) {
  const unsigned s = ShellOf(shell);
  return OptionsToDict(ValueOrThrow(ParseRunArgs(args, s)), s);
}

nb::dict CheckOptions(const std::string& input, const std::string& output, nb::dict kwargs,
                      const std::string& shell) {
  const unsigned s = ShellOf(shell);
  return OptionsToDict(OptionsFrom(input, output, kwargs, s), s);
}

}  // namespace

RunOptions OptionsFrom(const std::string& input, const std::string& output, nb::dict kwargs,
                       unsigned shell) {
  RunOptions options;
  options.input = input;
  options.output = output;
  for (auto [key, value] : kwargs) {
    const std::string name = nb::cast<std::string>(key);
    const RunOptionSpec* spec = FindRunOption(name);
    if (spec == nullptr || !(spec->shells & shell) || spec->python_name() != name) {
      throw nb::type_error(("unknown option '" + name + "'").c_str());
    }
    ThrowOptionError(
        SetRunOption(&options, *spec, FromPython(*spec, spec->get(RunOptions{}), value), name),
        value);
  }
  if (shell != kShellFeaturizer) ThrowIfError(ValidateRunOptions(options, shell));
  return options;
}

ReportOptions ReportOptionsFrom(const std::string& output, nb::dict kwargs) {
  ReportOptions options;
  options.output = output;
  for (auto [key, value] : kwargs) {
    const std::string name = nb::cast<std::string>(key);
    const ReportOptionSpec* spec = FindReportOption(name);
    if (spec == nullptr || spec->python_name() != name) {
      throw nb::type_error(("unknown option '" + name + "'").c_str());
    }
    ThrowOptionError(SetReportOption(&options, *spec,
                                     FromPython(*spec, spec->get(ReportOptions{}), value), name),
                     value);
  }
  return options;
}

nb::dict OptionsToDict(const RunOptions& options, unsigned shell) {
  nb::dict out;
  out["input"] = options.input;
  out["output"] = options.output;
  for (const auto& spec : RunOptionSpecs()) {
    if (spec.shells & shell) out[spec.python_name().c_str()] = ToPython(spec.get(options));
  }
  return out;
}

void BindOptions(nb::module_& m) {
  m.def("run_option_specs", &Specs);
  m.def("report_option_specs", &ReportSpecs);
  m.def("parse_run_args", &ParseArgs, nb::arg("args"), nb::arg("shell"));
  m.def("check_run_options", &CheckOptions, nb::arg("input"), nb::arg("output"), nb::arg("options"),
        nb::arg("shell"));
}

}  // namespace imgfeat::python
