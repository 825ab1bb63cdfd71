//! Readers of the load generators' output: `oha --output-format json` and `wrk --latency`.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::run::Load;

/// Reads `oha --output-format json`: 200s, other statuses, errors (except
/// requests aborted at the deadline), duration, and p50/p99 latency.
pub(crate) fn parse_oha(text: &str) -> Result<Load> {
    let v: Value = serde_json::from_str(text).context("oha's output is not JSON")?;
    let secs = v["summary"]["total"]
        .as_f64()
        .context("oha: no summary.total")?;
    let statuses = v["statusCodeDistribution"]
        .as_object()
        .context("oha: no statusCodeDistribution")?;
    let (mut ok, mut not_ok) = (0, 0);
    for (code, n) in statuses {
        let n = n.as_u64().unwrap_or(0);
        if code == "200" {
            ok += n;
        } else {
            not_ok += n;
        }
    }
    let errors = v["errorDistribution"].as_object().map_or(0, |m| {
        m.iter()
            .filter(|(what, _)| !what.contains("aborted due to deadline"))
            .map(|(_, n)| n.as_u64().unwrap_or(0))
            .sum()
    });
    // Seconds; `metrics.latency_ms` only exists in recent versions.
    let percentile = |p: &str| -> Result<f64> {
        v["latencyPercentiles"][p]
            .as_f64()
            .map(|s| s * 1000.0)
            .with_context(|| format!("oha: no latencyPercentiles.{p}"))
    };
    Ok(Load {
        ok,
        not_ok,
        errors,
        secs,
        p50_ms: if ok > 0 { percentile("p50")? } else { 0.0 },
        p99_ms: if ok > 0 { percentile("p99")? } else { 0.0 },
        ..Load::default()
    })
}

/// Reads `wrk --latency` text: `N requests in 5.00s`, the `Non-2xx or 3xx`
/// count, socket errors, and the 50% / 99% lines of the distribution.
pub(crate) fn parse_wrk(text: &str) -> Result<Load> {
    let (mut requests, mut secs) = (None, None);
    let (mut not_ok, mut errors) = (0, 0);
    let (mut p50, mut p99) = (None, None);
    for line in text.lines().map(str::trim) {
        if let Some((count, rest)) = line.split_once(" requests in ") {
            requests = count.trim().parse::<u64>().ok();
            secs = rest.split(',').next().and_then(wrk_seconds);
        } else if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
            not_ok = n.trim().parse().context("wrk: Non-2xx count")?;
        } else if let Some(list) = line.strip_prefix("Socket errors:") {
            // connect 0, read 0, write 0, timeout 0
            errors = list
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
        } else if let Some(value) = line.strip_prefix("50%") {
            p50 = wrk_seconds(value.trim());
        } else if let Some(value) = line.strip_prefix("99%") {
            p99 = wrk_seconds(value.trim());
        }
    }
    let requests = requests.context("wrk: no `requests in` line")?;
    Ok(Load {
        ok: requests.saturating_sub(not_ok),
        not_ok,
        errors,
        secs: secs.context("wrk: no duration")?,
        p50_ms: p50.context("wrk: no 50% line (run with --latency)")? * 1000.0,
        p99_ms: p99.context("wrk: no 99% line (run with --latency)")? * 1000.0,
        ..Load::default()
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `5.00s`, `1.00m`.
fn wrk_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields `parse_oha` reads, as oha 1.16 printed them.
    const OHA_JSON: &str = r#"{
        "summary": {"successRate": 1.0, "total": 1.001693475, "requestsPerSec": 57426.7},
        "latencyPercentiles": {"p10": 3.1837e-05, "p50": 6.1041e-05, "p99": 0.000150234,
                               "p99.9": 0.000349361},
        "statusCodeDistribution": {"200": 57521, "404": 4},
        "errorDistribution": {"aborted due to deadline": 3, "connection closed": 2}
    }"#;

    #[test]
    fn oha_json_gives_200s_latency_and_real_errors() {
        let load = parse_oha(OHA_JSON).expect("parses");
        assert_eq!((load.ok, load.not_ok, load.errors), (57521, 4, 2));
        assert!((load.secs - 1.001693475).abs() < 1e-9);
        assert!((load.p50_ms - 0.061041).abs() < 1e-9);
        assert!((load.p99_ms - 0.150234).abs() < 1e-9);
        assert!(parse_oha("Error: connection refused").is_err());
    }

    const WRK_TEXT: &str = "Running 1s test @ http://127.0.0.1:41851/_sim/nothere
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   170.25us  554.09us   9.26ms   94.80%
    Req/Sec    33.06k     5.85k   39.87k    80.95%
  Latency Distribution
     50%   41.00us
     75%   65.00us
     90%  174.00us
     99%    2.92ms
  69049 requests in 1.10s, 5.40MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 49
Requests/sec:  62779.41
Transfer/sec:      4.91MB
";

    #[test]
    fn wrk_text_gives_successes_latency_and_errors() {
        let load = parse_wrk(WRK_TEXT).expect("parses");
        assert_eq!((load.ok, load.not_ok, load.errors), (69000, 49, 3));
        assert!((load.secs - 1.1).abs() < 1e-9);
        assert!((load.p50_ms - 0.041).abs() < 1e-9);
        assert!((load.p99_ms - 2.92).abs() < 1e-9);
        let without_latency = WRK_TEXT.replace("     50%   41.00us\n", "");
        assert!(parse_wrk(&without_latency).is_err());
    }

    #[test]
    fn wrk_durations_have_units() {
        assert_eq!(wrk_seconds("5.00s"), Some(5.0));
        assert_eq!(wrk_seconds("1.00m"), Some(60.0));
        assert!(wrk_seconds("812.00us").is_some_and(|s| (s - 0.000812).abs() < 1e-12));
        assert_eq!(wrk_seconds("12"), None);
        assert_eq!(wrk_seconds("3.0ks"), None);
    }
}
