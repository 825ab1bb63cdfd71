//! One same-origin `fetch` through web-sys: method, URL, optional JSON body; the status and the body as text.
//!
//! Written here rather than taken from gloo-net: its request layer brings
//! the `http` crate's types and body streams into the bundle, for the
//! dozen lines below (measured in BENCHMARKS.md, "First load").

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// What came back: the HTTP status and the whole body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Reply {
    /// A 2xx status.
    pub(crate) fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends one request with `headers` (name, value) and `json` as its body,
/// and reads the whole answer. `Err` is the browser's reason: offline,
/// refused, or a body that could not be read.
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    json: Option<String>,
) -> Result<Reply, String> {
    let init = RequestInit::new();
    init.set_method(method);
    let all = Headers::new().map_err(reason)?;
    for (name, value) in headers {
        all.set(name, value).map_err(reason)?;
    }
    if let Some(body) = json {
        all.set("content-type", "application/json")
            .map_err(reason)?;
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&all);
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(reason)?
        .dyn_into()
        .map_err(reason)?;
    let body = JsFuture::from(response.text().map_err(reason)?)
        .await
        .map_err(reason)?
        .as_string()
        .unwrap_or_default();
    Ok(Reply {
        status: response.status(),
        body,
    })
}

/// The browser's message for a failed call.
fn reason(err: JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "the request failed".to_owned())
}
