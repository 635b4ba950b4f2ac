// Precompiled for the binding sources: torch's pybind11 integration is the heavy part.
#include <torch/extension.h>
