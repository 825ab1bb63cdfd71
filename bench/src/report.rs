//! The results table: one Markdown table of every row, the method paragraph and the time line.

use serde_json::Value;
use std::{fmt::Write as _, time::Duration};
use xtask::bundle::{self, AssetSize};

use crate::{
    CONNECTIONS, LOAD, LOGIN_LOAD, LOGIN_WORKERS, STORM, STORM_ADVANCE_SECS, WARMUP,
    growth::Growth,
    machine::Machine,
    pair::Pair,
    rows::{
        Line, balance_line, bare_proxy_line, growth_line, logins_line, me_line, rss_line,
        storm_line, versus_memory_line,
    },
    store::Variant,
};

#[derive(Debug)]
pub(crate) struct Report<'a> {
    pub(crate) machine: Machine,
    pub(crate) load_after: String,
    pub(crate) setup: &'a Value,
    pub(crate) sizes: &'a [AssetSize],
    pub(crate) variants: &'a [Variant],
    /// SQLite against memory, side by side (row 7).
    pub(crate) versus: &'a Pair,
    pub(crate) growth: &'a [Growth],
    pub(crate) measuring: Duration,
    pub(crate) total: Duration,
}

impl Report<'_> {
    pub(crate) fn render(&self) -> String {
        let mut lines = Vec::new();
        for v in self.variants {
            lines.push(me_line(v));
        }
        for v in self.variants {
            lines.push(balance_line(v));
        }
        for v in self.variants {
            lines.push(bare_proxy_line(v));
        }
        for v in self.variants {
            lines.push(logins_line(v));
        }
        for v in self.variants {
            lines.push(storm_line(v));
        }
        let (raw, gzip) = bundle::totals(self.sizes);
        for size in self.sizes {
            lines.push(Line {
                n: 5,
                what: format!("first-load bytes: {}", size.ext),
                store: "—".to_owned(),
                result: format!(
                    "{:.1} KB raw, {:.1} KB gzip",
                    bundle::kb(size.raw),
                    bundle::kb(size.gzip)
                ),
                ..Line::default()
            });
        }
        lines.push(Line {
            n: 5,
            what: "first-load bytes: total".to_owned(),
            store: "—".to_owned(),
            result: format!(
                "**{:.1} KB raw, {:.1} KB gzip** (goal: at most {:.0} KB gzip, {})",
                bundle::kb(raw),
                bundle::kb(gzip),
                bundle::FIRST_LOAD_GOAL_KB,
                if bundle::kb(gzip) <= bundle::FIRST_LOAD_GOAL_KB {
                    "met"
                } else {
                    "missed"
                }
            ),
            ..Line::default()
        });
        for v in self.variants {
            lines.push(rss_line(v));
        }
        for v in self.variants {
            lines.push(Line {
                n: 6,
                what: "start-up: spawn → `/readyz` 200".to_owned(),
                store: v.store.name().to_owned(),
                result: format!("{:.0} ms", v.startup.as_secs_f64() * 1000.0),
                ..Line::default()
            });
        }
        lines.push(versus_memory_line(self.versus));
        for g in self.growth {
            lines.push(growth_line(g));
        }

        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "## `cargo xtask bench` results\n");
        let _ = writeln!(
            out,
            "Machine: {} CPUs ({}), {} RAM, Linux {}; {}; {}. Load average {} before, {} after.\n",
            m.cpus,
            m.model,
            m.memory,
            m.kernel,
            m.rustc,
            m.generator,
            m.load_before,
            self.load_after
        );
        let _ = writeln!(
            out,
            "| # | measurement | store | result | p50 ms | p99 ms | CPU per request | baseline, same run | ratio | goal | others' CPU |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|---|---|---:|---|---:|");
        for l in &lines {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                l.n,
                l.what,
                l.store,
                l.result,
                l.p50,
                l.p99,
                l.cpu,
                l.baseline,
                l.ratio,
                l.goal,
                l.others
            );
        }
        let secs = |key: &str| self.setup[key].as_f64();
        let generator = self.setup["load_tool"].as_str().unwrap_or("?");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Loads: `{generator}` with {CONNECTIONS} connections, one session cookie; each \
             measurement and its baselines warmed up ({} s, uncounted), then run interleaved \
             A B B A, {} s a run: rates are over both runs, p50 their mean, p99 the worse. \
             Logins: {LOGIN_WORKERS} concurrent clients for {} s; storm: {STORM} concurrent requests after the simulator's clock moved \
             {STORM_ADVANCE_SECS} s. Rows 7 and 8 compare two keyhole instances running at once \
             (memory and SQLite; 1 000 and 1 000 000 sessions), each with its own simulator, \
             measured interleaved the same way, logins A B B A for {:.1} s a run. CPU per request is from /proc (10 ms ticks): keyhole (kh), \
             simulator (sim), redis-server, keyhole-bench (bare server or login client), and the load \
             generator (gen). \"Others' CPU\" is the share of the whole machine used by \
             processes this run did not start.\n",
            WARMUP.as_secs(),
            LOAD.as_secs(),
            LOGIN_LOAD.as_secs(),
            LOGIN_LOAD.as_secs_f64() / 2.0,
        );
        let _ = writeln!(
            out,
            "Time: {:.0} s in all: {generator} {}, release build + app tools, overlapped: \
             {:.0} s (release build {:.0} s, app tools {:.0} s, side by side), app build {:.0} s, \
             measurements {:.0} s.",
            self.total.as_secs_f64(),
            secs("load_tool_install_secs").map_or("already installed".to_owned(), |s| format!(
                "installed in {s:.0} s"
            )),
            secs("build_and_tools_secs").unwrap_or(0.0),
            secs("release_build_secs").unwrap_or(0.0),
            secs("app_tools_secs").unwrap_or(0.0),
            secs("app_build_secs").unwrap_or(0.0),
            self.measuring.as_secs_f64(),
        );
        out
    }
}
