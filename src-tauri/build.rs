//! Checks that the built UI is there before `tauri::generate_context!` embeds it, then lets
//! tauri-build do the rest (capabilities, icons, config).

use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: cargo may reuse a build script
    // compiled for another checkout of the same sources (a worktree sharing the target).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = Path::new(&manifest).join("../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    // Without `custom-protocol` the app loads the Vite dev server instead of ui/dist.
    if std::env::var_os("CARGO_FEATURE_CUSTOM_PROTOCOL").is_some() && !dist.join("index.html").is_file() {
        eprintln!(
            "\nerror: {} is missing or has no index.html.\n\
             The desktop app embeds the built UI. Build it first:\n\n    \
             (cd ui && npm ci && npm run build)\n\n\
             or, to develop against the Vite dev server (npm run dev), build with \
             --no-default-features.\n",
            dist.display()
        );
        std::process::exit(1);
    }
    tauri_build::build()
}
