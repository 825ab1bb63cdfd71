//! The language of the pages keyhole renders itself (the login callback's):
//! the app's four, picked from the browser's `Accept-Language`, and their
//! few words.

use axum::{extract::FromRequestParts, http::header, http::request::Parts};
use keyhole_api::Lang;
use std::convert::Infallible;

/// At most this many `Accept-Language` entries are read; browsers send a
/// handful, and the rest cannot change the answer enough to matter.
const MAX_ENTRIES: usize = 16;

/// The language of a page the server renders: one of [`Lang`], the
/// languages of the app and its components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageLang(pub Lang);

impl PageLang {
    /// The language for an `Accept-Language` value: the spoken one with the
    /// highest `q` (the first of equals), else English. `q=0` means "not
    /// this one"; an entry with a malformed `q` is skipped.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(u16, Lang)> = None;
        for entry in header.split(',').take(MAX_ENTRIES) {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                Some(q) => match quality(q) {
                    Some(q) => q,
                    None => continue,
                },
                None => 1000,
            };
            if q > 0 && best.is_none_or(|(top, _)| q > top) {
                best = Some((q, lang));
            }
        }
        Self(best.map(|(_, lang)| lang).unwrap_or_default())
    }

    /// The `<html lang>` tag.
    pub fn tag(self) -> &'static str {
        self.0.tag()
    }

    /// The popup's heading after a sign-in that worked.
    pub fn signed_in(self) -> &'static str {
        match self.0 {
            Lang::En => "Signed in. You can close this window.",
            Lang::ZhTw => "已登入。你可以關閉這個視窗。",
            Lang::Th => "เข้าสู่ระบบแล้ว คุณปิดหน้าต่างนี้ได้เลย",
            Lang::Ko => "로그인했습니다. 이 창을 닫아도 됩니다.",
        }
    }

    /// The popup's heading after a sign-in that did not.
    pub fn not_signed_in(self) -> &'static str {
        match self.0 {
            Lang::En => "Sign-in did not complete. You can close this window.",
            Lang::ZhTw => "登入沒有完成。你可以關閉這個視窗。",
            Lang::Th => "การเข้าสู่ระบบไม่สำเร็จ คุณปิดหน้าต่างนี้ได้เลย",
            Lang::Ko => "로그인이 완료되지 않았습니다. 이 창을 닫아도 됩니다.",
        }
    }

    /// The link back into the app.
    pub fn back_to_app(self) -> &'static str {
        match self.0 {
            Lang::En => "Return to the app",
            Lang::ZhTw => "返回應用程式",
            Lang::Th => "กลับไปที่แอป",
            Lang::Ko => "앱으로 돌아가기",
        }
    }

    /// The button of the `form_post` resend page, shown without script.
    pub fn continue_signing_in(self) -> &'static str {
        match self.0 {
            Lang::En => "Continue signing in",
            Lang::ZhTw => "繼續登入",
            Lang::Th => "ดำเนินการเข้าสู่ระบบต่อ",
            Lang::Ko => "로그인 계속하기",
        }
    }
}

/// A `q` value (`0`, `0.8`, `1.000`) in thousandths; `None` if malformed.
fn quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let ok = matches!(whole, "0" | "1")
        && fraction.len() <= 3
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || fraction.bytes().all(|b| b == b'0'));
    if !ok {
        return None;
    }
    let digits = format!("{fraction:0<3}");
    let thousandths: u16 = digits.parse().ok()?;
    Some(if whole == "1" { 1000 } else { thousandths })
}

/// The request's language; English without a usable `Accept-Language`.
impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Self::from_accept_language)
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_wanted_spoken_language_wins() {
        let cases = [
            ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", PageLang(Lang::Ko)),
            ("zh-TW,zh;q=0.9", PageLang(Lang::ZhTw)),
            ("zh-Hant-HK", PageLang(Lang::ZhTw)),
            ("th", PageLang(Lang::Th)),
            ("de-DE,fr;q=0.8", PageLang(Lang::En)),
            ("de-DE,th;q=0.5,ko;q=0.6", PageLang(Lang::Ko)),
            ("en;q=0.5, th", PageLang(Lang::Th)),
            ("ko;q=0, th;q=0.1", PageLang(Lang::Th)),
            ("ko;q=0", PageLang(Lang::En)),
            ("KO-kr", PageLang(Lang::Ko)),
            ("th;q=0.5,ko;q=0.5", PageLang(Lang::Th)),
            ("ko;q=2,th;q=abc,zh;q=0.3", PageLang(Lang::ZhTw)),
            ("*", PageLang(Lang::En)),
            ("", PageLang(Lang::En)),
            (";;,,;q=", PageLang(Lang::En)),
        ];
        for (header, lang) in cases {
            assert_eq!(PageLang::from_accept_language(header), lang, "{header}");
        }
    }

    #[test]
    fn q_values_are_read_as_the_rfc_spells_them() {
        assert_eq!(quality("1"), Some(1000));
        assert_eq!(quality("1.000"), Some(1000));
        assert_eq!(quality("0.8"), Some(800));
        assert_eq!(quality("0.05"), Some(50));
        assert_eq!(quality("0"), Some(0));
        for bad in ["1.5", "2", "0.1234", "-1", "", ".5", "0.x", "NaN"] {
            assert_eq!(quality(bad), None, "{bad}");
        }
    }
}
