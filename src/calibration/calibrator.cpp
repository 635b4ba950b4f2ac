#include <bulwark/calibration/calibrator.h>

#include <cmath>
#include <functional>
#include <map>

#include <bulwark/calibration/binary_calibrators.h>
#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/linear_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>

namespace bulwark::calibration {

namespace {
constexpr const char* kFormat = "bulwark.calibrator";

// Every kind a file may hold, default-constructed before read() fills it in.
const std::map<std::string, std::function<std::unique_ptr<Calibrator>()>>& registry() {
  static const std::map<std::string, std::function<std::unique_ptr<Calibrator>()>> kinds = {
      {"TemperatureScaling", [] { return std::make_unique<TemperatureScaling>(); }},
      {"VectorScaling", [] { return std::make_unique<VectorScaling>(); }},
      {"MatrixScaling", [] { return std::make_unique<MatrixScaling>(); }},
      {"DirichletCalibration", [] { return std::make_unique<DirichletCalibration>(); }},
      {"HistogramBinning", [] { return std::make_unique<HistogramBinning>(); }},
      {"IsotonicCalibration", [] { return std::make_unique<IsotonicCalibration>(); }},
      {"PlattScaling", [] { return std::make_unique<PlattScaling>(); }},
      {"BetaCalibration", [] { return std::make_unique<BetaCalibration>(); }},
  };
  return kinds;
}
}  // namespace

void Calibrator::save(const std::string& path) const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), kind(), ".save: call fit() first");
  json::Object o;
  write_header(o, kFormat, kind());
  o.set("num_classes", static_cast<double>(k_));
  write(o);
  o.write_file(path);
}

std::unique_ptr<Calibrator> load_calibrator(const std::string& path) {
  const json::Object o = json::Object::read_file(path);
  const std::string kind = read_header(o, path, kFormat);
  const auto it = registry().find(kind);
  if (it == registry().end()) throw FormatError(detail::str(path, ": unknown calibrator kind '", kind, "'"));
  const double k = o.number("num_classes");
  BULWARK_CHECK_AS(FormatError, std::isfinite(k) && k >= 2 && k == std::floor(k), path,
                   ": num_classes must be an integer >= 2, got ", k);
  std::unique_ptr<Calibrator> c = it->second();
  c->k_ = static_cast<int64_t>(k);
  c->read(o, path);
  return c;
}

}  // namespace bulwark::calibration
