#!/usr/bin/env bash
# Installs everything rewind needs to build, test and demo, and nothing that
# is already there: the wasm32 target, wasm-bindgen-cli (the exact version
# Cargo.toml pins), wasm-pack, Chromium + ChromeDriver, Firefox ESR +
# geckodriver, WebKitGTK's WebKitWebDriver (with its MiniBrowser) + Xvfb, xz, and
# the npm packages. Safe to run again; it says what it does.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1

step() { printf '\n[setup] %s\n' "$*"; }
fail() { printf '\n[setup] FAILED: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

export PATH="$HOME/.cargo/bin:$PATH"

have cargo || fail "cargo is not installed: install Rust with rustup (https://rustup.rs) and run this again"
have rustup || fail "rustup is not installed: the wasm32 target is added with rustup"
have node || fail "node is not installed: rewind's build and tests need Node.js 20 or newer"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node.js $(node --version) is too old: 20 or newer is needed"

# 1. The wasm32 target.
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "wasm32-unknown-unknown target: present"
else
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown || fail "rustup could not add wasm32-unknown-unknown"
fi
# std's source, which the release build compiles with the crate
# (scripts/release-std.sh says why).
if rustup component list --installed | grep -q '^rust-src'; then
  step "rust-src component: present"
else
  step "adding the rust-src component"
  rustup component add rust-src || fail "rustup could not add the rust-src component"
fi

# 2. wasm-bindgen-cli, exactly the version the crate pins (they must match).
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
[ -n "$bindgen_version" ] || fail "Cargo.toml does not pin wasm-bindgen with '=X.Y.Z'"
if have wasm-bindgen && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$bindgen_version" ]; then
  step "wasm-bindgen-cli $bindgen_version: present"
else
  step "installing wasm-bindgen-cli $bindgen_version (about 3 minutes)"
  # --locked first; the registry may lack a crate version its lock file names,
  # then resolve afresh (same wasm-bindgen-cli version, newest compatible deps).
  cargo install wasm-bindgen-cli --version "$bindgen_version" --locked \
    || cargo install wasm-bindgen-cli --version "$bindgen_version" \
    || fail "cargo install wasm-bindgen-cli $bindgen_version failed"
fi

# 3. wasm-pack.
if have wasm-pack && [ "$(wasm-pack --version | awk '{print $2}')" = "$WASM_PACK_VERSION" ]; then
  step "wasm-pack $WASM_PACK_VERSION: present"
else
  step "installing wasm-pack $WASM_PACK_VERSION (about 2.5 minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked \
    || cargo install wasm-pack --version "$WASM_PACK_VERSION" \
    || fail "cargo install wasm-pack failed"
fi

# 4. Browsers and their WebDriver servers, from Debian. WebKit is WebKitGTK
# (Safari's engine family): webkit2gtk-driver brings WebKitWebDriver and,
# through libwebkit2gtk-4.1-0, the MiniBrowser it drives; xvfb gives it a
# display (tests/support/webkit.mjs starts one per test file).
missing_packages=()
[ -x /usr/bin/chromium ] || missing_packages+=(chromium)
[ -x /usr/bin/chromedriver ] || missing_packages+=(chromium-driver)
[ -x /usr/bin/firefox-esr ] || missing_packages+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing_packages+=(webkit2gtk-driver)
compgen -G '/usr/lib/*/webkit2gtk-4.1/MiniBrowser' >/dev/null || missing_packages+=(libwebkit2gtk-4.1-0)
[ -x /usr/bin/Xvfb ] || missing_packages+=(xvfb)
# xz: tests/e2e/packed-wasm.test.mjs holds the packed module to less than xz's LZMA.
have xz || missing_packages+=(xz-utils)
if [ ${#missing_packages[@]} -eq 0 ]; then
  step "chromium, chromium-driver, firefox-esr, webkit2gtk-driver, xvfb, xz: present"
else
  step "installing ${missing_packages[*]} with apt-get"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing_packages[@]}" >/dev/null \
    || fail "apt-get install ${missing_packages[*]} failed"
fi

if have geckodriver && [ "$(geckodriver --version | head -1 | awk '{print $2}')" = "$GECKODRIVER_VERSION" ]; then
  step "geckodriver $GECKODRIVER_VERSION: present"
else
  step "installing geckodriver $GECKODRIVER_VERSION (about 1.5 minutes)"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked \
    || cargo install geckodriver --version "$GECKODRIVER_VERSION" \
    || fail "cargo install geckodriver failed"
fi

# 5. npm packages, reinstalled only when package-lock.json changed.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.rewind-lock-hash
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  step "npm packages: up to date"
else
  step "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund || fail "npm ci failed"
  echo "$lock_hash" > "$stamp"
fi

step "ready in ${SECONDS} s"
