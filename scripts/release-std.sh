# Sourced by scripts/build.sh and read by scripts/wasm-sizes.mjs: how the
# shipped wasm's standard library is built. Not used by `cargo test` or
# `wasm-pack test`, which keep the prebuilt std and its panic messages.
#
# Rust's prebuilt std for wasm32 carries panic formatting, the source
# location of every panic and the Debug code they print. Rebuilding std with
# the crate (-Zbuild-std, from the rust-src component scripts/setup.sh adds)
# with panics that abort at once drops all of it: 8.6 KB gzip of the 114 KB
# wasm on December 2. A panic still traps, and src/web/guard.rs still stops
# rewind cleanly on it; the console shows the trap, not Rust's message
# (`cargo test` and `wasm-pack test` show that). RUSTC_BOOTSTRAP lets the
# pinned stable toolchain take these unstable flags; nothing else of the
# build is unstable.
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
# Cargo's arguments, space-separated (scripts/wasm-sizes.mjs reads them).
REWIND_STD_ARGS="-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size"
