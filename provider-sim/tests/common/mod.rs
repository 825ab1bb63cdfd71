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
