//! Config parsing: `Config::from_toml` on arbitrary text never panics, and a
//! config it accepts builds a Keyhole (`Keyhole::in_memory`, which checks
//! each provider's options) or is refused with problems, never a panic.
//!
//! Input: the config text (UTF-8). Every `KEYHOLE_*_CLIENT_SECRET` variable
//! is set, so provider entries get past the secret check.
#![no_main]

use keyhole::{Keyhole, config::Config};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

fn env(name: &str) -> Option<String> {
    (name.starts_with("KEYHOLE_") && name.ends_with("_CLIENT_SECRET"))
        .then(|| "fuzz-client-secret".to_owned())
}

/// Whether every `client_secret_file` in `value` names a missing path or a
/// small regular file. The operator's config may name any file, and
/// `from_toml` reads it: the fuzzer must not have it read `/dev/zero` or
/// `/proc/kcore`, which would be a hang of the harness, not a finding.
fn reads_only_small_files(value: &toml::Value) -> bool {
    match value {
        toml::Value::Table(table) => table.iter().all(|(key, value)| {
            let safe_path = match (key.as_str(), value) {
                ("client_secret_file", toml::Value::String(path)) => {
                    std::fs::metadata(path).map_or(true, |m| m.is_file() && m.len() < 1 << 20)
                }
                _ => true,
            };
            safe_path && reads_only_small_files(value)
        }),
        toml::Value::Array(items) => items.iter().all(reads_only_small_files),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Text that is not TOML is refused before any file is named.
    if let Ok(value) = text.parse::<toml::Table>()
        && !reads_only_small_files(&toml::Value::Table(value))
    {
        return;
    }
    let Ok(config) = Config::from_toml(text, &env) else {
        return;
    };
    let _ = config.redirect_uri("aihubmix");
    let _inside = runtime().enter();
    let _ = Keyhole::in_memory(config);
});
