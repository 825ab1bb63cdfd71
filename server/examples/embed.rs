//! Keyhole inside another axum app. The host keeps its own pages and its own
//! fallback, mounts Keyhole's routes under `/auth`, and its `/usage` handler
//! reads the signed-in person's AIHubMix account with a token Keyhole keeps
//! fresh. No secret or token ever reaches the browser.
//!
//! Try it against the provider simulator, in two terminals:
//!
//! ```text
//! cargo run -p provider-sim -- --port 9000 --app-url http://127.0.0.1:4000
//! curl -X POST http://127.0.0.1:9000/_sim/clients -H 'content-type: application/json' -d \
//!   '{"dialect":"aihubmix","client_id":"embed","client_secret":"embed-secret",
//!     "redirect_uri":"http://127.0.0.1:4000/auth/auth/aihubmix/callback"}'
//! KEYHOLE_AIHUBMIX_CLIENT_SECRET=embed-secret cargo run -p keyhole --example embed
//! ```
//!
//! then open <http://127.0.0.1:4000/>, sign in, and follow the usage link.
//!
//! With `EMBED_SITE` naming a built Leptos app (the example host of
//! `examples/host-app`, which signs in through `keyhole-leptos`; `cargo
//! xtask e2e` builds it), the host serves that app at `/` instead of its
//! plain page. `EMBED_ADDR` (default `127.0.0.1:4000`, port `0` for any)
//! is where it listens; the redirect URI follows it.

use axum::{
    Json, Router,
    extract::{FromRef, State},
    http::StatusCode,
    response::Html,
    routing::get,
};
use keyhole::{ApiError, Keyhole, Session, config::Config};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};
use url::Url;

/// The host's state: Keyhole, and where AIHubMix's userinfo is.
#[derive(Debug, Clone)]
pub struct Host {
    keyhole: Keyhole,
    userinfo: Url,
}

impl FromRef<Host> for Keyhole {
    fn from_ref(host: &Host) -> Keyhole {
        host.keyhole.clone()
    }
}

/// The host app: its pages, Keyhole under `/auth` (the config's
/// `base_path`), and its fallback. `userinfo` is AIHubMix's userinfo URL.
/// With `site` (a built Leptos app's directory) the host serves that app at
/// `/` and its files beside it; without, a plain server-rendered page.
pub fn app(keyhole: Keyhole, userinfo: Url, site: Option<&Path>) -> Router {
    let host = Host {
        keyhole: keyhole.clone(),
        userinfo,
    };
    let not_found = || async { (StatusCode::NOT_FOUND, "The host has no such page.") };
    let app = Router::new().route("/usage", get(usage));
    let app = match site {
        Some(site) => app
            .route_service("/", ServeFile::new(site.join("index.html")))
            .fallback_service(ServeDir::new(site).not_found_service(get(not_found))),
        None => app.route("/", get(home)).fallback(not_found),
    };
    keyhole.mount(app).with_state(host)
}

async fn home(session: Option<Session>) -> Html<String> {
    let who = session
        .as_ref()
        .and_then(|s| s.connections().first())
        .map(|c| c.profile.display_name.clone());
    Html(match who {
        // Provider text is escaped before it is put in HTML.
        Some(name) => format!(
            "<p>Signed in as {}. <a href=\"/usage\">Usage</a></p>",
            html_escape::encode_text(&name)
        ),
        None => {
            "<p><a href=\"/auth/auth/aihubmix/login?mode=redirect\">Sign in with AIHubMix</a></p>"
                .to_owned()
        }
    })
}

/// What the host shows of the AIHubMix account.
#[derive(Debug, Serialize, Deserialize)]
pub struct Usage {
    /// The AIHubMix user name.
    pub username: String,
    /// Remaining quota, in AIHubMix's units.
    pub quota: i64,
}

/// The person's AIHubMix usage, read with Keyhole's token — refreshed
/// before it expires, and once more if AIHubMix refuses it — through
/// Keyhole's upstream path (its timeouts, body cap and metrics).
async fn usage(session: Session, State(host): State<Host>) -> Result<Json<Usage>, ApiError> {
    let http = host
        .keyhole
        .upstream("aihubmix")
        .ok_or_else(|| ApiError::not_found("AIHubMix is not configured."))?;
    let (http, url) = (&http, &host.userinfo);
    let usage = session
        .with_token("aihubmix", |token| async move {
            // A 401 is `Unauthorized`, which `with_token` answers with a refresh.
            http.get_json::<Usage>("usage", url, &token).await
        })
        .await?;
    Ok(Json(usage))
}

/// The config of the run described at the top, for a host at `public_url`,
/// secrets from the environment.
pub fn config(
    sim: &str,
    public_url: &str,
    env: keyhole::config::EnvLookup<'_>,
) -> Result<Config, keyhole::config::ConfigError> {
    Config::from_toml(
        &format!(
            r#"
            public_url = "{public_url}"
            base_path = "/auth"
            [session]
            store = "memory"
            [[providers]]
            id = "aihubmix"
            kind = "aihubmix"
            name = "AIHubMix"
            client_id = "embed"
            base_url = "{sim}/aihubmix"
            "#
        ),
        env,
    )
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    let env = |name: &str| std::env::var(name).ok();
    let sim = env("SIM_URL").unwrap_or_else(|| "http://127.0.0.1:9000".to_owned());
    let addr = env("EMBED_ADDR").unwrap_or_else(|| "127.0.0.1:4000".to_owned());
    let site = env("EMBED_SITE").map(std::path::PathBuf::from);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let public_url = format!("http://{}", listener.local_addr()?);
    let keyhole = Keyhole::open(config(&sim, &public_url, &env)?, &env).await?;
    let userinfo = Url::parse(&format!("{sim}/aihubmix/api/oauth2/userinfo"))?;
    println!("embed example listening on {public_url}");
    axum::serve(listener, app(keyhole, userinfo, site.as_deref())).await?;
    Ok(())
}
