//! The table's rows, one function per kind of measurement, with the goal each is judged by.

use std::{fmt::Write as _, time::Duration};

use crate::{
    FILL_TARGET, PROVIDER, STORM,
    cpu::CpuUse,
    growth::Growth,
    load::Load,
    pair::Pair,
    store::{Store, Variant},
};

/// One line of the results table.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub(crate) n: u8,
    pub(crate) what: String,
    pub(crate) store: String,
    pub(crate) result: String,
    pub(crate) p50: String,
    pub(crate) p99: String,
    pub(crate) cpu: String,
    pub(crate) baseline: String,
    pub(crate) ratio: String,
    pub(crate) goal: String,
    pub(crate) others: String,
}

pub(crate) fn me_line(v: &Variant) -> Line {
    let ratio = v.me.rate() / v.bare.rate().max(f64::EPSILON);
    let goal = if v.store == Store::Memory { 0.6 } else { 0.45 };
    let met = ratio >= goal && v.me.p99_ms < 5.0;
    Line {
        n: 1,
        what: "`GET /api/me` (session read)".to_owned(),
        store: v.store.name().to_owned(),
        result: load_result(&v.me),
        p50: format!("{:.2}", v.me.p50_ms),
        p99: format!("{:.2}", v.me.p99_ms),
        cpu: format!(
            "kh {:.0} µs{}, gen {:.0} µs",
            v.me.cpu.keyhole_us,
            store_cpu(v, &v.me.cpu),
            v.me.cpu.generator_us
        ),
        baseline: format!(
            "bare axum: {}, p50 {:.2}, p99 {:.2} ms, {:.0} µs CPU",
            load_result(&v.bare),
            v.bare.p50_ms,
            v.bare.p99_ms,
            v.bare.server_us()
        ),
        ratio: format!("{ratio:.2}"),
        goal: format!("≥ {goal} and p99 < 5 ms: {}", verdict(met)),
        others: format!("{:.0}%", v.me.cpu.others_pct.max(v.bare.cpu.others_pct)),
    }
}

/// Balance against the bare pass-through: the cost of keyhole's work on
/// top of any proxy hop (the goal); the direct call is in the baseline too.
pub(crate) fn balance_line(v: &Variant) -> Line {
    let ratio = v.balance.rate() / v.bare_proxy.rate().max(f64::EPSILON);
    let goal = if v.store == Store::Memory { 0.85 } else { 0.7 };
    Line {
        n: 2,
        what: format!("`GET /api/me/{PROVIDER}/balance` (1 upstream call)"),
        store: v.store.name().to_owned(),
        result: load_result(&v.balance),
        p50: format!("{:.2}", v.balance.p50_ms),
        p99: format!("{:.2}", v.balance.p99_ms),
        cpu: format!(
            "kh {:.0} µs{} + sim {:.0} µs, gen {:.0} µs",
            v.balance.cpu.keyhole_us,
            store_cpu(v, &v.balance.cpu),
            v.balance.cpu.sim_us,
            v.balance.cpu.generator_us
        ),
        baseline: format!(
            "bare axum + reqwest pass-through: {}, p99 {:.2} ms, {:.0} µs CPU; userinfo direct: {}",
            load_result(&v.bare_proxy),
            v.bare_proxy.p99_ms,
            v.bare_proxy.cpu.bench_us,
            load_result(&v.direct),
        ),
        ratio: format!("{ratio:.2}"),
        goal: format!("≥ {goal} of the pass-through: {}", verdict(ratio >= goal)),
        others: format!(
            "{:.0}%",
            v.balance.cpu.others_pct.max(v.bare_proxy.cpu.others_pct)
        ),
    }
}

/// The reference for row 2: any proxy hop, without keyhole's work.
pub(crate) fn bare_proxy_line(v: &Variant) -> Line {
    let p = &v.bare_proxy;
    let ratio = p.rate() / v.direct.rate().max(f64::EPSILON);
    Line {
        n: 2,
        what: "reference: bare axum + reqwest pass-through to userinfo".to_owned(),
        store: "—".to_owned(),
        result: load_result(p),
        p50: format!("{:.2}", p.p50_ms),
        p99: format!("{:.2}", p.p99_ms),
        cpu: format!(
            "keyhole-bench {:.0} µs + sim {:.0} µs, gen {:.0} µs",
            p.cpu.bench_us, p.cpu.sim_us, p.cpu.generator_us
        ),
        baseline: format!(
            "simulator userinfo direct, same run as {}; keyhole / this: {:.2}",
            v.store.name(),
            v.balance.rate() / p.rate().max(f64::EPSILON)
        ),
        ratio: format!("{ratio:.2}"),
        goal: "reference, no goal".to_owned(),
        others: format!("{:.0}%", p.cpu.others_pct),
    }
}

pub(crate) fn logins_line(v: &Variant) -> Line {
    let l = &v.logins;
    let failed = if l.failed > 0 {
        format!(", {} failed", l.failed)
    } else {
        String::new()
    };
    Line {
        n: 3,
        what: "complete logins (start → auto-approve → callback → session)".to_owned(),
        store: v.store.name().to_owned(),
        result: format!(
            "{:.0} logins/s ({} in {:.1} s{failed})",
            l.rate(),
            l.ok,
            l.elapsed.as_secs_f64()
        ),
        p50: format!("{:.2}", percentile_ms(&l.latencies, 50.0)),
        p99: format!("{:.2}", percentile_ms(&l.latencies, 99.0)),
        cpu: format!(
            "per login: kh {:.0} µs{} + sim {:.0} µs, client {:.0} µs",
            v.logins_cpu.keyhole_us,
            store_cpu(v, &v.logins_cpu),
            v.logins_cpu.sim_us,
            v.logins_cpu.bench_us
        ),
        goal: match v.store {
            Store::Memory => cpu_goal(v.logins_cpu.keyhole_us, 100.0),
            Store::Sqlite => cpu_goal(v.logins_cpu.keyhole_us, 150.0),
            Store::Redis => String::new(),
        },
        others: format!("{:.0}%", v.logins_cpu.others_pct),
        ..Line::default()
    }
}

pub(crate) fn storm_line(v: &Variant) -> Line {
    let s = &v.storm;
    let statuses: Vec<String> = s
        .statuses
        .iter()
        .map(|(code, n)| {
            if *code == 0 {
                format!("{n} × transport error")
            } else {
                format!("{n} × {code}")
            }
        })
        .collect();
    Line {
        n: 4,
        what: format!("refresh storm: {STORM} concurrent balance requests after expiry"),
        store: v.store.name().to_owned(),
        result: format!(
            "{} refresh(es); {}; max {:.1} ms",
            s.refreshes,
            statuses.join(", "),
            percentile_ms(&s.latencies, 100.0)
        ),
        p50: format!("{:.2}", percentile_ms(&s.latencies, 50.0)),
        p99: format!("{:.2}", percentile_ms(&s.latencies, 99.0)),
        goal: format!("exactly 1 refresh: {}", verdict(s.refreshes == 1)),
        ..Line::default()
    }
}

pub(crate) fn rss_line(v: &Variant) -> Line {
    let per_session = v.rss_kib.saturating_sub(v.idle_rss_kib) as f64 / v.sessions.max(1) as f64;
    let goal = match &v.fill {
        Some(fill) if v.sessions >= FILL_TARGET => format!(
            "{FILL_TARGET} sessions: reached ({:.0} logins/s); ≤ 1 KiB per session: {}",
            fill.rate(),
            verdict(per_session <= 1.0)
        ),
        Some(fill) => format!(
            "{FILL_TARGET} sessions: not reached in {:.0} s at {:.0} logins/s; nothing extrapolated",
            fill.elapsed.as_secs_f64(),
            fill.rate()
        ),
        None => "sessions live in the store, not in keyhole".to_owned(),
    };
    Line {
        n: 6,
        what: "keyhole RSS after real logins".to_owned(),
        store: v.store.name().to_owned(),
        result: format!(
            "{:.1} MiB with {} sessions (idle: {:.1} MiB; {:.1} KiB more per session)",
            v.rss_kib as f64 / 1024.0,
            v.sessions,
            v.idle_rss_kib as f64 / 1024.0,
            per_session
        ),
        goal,
        ..Line::default()
    }
}

/// SQLite (the default store) against the memory store, both running at
/// once and measured interleaved.
pub(crate) fn versus_memory_line(pair: &Pair) -> Line {
    let ratios = pair.ratios();
    let worst = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let [memory, sqlite] = [0, 1].map(|i| {
        format!(
            "`/api/me` {:.0}, balance {:.0} req/s, logins {:.0}/s",
            pair.me[i].rate(),
            pair.balance[i].rate(),
            pair.logins[i].rate()
        )
    });
    Line {
        n: 7,
        what: "SQLite against the memory store, side by side".to_owned(),
        store: Store::Sqlite.name().to_owned(),
        result: format!(
            "`/api/me` {:.2}, balance {:.2}, logins {:.2} (SQLite: {sqlite})",
            ratios[0], ratios[1], ratios[2]
        ),
        p50: format!("{:.2} vs {:.2}", pair.me[1].p50_ms, pair.me[0].p50_ms),
        p99: format!("{:.2} vs {:.2}", pair.me[1].p99_ms, pair.me[0].p99_ms),
        cpu: format!(
            "`/api/me` kh {:.0} vs {:.0} µs, login kh {:.0} vs {:.0} µs",
            pair.me[1].cpu.keyhole_us,
            pair.me[0].cpu.keyhole_us,
            pair.logins_cpu[1].keyhole_us,
            pair.logins_cpu[0].keyhole_us
        ),
        baseline: format!("memory store, same moments: {memory}"),
        ratio: format!("{worst:.2}"),
        goal: format!("each ≥ 0.7: {}", verdict(worst >= 0.7)),
        others: format!(
            "{:.0}%",
            pair.me[1]
                .cpu
                .others_pct
                .max(pair.balance[1].cpu.others_pct)
        ),
    }
}

/// The store with 1 000 000 sessions against the same store with 1 000.
pub(crate) fn growth_line(g: &Growth) -> Line {
    let [small, large] = g.steps.as_slice() else {
        return Line::default();
    };
    let ratio = |a: f64, b: f64| b / a.max(f64::EPSILON);
    let ratios = [
        ratio(small.me.rate(), large.me.rate()),
        ratio(small.balance.rate(), large.balance.rate()),
        ratio(small.logins.rate(), large.logins.rate()),
    ];
    let worst = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let unit = if g.store == Store::Redis {
        "Redis `used_memory`"
    } else {
        "database + WAL file"
    };
    Line {
        n: 8,
        what: format!(
            "{} sessions against {} (filled through the store)",
            large.sessions, small.sessions
        ),
        store: g.store.name().to_owned(),
        result: format!(
            "`/api/me` {:.0} → {:.0} req/s, balance {:.0} → {:.0} req/s, logins {:.0} → {:.0}/s; {:.0} bytes per session ({unit}); filled in {:.0} s",
            small.me.rate(),
            large.me.rate(),
            small.balance.rate(),
            large.balance.rate(),
            small.logins.rate(),
            large.logins.rate(),
            g.bytes_per_session().unwrap_or(0.0),
            large.fill.as_secs_f64()
        ),
        p50: format!("{:.2} → {:.2}", small.me.p50_ms, large.me.p50_ms),
        p99: format!("{:.2} → {:.2}", small.me.p99_ms, large.me.p99_ms),
        cpu: format!(
            "`/api/me` kh {:.0} → {:.0} µs, login kh {:.0} → {:.0} µs",
            small.me.cpu.keyhole_us,
            large.me.cpu.keyhole_us,
            small.logins_cpu.keyhole_us,
            large.logins_cpu.keyhole_us
        ),
        baseline: format!("same store with {} sessions, side by side", small.sessions),
        ratio: format!("{worst:.2}"),
        goal: format!("each ≥ 0.9: {}", verdict(worst >= 0.9)),
        others: format!(
            "{:.0}%",
            large.me.cpu.others_pct.max(large.balance.cpu.others_pct)
        ),
    }
}

fn cpu_goal(us: f64, at_most: f64) -> String {
    format!("kh ≤ {at_most:.0} µs per login: {}", verdict(us <= at_most))
}

/// ` + redis N µs` where the store is a server of its own.
fn store_cpu(v: &Variant, cpu: &CpuUse) -> String {
    if v.store == Store::Redis {
        format!(" + redis {:.0} µs", cpu.store_us)
    } else {
        String::new()
    }
}

fn load_result(load: &Load) -> String {
    let mut s = format!("{:.0} req/s", load.rate());
    if load.not_ok > 0 {
        let _ = write!(s, " ({} non-200)", load.not_ok);
    }
    if load.errors > 0 {
        let _ = write!(s, " ({} errors)", load.errors);
    }
    s
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// Nearest-rank percentile of sorted samples, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&samples, 50.0), 50.0);
        assert_eq!(percentile_ms(&samples, 99.0), 99.0);
        assert_eq!(percentile_ms(&samples, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
