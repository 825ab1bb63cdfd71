//! [`Lang`]: the languages Keyhole's pages and components speak, and how a browser's preference picks one.

/// A language Keyhole speaks: the app, the components of `keyhole-leptos`
/// and the pages the server renders itself (the login callback's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English, also for a browser that wants none of the others.
    #[default]
    En,
    /// Traditional Chinese as written in Taiwan.
    ZhTw,
    /// Thai.
    Th,
    /// Korean.
    Ko,
}

impl Lang {
    /// Every language, in the order of a language menu.
    pub const ALL: [Self; 4] = [Self::En, Self::ZhTw, Self::Th, Self::Ko];

    /// BCP 47 tag: `<html lang>`, the login URL's `lang`, date formatting.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhTw => "zh-TW",
            Self::Th => "th",
            Self::Ko => "ko",
        }
    }

    /// The language's name in itself, as a language menu shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::ZhTw => "繁體中文",
            Self::Th => "ไทย",
            Self::Ko => "한국어",
        }
    }

    /// The language for a BCP 47 tag, matched on its primary subtag
    /// (case-insensitive): `en-GB` is English, `th-TH` Thai, `ko-KR` Korean,
    /// and any `zh` (`zh-TW`, `zh-Hant-HK`, also `zh-CN`) Traditional
    /// Chinese, the only Chinese Keyhole has and still far closer than
    /// English.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "zh" => Some(Self::ZhTw),
            "th" => Some(Self::Th),
            "ko" => Some(Self::Ko),
            _ => None,
        }
    }

    /// The first of `preferred` (most preferred first) that Keyhole speaks,
    /// else English.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Self {
        preferred
            .into_iter()
            .find_map(Self::from_tag)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_languages_pick_the_first_one_spoken() {
        assert_eq!(Lang::negotiate(["th-TH", "en-US"]), Lang::Th);
        assert_eq!(Lang::negotiate(["de-DE", "zh-Hant-TW", "en"]), Lang::ZhTw);
        assert_eq!(Lang::negotiate(["zh_TW"]), Lang::ZhTw);
        assert_eq!(Lang::negotiate(["EN-gb", "th"]), Lang::En);
        assert_eq!(Lang::negotiate(["ko-KR", "ko", "en-US"]), Lang::Ko);
        assert_eq!(Lang::negotiate(["ja-JP", "KO"]), Lang::Ko);
        assert_eq!(Lang::negotiate(["fr", "de"]), Lang::En);
        assert_eq!(Lang::negotiate([]), Lang::En);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn tags_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
    }
}
