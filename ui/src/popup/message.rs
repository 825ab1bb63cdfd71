//! The callback's answer: parsing a popup message, and the sign-in states and failures it leads to.

use keyhole_api::{POPUP_MESSAGE_TYPE, PopupMessage};

use crate::i18n::{Text, Texts};

/// Longest provider `error_description` shown; the rest is cut off.
const MAX_DESCRIPTION_CHARS: usize = 300;

/// Where the sign-in flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoginState {
    /// Nothing in progress.
    #[default]
    Idle,
    /// The popup is open.
    Waiting {
        /// Provider id.
        provider: String,
        /// Provider display name.
        name: String,
    },
    /// The popup was closed without an answer.
    Cancelled,
    /// The provider or the server refused the sign-in.
    Failed(LoginFailure),
}

/// A sign-in that came back with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailure {
    /// The error code (`access_denied`, `csrf`, `provider_error`, ...).
    pub code: String,
    /// Provider id, when known.
    pub provider: Option<String>,
    /// Provider display name, when known at the time of the failure.
    pub provider_name: Option<String>,
    /// The provider's own description: attacker-controlled, shown as text only.
    pub description: Option<String>,
}

impl LoginFailure {
    /// The sentence to show (tracked), naming the provider as `provider_name`.
    pub fn message(&self, texts: Texts, provider_name: &str) -> String {
        let text = match self.code.as_str() {
            "access_denied" => Text::LoginDeclined,
            "csrf" | "invalid_state" => Text::LoginExpired,
            "provider_unavailable" | "temporarily_unavailable" => Text::LoginProviderUnavailable,
            "provider_error" | "server_error" => Text::LoginProviderError,
            "invalid_request" => Text::LoginInvalidRequest,
            _ => Text::LoginFailed,
        };
        texts.tf(text, &[("provider", provider_name)])
    }

    /// "{provider} said: …" with the provider's description, if it sent one.
    pub fn detail(&self, texts: Texts, provider_name: &str) -> Option<String> {
        let description = self.description.as_deref()?.trim();
        if description.is_empty() {
            return None;
        }
        let mut shown: String = description.chars().take(MAX_DESCRIPTION_CHARS).collect();
        if shown.len() < description.len() {
            shown.push('…');
        }
        Some(texts.tf(
            Text::ProviderSaid,
            &[("provider", provider_name), ("description", &shown)],
        ))
    }
}

/// Parses a message payload, keeping only Keyhole login messages.
pub fn parse_message(json: &str) -> Option<PopupMessage> {
    let message: PopupMessage = crate::json::decode(json).ok()?;
    (message.kind == POPUP_MESSAGE_TYPE).then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use leptos::prelude::Signal;

    #[test]
    fn parse_message_accepts_only_keyhole_login_messages() {
        let ok = parse_message(r#"{"type":"keyhole:login","provider":"aihubmix","ok":true}"#);
        assert_eq!(ok.map(|m| m.ok), Some(true));
        assert!(parse_message(r#"{"type":"other","provider":"x","ok":true}"#).is_none());
        assert!(parse_message(r#""just a string""#).is_none());
        assert!(parse_message("not json").is_none());
    }

    #[test]
    fn failures_read_well_and_keep_provider_text_as_is() {
        let english = Texts::new(Signal::stored(Lang::En), None);
        let failure = LoginFailure {
            code: "access_denied".to_owned(),
            provider: Some("aihubmix".to_owned()),
            provider_name: Some("AIHubMix".to_owned()),
            description: Some("<img src=x onerror=alert(1)>".to_owned()),
        };
        assert_eq!(
            failure.message(english, "AIHubMix"),
            "You declined the sign-in at AIHubMix."
        );
        assert_eq!(
            failure.detail(english, "AIHubMix").as_deref(),
            Some("AIHubMix said: <img src=x onerror=alert(1)>")
        );
        let expired = LoginFailure {
            code: "invalid_state".to_owned(),
            ..failure.clone()
        };
        assert!(expired.message(english, "AIHubMix").contains("expired"));
        let unknown = LoginFailure {
            code: "weird".to_owned(),
            description: Some("  ".to_owned()),
            ..failure
        };
        assert!(unknown.message(english, "AIHubMix").contains("AIHubMix"));
        assert_eq!(unknown.detail(english, "AIHubMix"), None);
    }

    #[test]
    fn long_descriptions_are_cut() {
        let english = Texts::new(Signal::stored(Lang::En), None);
        let failure = LoginFailure {
            code: "provider_error".to_owned(),
            provider: None,
            provider_name: None,
            description: Some("é".repeat(1000)),
        };
        let detail = failure.detail(english, "X").unwrap_or_default();
        assert!(detail.ends_with('…'));
        assert!(detail.chars().count() < MAX_DESCRIPTION_CHARS + 20);
    }
}
