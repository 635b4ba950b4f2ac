#pragma once
// Where bulwark keeps what it makes or installs outside the repository.

#include <string>

namespace bulwark {

// $BULWARK_CACHE_DIR, else $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark. Holds trained
// reference models (models/) and data installed by scripts/bootstrap.sh (npm/).
std::string cache_dir();

}  // namespace bulwark
