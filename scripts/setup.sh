#!/usr/bin/env bash
# Set up DeskChat on a Debian/Ubuntu machine: the system libraries Qt needs, then a
# virtual environment in .venv with DeskChat installed from this checkout, the way users
# get it (a real, non-editable `pip install .`).
#   scripts/setup.sh                the app, with the built-in engine (llama-cpp-python) if it builds
#   scripts/setup.sh --test         plus what the test suite and scripts/check need
#   scripts/setup.sh --if-changed   (with or without --test) nothing to do when .venv already
#                                   holds this checkout; scripts/run and scripts/test pass it
# The stamp .venv/.deskchat-setup records a hash of what the install is made from (pyproject.toml,
# the package folders, this script, the Python version) and the extras installed with it.
set -euo pipefail
cd "$(dirname "$0")/.."

test_mode=""
if_changed=""
for arg in "$@"; do
  case $arg in
    --test) test_mode=1 ;;
    --if-changed) if_changed=1 ;;
    *) echo "usage: scripts/setup.sh [--test] [--if-changed]" >&2; exit 2 ;;
  esac
done
# Needed: the install fails without them. Wanted: llama-cpp-python, compiled from source;
# without it DeskChat still works, only the built-in engine (and its tests) are off.
needed=""
wanted="local"
if [ -n "$test_mode" ]; then
  needed="test"
  wanted="test,local,integration"
fi

stamp=.venv/.deskchat-setup
# What the installed copy is made from. Every file in the package folders, tracked or not,
# because `pip install .` copies them all.
sources=(pyproject.toml scripts/setup.sh app chat cli gui library provider resources store)
fingerprint() {
  local present=() path
  for path in "${sources[@]}"; do [ -e "$path" ] && present+=("$path"); done
  {
    .venv/bin/python -I -S -c 'import sys; print(sys.version)'
    LC_ALL=C find "${present[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.py[co]' -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}
# An editable install (pip install -e) is a developer's; setting up puts the real one back.
real_install() {
  ! grep -qs '"editable": *true' .venv/lib/python3*/site-packages/deskchat-*.dist-info/direct_url.json
}
stamp_extras=""
if [ -f "$stamp" ] && [ -x .venv/bin/python ]; then
  stamp_extras=$(sed -n 's/^extras: //p' "$stamp")
fi
# Extras already installed stay installed: the union of the stamp's and this run's.
merge_extras() {
  printf '%s\n' "$@" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -
}
if [ -n "$if_changed" ] && [ -f "$stamp" ] && [ -x .venv/bin/deskchat ] && real_install; then
  if [ "$(merge_extras "$stamp_extras" "$wanted")" = "$(merge_extras "$stamp_extras")" ] \
    && [ "$(head -n1 "$stamp")" = "$(fingerprint)" ]; then
    exit 0
  fi
fi
wanted=$(merge_extras "$stamp_extras" "$wanted")
needed=$(merge_extras "$needed" "$(echo "$stamp_extras" | tr ',' '\n' | grep -vx -e local -e integration || true)")

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "DeskChat needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

# setuptools builds the wheel in build/ and packs whatever build/lib holds: files left there by
# an older layout (top-level gui/, provider/...) would be installed again beside deskchat/.
rm -rf build/lib build/bdist.*

# Offline: pip's build isolation downloads setuptools, so `pip install .` cannot work. Say
# so, refresh DeskChat itself from the setuptools already in .venv, and keep what is there.
index=${PIP_INDEX_URL:-https://pypi.org/simple}
if ! "$PYTHON" - "$index" <<'EOF' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1].rstrip("/") + "/pip/", method="HEAD"), timeout=10)
EOF
  if [ ! -x .venv/bin/deskchat ]; then
    echo "Cannot reach the package index ($index): DeskChat cannot be installed offline." >&2
    exit 1
  fi
  if .venv/bin/python -m pip install -q --no-deps --no-build-isolation --no-index . >/dev/null 2>&1; then
    echo "Cannot reach the package index ($index): updated DeskChat from this checkout, its dependencies unchanged." >&2
  else
    echo "Cannot reach the package index ($index): using the DeskChat already in .venv, which may be older than this checkout." >&2
    [ -z "$test_mode" ] || exit 1  # testing an older copy would report on code that is not here
  fi
  exit 0
fi

# Qt's xcb platform and fonts (without fonts every glyph is an empty box); binutils for
# PyInstaller; libgomp1 for llama.cpp's threads.
packages=(fonts-dejavu-core libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  binutils libgomp1)
# Tests look at the real window on a virtual screen.
[ -n "$test_mode" ] && packages+=(xvfb xdotool)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

# PyInstaller (tests/test_frozen.py, the README's build) bundles Python's shared library;
# Debian ships it apart from python3 (libpython3.11), and a minimal machine lacks it.
libpython=$("$PYTHON" - <<'EOF'
import os, subprocess, sys, sysconfig
v = sysconfig.get_config_var
names = {n for n in (v("INSTSONAME"), v("LDLIBRARY")) if n and ".so" in n}
libdir = v("LIBDIR") or ""
dirs = {libdir, os.path.join(libdir, v("MULTIARCH") or ""), os.path.join(sys.base_prefix, "lib")}
found = any(os.path.exists(os.path.join(d, n)) for d in dirs for n in names)
if not found:
    for ldconfig in ("ldconfig", "/sbin/ldconfig"):
        try:
            cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True).stdout
        except OSError:
            continue
        found = any(f"{n} (" in cache for n in names)
        break
if found:
    print("present")
elif sys.base_prefix == "/usr":  # the distribution's Python: its package has the library
    print(f"libpython{sys.version_info.major}.{sys.version_info.minor}")
else:
    print("absent")
EOF
)
case $libpython in
  present) ;;
  absent)
    if [ -n "$test_mode" ]; then
      echo "warning: $PYTHON has no shared library (libpython), so PyInstaller cannot build DeskChat and tests/test_frozen.py fails; use a Python built with --enable-shared." >&2
    fi
    ;;
  *) packages+=("$libpython") ;;
esac

# llama-cpp-python has no Linux wheel on PyPI: pip compiles it unless .venv has it or pip
# kept the wheel from an earlier build.
llama=$(sed -n 's/.*"llama-cpp-python\(\[[a-z,]*\]\)\{0,1\}==\([0-9.]*\)".*/\2/p' pyproject.toml | head -n1)
pip_cache=${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}
llama_build=1
[ -n "${PIP_NO_CACHE_DIR:-}" ] && pip_cache=/nonexistent
if compgen -G ".venv/lib/python3*/site-packages/llama_cpp_python-$llama.dist-info" >/dev/null \
  || [ -n "$(find "$pip_cache/wheels" -name "llama_cpp_python-$llama-*.whl" -print -quit 2>/dev/null)" ]; then
  llama_build=""
fi
[ -n "$llama_build" ] && packages+=(g++ make cmake)

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

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
# setuptools and wheel in .venv let an offline set-up still refresh DeskChat (see above).
.venv/bin/python -m pip install -q --upgrade pip "setuptools>=77" wheel

with() { [ -n "$1" ] && echo ".[$1]" || echo "."; }
# A portable llama.cpp (no -march=native), unless the user asked for something else.
export CMAKE_ARGS=${CMAKE_ARGS:--DGGML_NATIVE=OFF}
if [ -n "$llama_build" ]; then
  echo "Installing DeskChat $(with "$wanted") into .venv; pip compiles llama-cpp-python $llama" \
    "(the built-in engine) from source: about 7 minutes on 2 cores, once (pip keeps the wheel)."
else
  echo "Installing DeskChat $(with "$wanted") into .venv (about a minute)."
fi
log=.venv/setup-llama.log
if ! .venv/bin/python -m pip install -q "$(with "$wanted")" >"$log" 2>&1; then
  # Most likely llama-cpp-python did not build; the log says. Without it the rest works.
  .venv/bin/python -m pip install -q "$(with "$needed")"
  echo "warning: llama-cpp-python could not be built (pip's output: $log), so DeskChat runs without its built-in engine; scripts/setup.sh tries again." >&2
fi
{ fingerprint; echo "extras: $wanted"; } >"$stamp"
echo "DeskChat is installed in .venv ($(.venv/bin/deskchat --version))."
