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
# -reference-types: wasm-bindgen then keeps the JS values the wasm holds in
# an array in its JS glue, and the wasm passes their indexes, instead of
# keeping them in an externref table that the wasm manages itself (a
# table.get before each import call that takes one, an allocation in the
# table after each that returns one). On December 5 that took 1,013 B off
# the wasm's gzip and put 156 B on the JS's, and a cold A/B (6 runs of each
# of seven bench scenarios, alternating) gave 0.92 to 1.01 of the task time.
# It also drops reference types from the features the wasm needs.
# -inline-threshold=0: LLVM inlines a call only where its cost model says
# the inlined body is no larger than the call (-Oz's own threshold is a
# little above that). On December 5's code it took 98 to 172 B off the
# gzip at three states of it; of the other thresholds measured, -5 and -8
# gave about the same, -10 to -20 from 0.4 to 2.7 KB more, and 1 to 10 as
# much as the default or more.
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types -Cllvm-args=-inline-threshold=0"
# Cargo's arguments, space-separated (scripts/wasm-sizes.mjs reads them).
REWIND_STD_ARGS="-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size"
