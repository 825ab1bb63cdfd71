//! Serving the built app (`dist/`) in production: files as they are, the
//! shell (`index.html`) for every other path, under a strict CSP that allows
//! exactly the inline loader script Trunk writes, by hash.

use crate::config::Config;
use axum::{
    Router,
    http::{HeaderValue, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use std::path::Path;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// A router serving `dist`, or `None` when there is no built app there.
pub fn service<S: Clone + Send + Sync + 'static>(config: &Config) -> Option<Router<S>> {
    let dist = config.dist.as_deref()?;
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).ok()?;
    let csp = app_csp(&html, config);
    let csp = HeaderValue::from_str(&csp).ok()?;
    // `fallback`, not `not_found_service`: the shell must answer 200.
    let files = ServeDir::new(dist).fallback(ServeFile::new(&index));
    Some(
        Router::new()
            .fallback_service(files)
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                csp,
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            )),
    )
}

/// Whether `dist` holds a built app.
pub fn exists(dist: &Path) -> bool {
    dist.join("index.html").is_file()
}

fn app_csp(html: &str, config: &Config) -> String {
    let hashes: Vec<String> = inline_scripts(html)
        .map(|s| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(s.as_bytes()))))
        .collect();
    // Avatars come from providers' CDNs over https; plain-http provider hosts
    // (the simulator in development) are named one by one.
    let mut img = vec!["'self'".to_owned(), "data:".to_owned(), "https:".to_owned()];
    for p in &config.providers {
        if let Some(base) = p.options.get("base_url").and_then(|v| v.as_str())
            && let Ok(url) = url::Url::parse(base)
            && url.scheme() == "http"
        {
            img.push(url.origin().ascii_serialization());
        }
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; \
         img-src {}; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        hashes.join(" "),
        img.join(" ")
    )
}

/// The bodies of `<script>` elements without `src` — what Trunk injects.
/// A tiny scanner rather than an HTML parser: the input is our own build
/// output, and only script bodies matter.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let after = &rest[start..];
            let open_end = after.find('>')?;
            let tag = &after[..open_end];
            let body_start = open_end + 1;
            let close = after[body_start..].find("</script>")?;
            let body = &after[body_start..body_start + close];
            rest = &after[body_start + close + "</script>".len()..];
            if !tag.contains(" src=") && !body.trim().is_empty() {
                return Some(body);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_only() {
        let html = r#"<head><script src="/a.js"></script>
<script type="module">import init from '/app.js';await init();</script></head>
<body><script>x()</script></body>"#;
        let found: Vec<_> = inline_scripts(html).collect();
        assert_eq!(
            found,
            vec!["import init from '/app.js';await init();", "x()"]
        );
    }
}
