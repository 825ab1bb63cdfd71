//! First-load bytes of the built app (wasm, js, css; raw and gzip), printed
//! after the release build and reported by `cargo xtask bench`.

use crate::root;
use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;

/// One asset type of `dist/`: bytes as served, and gzipped at level 9.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AssetSize {
    /// `wasm`, `js`, `css` or `html`.
    pub ext: String,
    pub raw: usize,
    pub gzip: usize,
}

/// Prints a Markdown table of `dist/` asset sizes and returns its rows.
pub fn print_sizes() -> Result<Vec<AssetSize>> {
    let rows = sizes()?;
    let (raw, gz) = totals(&rows);
    println!("\n| asset | raw KB | gzip KB |\n|---|---:|---:|");
    for row in &rows {
        println!("| {} | {:.1} | {:.1} |", row.ext, kb(row.raw), kb(row.gzip));
    }
    println!("| **first load** | {:.1} | {:.1} |", kb(raw), kb(gz));
    println!(
        "\nGoal: at most {FIRST_LOAD_GOAL_KB:.0} KB gzip: {}.\n",
        if kb(gz) <= FIRST_LOAD_GOAL_KB {
            "met"
        } else {
            "missed"
        }
    );
    Ok(rows)
}

/// The sizes of `dist/`'s wasm, js, css and html files, sorted by type.
fn sizes() -> Result<Vec<AssetSize>> {
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
        let gzip = gz.finish()?.len();
        rows.push(AssetSize {
            ext: ext.to_owned(),
            raw: bytes.len(),
            gzip,
        });
    }
    rows.sort();
    Ok(rows)
}

/// The first load's budget (issue 16): wasm + js + css + html, gzip -9, KB.
pub const FIRST_LOAD_GOAL_KB: f64 = 150.0;

/// Raw and gzip bytes of everything a first visit loads.
pub fn totals(rows: &[AssetSize]) -> (usize, usize) {
    rows.iter()
        .fold((0, 0), |(r, g), row| (r + row.raw, g + row.gzip))
}

/// Bytes as KiB, for tables.
pub fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}
