//! First-load bytes of the built app (wasm, js, css; raw and gzip), printed
//! after the release build and by `cargo xtask bench`.

use crate::root;
use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;

/// `cargo xtask bench`: what can be measured so far.
pub(crate) fn bench() -> Result<()> {
    crate::tools::ensure_build_tools()?;
    crate::e2e::build_dist()?;
    print_sizes()
}

/// Prints a Markdown table of `dist/` asset sizes.
pub(crate) fn print_sizes() -> Result<()> {
    let dist = root().join("dist");
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(&dist).context("reading dist/")? {
        let path = entry?.path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if !matches!(ext, "wasm" | "js" | "css" | "html") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&bytes)?;
        let gzipped = gz.finish()?.len();
        rows.push((ext.to_owned(), bytes.len(), gzipped));
    }
    rows.sort();
    let (raw, gz) = rows.iter().fold((0, 0), |(r, g), (_, a, b)| (r + a, g + b));
    println!("\n| asset | raw KB | gzip KB |\n|---|---:|---:|");
    for (ext, a, b) in &rows {
        println!("| {ext} | {:.1} | {:.1} |", kb(*a), kb(*b));
    }
    println!("| **first load** | {:.1} | {:.1} |\n", kb(raw), kb(gz));
    Ok(())
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}
