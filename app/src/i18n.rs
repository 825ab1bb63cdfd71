//! Every user-visible string, as one English table keyed by [`Text`], so translations slot in later.
//!
//! Views never hold literal text: they call [`t`] for fixed strings and [`tf`]
//! for templates with `{name}` placeholders. A translation adds one more table
//! like [`english`] and a language parameter; no view has to change its keys.

/// BCP 47 tag of the table in use; dates and numbers are formatted with it.
pub const LOCALE: &str = "en";

/// Key of one user-visible string. Placeholders are noted where a key has some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Text {
    /// Product name in the header.
    AppName,
    /// Shown while `/api/me` loads.
    Loading,
    /// Sign-in page heading.
    SignInTitle,
    /// Sign-in page introduction.
    SignInIntro,
    /// Sign-in button; `{provider}`.
    SignInWith,
    /// No provider offers sign-in.
    NoProviders,
    /// Live status while the popup is open; `{provider}`.
    Waiting,
    /// Hint under the waiting status.
    WaitingHint,
    /// Closes the sign-in popup.
    Cancel,
    /// The popup was closed without an answer.
    Cancelled,
    /// The person pressed Deny at the provider; `{provider}`.
    LoginDeclined,
    /// State mismatch, expired or foreign login.
    LoginExpired,
    /// The provider could not be reached during sign-in; `{provider}`.
    LoginProviderUnavailable,
    /// The provider answered the sign-in with an error; `{provider}`.
    LoginProviderError,
    /// The sign-in request was rejected as malformed.
    LoginInvalidRequest,
    /// Any other sign-in failure; `{provider}`.
    LoginFailed,
    /// The provider's own error text; `{provider}`, `{description}`.
    ProviderSaid,
    /// Stands in for a provider name that is unknown.
    TheProvider,
    /// Dashboard heading.
    DashboardTitle,
    /// Shown when the session has no connection.
    NoConnections,
    /// Logout button.
    LogOut,
    /// Logout button while the request runs.
    LoggingOut,
    /// Label of the email field.
    Email,
    /// Label of the connection status.
    Status,
    /// Connection status: tokens usable.
    StatusActive,
    /// Connection status: needs a new sign-in.
    StatusReauth,
    /// Banner for an expired connection; `{provider}`.
    ReauthBanner,
    /// Button that restarts the popup flow.
    SignInAgain,
    /// Balance section heading.
    BalanceHeading,
    /// The provider's own balance string; `{formatted}`.
    BalanceFormatted,
    /// Label: remaining amount.
    Remaining,
    /// Label: amount used.
    Used,
    /// Label: total amount.
    Total,
    /// Label: unit of the amounts.
    Unit,
    /// Time the balance was reported; `{time}`.
    AsOf,
    /// Balance refresh button.
    RefreshBalance,
    /// Balance refresh button while loading.
    Refreshing,
    /// Opens the provider's top-up page.
    TopUp,
    /// Top-up button while the URL loads.
    OpeningTopUp,
    /// The server could not be reached.
    ErrorNetwork,
    /// The server is rate limiting.
    ErrorRateLimited,
    /// A provider could not be reached; `{provider}`.
    ErrorProviderUnavailable,
    /// A provider answered with an error; `{provider}`.
    ErrorProviderError,
    /// The provider does not support this; `{provider}`.
    ErrorNotSupported,
    /// Anything else.
    ErrorGeneric,
    /// Request id for support; `{id}`.
    ErrorReference,
    /// Retries a failed load.
    Retry,
    /// Not-found page heading.
    NotFoundTitle,
    /// Not-found page text.
    NotFoundText,
    /// Link back to `/`.
    GoHome,
}

/// The string for `text` in the current language.
pub fn t(text: Text) -> &'static str {
    english(text)
}

/// The template for `text` with each `{name}` replaced by its value in `args`.
///
/// Values are inserted as plain text; the view escapes them like any other text.
pub fn tf(text: Text, args: &[(&str, &str)]) -> String {
    fill(t(text), args)
}

/// Replaces `{name}` placeholders in one pass, so a value that itself contains
/// `{...}` (provider data) is never expanded again.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An RFC 3339 time as a medium date and short time in [`LOCALE`], or the
/// input unchanged when the browser cannot parse it.
pub fn format_time(rfc3339: &str) -> String {
    use wasm_bindgen::JsValue;

    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    let options = js_sys::Object::new();
    for (key, value) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    date.to_locale_string(LOCALE, &options).into()
}

/// The English table.
pub fn english(text: Text) -> &'static str {
    use Text::*;
    match text {
        AppName => "Keyhole",
        Loading => "Loading…",
        SignInTitle => "Sign in to Keyhole",
        SignInIntro => {
            "Choose an account to sign in with. A small window opens where you confirm \
             with the provider; Keyhole never sees your password."
        }
        SignInWith => "Sign in with {provider}",
        NoProviders => "No sign-in provider is configured.",
        Waiting => "Waiting for {provider}…",
        WaitingHint => "Finish signing in in the window that opened.",
        Cancel => "Cancel",
        Cancelled => "Sign-in cancelled.",
        LoginDeclined => "You declined the sign-in at {provider}.",
        LoginExpired => {
            "The sign-in link expired or was opened in another browser. Please try again."
        }
        LoginProviderUnavailable => {
            "{provider} could not be reached. Please try again in a moment."
        }
        LoginProviderError => "{provider} reported a problem with the sign-in. Please try again.",
        LoginInvalidRequest => "The sign-in request was not accepted. Please try again.",
        LoginFailed => "Signing in with {provider} did not work. Please try again.",
        ProviderSaid => "{provider} said: {description}",
        TheProvider => "the provider",
        DashboardTitle => "Your accounts",
        NoConnections => "No account is connected.",
        LogOut => "Log out",
        LoggingOut => "Logging out…",
        Email => "Email",
        Status => "Status",
        StatusActive => "Connected",
        StatusReauth => "Sign-in expired",
        ReauthBanner => "Your {provider} sign-in expired.",
        SignInAgain => "Sign in again",
        BalanceHeading => "Balance",
        BalanceFormatted => "Balance: {formatted}",
        Remaining => "Remaining",
        Used => "Used",
        Total => "Total",
        Unit => "Unit",
        AsOf => "As of {time}",
        RefreshBalance => "Refresh balance",
        Refreshing => "Refreshing…",
        TopUp => "Top up",
        OpeningTopUp => "Opening…",
        ErrorNetwork => "Keyhole could not reach its server. Check your connection and try again.",
        ErrorRateLimited => "Too many requests. Please wait a moment and try again.",
        ErrorProviderUnavailable => {
            "{provider} could not be reached. Please try again in a moment."
        }
        ErrorProviderError => "{provider} answered with an error. Please try again later.",
        ErrorNotSupported => "{provider} does not support this.",
        ErrorGeneric => "Something went wrong. Please try again.",
        ErrorReference => "Reference: {id}",
        Retry => "Try again",
        NotFoundTitle => "Page not found",
        NotFoundText => "There is nothing at this address.",
        GoHome => "Go to the start page",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        assert_eq!(
            tf(Text::SignInWith, &[("provider", "AIHubMix")]),
            "Sign in with AIHubMix"
        );
        assert_eq!(fill("a {x} b {y}", &[("x", "1")]), "a 1 b {y}");
        assert_eq!(fill("open { brace", &[]), "open { brace");
    }

    #[test]
    fn inserted_values_are_not_expanded_again() {
        let out = tf(
            Text::ProviderSaid,
            &[("provider", "{description}"), ("description", "<b>x</b>")],
        );
        assert_eq!(out, "{description} said: <b>x</b>");
    }
}
