//! The bare baselines: axum serving a captured `/api/me` body, and an axum + reqwest pass-through.

use anyhow::Result;
use reqwest::header;

/// The baselines, in this (release-built) process: a bare axum handler
/// serving a captured `/api/me` body (what the route would cost without
/// sessions, middleware and keyhole's work), and a bare axum + reqwest
/// pass-through to the simulator's userinfo with a fixed token (what any
/// proxy hop costs, before keyhole's own work).
#[derive(Debug)]
pub(crate) struct Bare {
    pub(crate) me_url: String,
    pub(crate) proxy_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Bare {
    pub(crate) async fn start(
        me_body: axum::body::Bytes,
        http: reqwest::Client,
        upstream: String,
        token: &str,
    ) -> Result<Self> {
        use axum::{
            http::{StatusCode as AxumStatus, header::CONTENT_TYPE},
            routing::get,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let bearer = format!("Bearer {token}");
        let app = axum::Router::new()
            .route(
                "/api/me",
                get(move || {
                    let body = me_body.clone();
                    async move { ([(CONTENT_TYPE, "application/json")], body) }
                }),
            )
            .route(
                "/balance",
                get(move || {
                    let (http, upstream, bearer) = (http.clone(), upstream.clone(), bearer.clone());
                    async move {
                        let body = async {
                            let response = http
                                .get(upstream)
                                .header(header::AUTHORIZATION, bearer)
                                .send()
                                .await?
                                .error_for_status()?;
                            response.bytes().await
                        };
                        match body.await {
                            Ok(body) => Ok(([(CONTENT_TYPE, "application/json")], body)),
                            Err(_) => Err(AxumStatus::BAD_GATEWAY),
                        }
                    }
                }),
            );
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("xtask bench: bare server: {e}");
            }
        });
        Ok(Self {
            me_url: format!("http://{addr}/api/me"),
            proxy_url: format!("http://{addr}/balance"),
            task,
        })
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        self.task.abort();
    }
}
