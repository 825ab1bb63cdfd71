//! Helpers every dialect's contract tests share: reading the simulator's
//! HTML forms the way a browser would submit them.

#![allow(dead_code, unreachable_pub)]

/// The value of attribute `name` on the first `tag` in `html`, entity-decoded.
pub fn attribute(html: &str, tag: &str, name: &str) -> Option<String> {
    let start = html.find(tag)?;
    let tag_text = &html[start..start + html[start..].find('>')?];
    let needle = format!("{name}=\"");
    let value_start = tag_text.find(&needle)? + needle.len();
    let value_len = tag_text[value_start..].find('"')?;
    let raw = &tag_text[value_start..value_start + value_len];
    Some(html_escape::decode_html_entities(raw).into_owned())
}

/// Every `<input type="hidden">` of `html` as (name, value).
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input type=\"hidden\"")
        .filter_map(|(index, _)| {
            let rest = &html[index..];
            Some((
                attribute(rest, "<input", "name")?,
                attribute(rest, "<input", "value")?,
            ))
        })
        .collect()
}

/// The query of a redirect's `Location`, which must point at `redirect_uri`.
pub fn redirect_query(
    response: &reqwest::Response,
    redirect_uri: &str,
) -> std::collections::HashMap<String, String> {
    let location = response.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("ASCII Location");
    let url = url::Url::parse(location).expect("absolute Location");
    assert_eq!(
        url[..url::Position::AfterPath],
        *redirect_uri,
        "redirects to the registered URI"
    );
    url.query_pairs().into_owned().collect()
}

/// The S256 PKCE challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// A running simulator plus a client that, like Keyhole's, never follows redirects.
pub struct Harness {
    pub sim: provider_sim::SimHandle,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Self {
        let sim = provider_sim::spawn(provider_sim::SimConfig::default())
            .await
            .expect("simulator starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .expect("client builds");
        Self { sim, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url)
    }

    /// `path` with the query `defaults`, each overridden or extended by
    /// `extra` (an empty value removes the parameter).
    pub fn url_with(
        &self,
        path: &str,
        defaults: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> String {
        let mut params = defaults.to_vec();
        for (key, value) in extra {
            params.retain(|(existing, _)| existing != key);
            if !value.is_empty() {
                params.push((key, value));
            }
        }
        let mut url = url::Url::parse(&self.url(path)).expect("url");
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    /// Submits the form in `html` as a browser would: its hidden fields plus `fields`.
    pub async fn submit_form(&self, html: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = hidden_fields(html);
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let action = attribute(html, "<form", "action").expect("form action");
        self.http
            .post(self.url(&action))
            .form(&form)
            .send()
            .await
            .expect("form answered")
    }

    /// An admin call that must succeed.
    pub async fn admin_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        let response = self
            .http
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("admin answers");
        let status = response.status();
        assert!(status.is_success(), "{path}: {status}");
        response
    }

    /// [`Harness::admin_call`]'s JSON body (`null` if it has none).
    pub async fn admin_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let response = self.admin_call(method, path, body).await;
        response.json().await.unwrap_or(serde_json::Value::Null)
    }
}
