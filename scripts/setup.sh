#!/usr/bin/env bash
# Set up DeskChat on a Debian/Ubuntu machine: the system libraries Qt needs, then a
# virtual environment in .venv with DeskChat installed from this checkout.
#   scripts/setup.sh          the app
#   scripts/setup.sh --test   the app plus everything the test suite needs
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

# Qt's xcb platform and fonts (without fonts every glyph is an empty box); binutils
# for PyInstaller; xvfb and xdotool to look at the real window on a virtual screen.
packages=(fonts-dejavu-core libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  binutils)
# Tests also build llama.cpp's server (a C++ compiler and cmake) and look at the window.
[ -n "$extras" ] && packages+=(xvfb xdotool g++ make cmake)

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "DeskChat needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# A real (non-editable) install: what users get from `pip install .`.
.venv/bin/python -m pip install -q ".$extras"
if [ -n "$extras" ]; then
  # Best effort: where llama.cpp cannot be built, its integration test skips and says why.
  .venv/bin/python -m pip install -q ".[integration]" \
    || echo "warning: llama-cpp-python could not be built; the llama.cpp integration test will skip" >&2
fi
echo "DeskChat is installed in .venv ($(.venv/bin/deskchat --version))."
