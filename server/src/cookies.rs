//! The two cookies: the session id and the login-binding value. Both are
//! HttpOnly, SameSite=Lax (the provider's redirect back is cross-site), Path=/,
//! and Secure with the `__Host-` prefix whenever the public URL is https.

use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// Cookie names and flags for this deployment.
#[derive(Debug, Clone)]
pub struct Cookies {
    secure: bool,
    session_name: &'static str,
    binding_name: &'static str,
}

impl Cookies {
    /// Flags for a public URL that is (or is not) https.
    pub fn new(https: bool) -> Self {
        Self {
            secure: https,
            session_name: if https {
                "__Host-keyhole_session"
            } else {
                "keyhole_session"
            },
            binding_name: if https {
                "__Host-keyhole_login"
            } else {
                "keyhole_login"
            },
        }
    }

    /// Whether the deployment is https (cookies `Secure`, `__Host-`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Name of the session cookie.
    pub fn session_name(&self) -> &'static str {
        self.session_name
    }

    /// Name of the login-binding cookie.
    pub fn binding_name(&self) -> &'static str {
        self.binding_name
    }

    /// The session cookie; lives as long as the session.
    pub fn session(&self, id: &str, max_age: time::Duration) -> Cookie<'static> {
        self.build(self.session_name, id.to_owned(), max_age)
    }

    /// The binding cookie of pending logins; ten minutes, like the logins.
    pub fn binding(&self, value: &str) -> Cookie<'static> {
        self.build(
            self.binding_name,
            value.to_owned(),
            crate::session::PENDING_TTL,
        )
    }

    /// A cookie that deletes `name` in the browser.
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        self.build(name, String::new(), time::Duration::ZERO)
    }

    fn build(&self, name: &'static str, value: String, max_age: time::Duration) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(max_age)
            .build()
    }
}

/// What the store keeps of a binding cookie: its SHA-256, so a store dump
/// does not hand out working bindings.
pub fn binding_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_uses_host_prefix_and_secure() {
        let c = Cookies::new(true).session("abc", time::Duration::hours(1));
        let s = c.to_string();
        assert!(s.starts_with("__Host-keyhole_session=abc"), "{s}");
        for flag in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(s.contains(flag), "{flag} missing in {s}");
        }
        assert!(!s.contains("Domain"), "__Host- cookies must not set Domain");
    }

    #[test]
    fn http_has_no_prefix_and_no_secure() {
        let s = Cookies::new(false).binding("v").to_string();
        assert!(s.starts_with("keyhole_login=v"), "{s}");
        assert!(!s.contains("Secure"));
        assert!(s.contains("HttpOnly"));
    }
}
