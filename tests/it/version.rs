//! One version for everything that ships: the workspace's in `Cargo.toml`, which the engine
//! and the desktop shell inherit, `tauri.conf.json` leaves to it (so the .deb and the
//! installers carry it), `reckon --version` prints, and `CHANGELOG.md` does not run ahead of.

use std::path::Path;

use crate::support::Db;

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn toml_file(path: &str) -> toml::Table {
    repo_file(path).parse().unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `[workspace.package] version`.
fn workspace_version() -> String {
    let root = toml_file("Cargo.toml");
    root["workspace"]["package"]["version"].as_str().expect("[workspace.package] version").to_string()
}

/// A crate's version is the workspace's: `version.workspace = true`.
fn inherits_version(manifest: &str) {
    let toml = toml_file(manifest);
    let package = &toml["package"];
    assert_eq!(
        package["version"].get("workspace").and_then(|w| w.as_bool()),
        Some(true),
        "{manifest}: the package's version must be `version.workspace = true`, found {:?}",
        package["version"]
    );
}

#[test]
fn the_cli_the_shell_and_the_bundle_carry_the_workspace_version() {
    let version = workspace_version();
    assert!(
        version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u64>().is_ok()),
        "the workspace version {version:?} is not MAJOR.MINOR.PATCH"
    );
    assert_eq!(env!("CARGO_PKG_VERSION"), version, "the engine crate's version");
    inherits_version("Cargo.toml");
    inherits_version("src-tauri/Cargo.toml");

    // The bundler takes the version from tauri.conf.json when it names one, else from the
    // shell's Cargo.toml: it must name none (or the same one).
    let conf: serde_json::Value = serde_json::from_str(&repo_file("src-tauri/tauri.conf.json")).unwrap();
    if let Some(v) = conf.get("version") {
        assert_eq!(v.as_str(), Some(version.as_str()), "src-tauri/tauri.conf.json's version");
    }

    let out = Db::new().ok(&["--version"], 0);
    assert_eq!(out, format!("reckon {version}\n"), "reckon --version");
}

#[test]
fn the_changelog_does_not_run_ahead_of_the_version() {
    let version = workspace_version();
    let number = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().expect("a version number")).collect() };
    let changelog = repo_file("CHANGELOG.md");
    let headings: Vec<&str> =
        changelog.lines().filter_map(|l| l.strip_prefix("## [")).map(|l| &l[..l.find(']').unwrap()]).collect();
    assert!(!headings.is_empty(), "CHANGELOG.md has no '## [...]' section");
    for &heading in &headings {
        if heading != "Unreleased" {
            assert!(
                number(heading) <= number(version.as_str()),
                "CHANGELOG.md has a section for {heading}, newer than the workspace version {version}"
            );
        }
    }
    // Keep a Changelog: Unreleased, if there, comes first; each version heading once.
    if let Some(i) = headings.iter().position(|h| *h == "Unreleased") {
        assert_eq!(i, 0, "CHANGELOG.md: [Unreleased] must be the first section");
    }
    let mut seen = headings.clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), headings.len(), "CHANGELOG.md names a version twice: {headings:?}");
}
