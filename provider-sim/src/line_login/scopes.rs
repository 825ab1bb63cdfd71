//! The `openid`, `profile` and `email` scopes: parsing, comparing, and how responses and the consent page show them.

use std::fmt;

/// The granted subset of `openid`, `profile` and `email`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Scopes {
    pub(super) openid: bool,
    pub(super) profile: bool,
    pub(super) email: bool,
}

impl Scopes {
    /// A space-separated list; `Err` carries the first unknown scope.
    pub(super) fn parse(raw: &str) -> Result<Self, String> {
        let mut scopes = Self::default();
        for scope in raw.split(' ').filter(|scope| !scope.is_empty()) {
            match scope {
                "openid" => scopes.openid = true,
                "profile" => scopes.profile = true,
                "email" => scopes.email = true,
                unknown => return Err(unknown.to_owned()),
            }
        }
        Ok(scopes)
    }

    pub(super) fn contains(self, other: Self) -> bool {
        (self.openid || !other.openid)
            && (self.profile || !other.profile)
            && (self.email || !other.email)
    }

    pub(super) fn union(self, other: Self) -> Self {
        Self {
            openid: self.openid || other.openid,
            profile: self.profile || other.profile,
            email: self.email || other.email,
        }
    }

    /// The `scope` of token and verify responses: never `email` (documented),
    /// `openid` only if the option says so.
    pub(super) fn reported(self, list_openid: bool) -> String {
        let names = [
            (self.profile, "profile"),
            (self.openid && list_openid, "openid"),
        ];
        crate::oauth::scope_string(&names)
    }

    pub(super) fn permissions(self) -> Vec<&'static str> {
        let mut words = Vec::new();
        if self.profile {
            words.push("Your profile: display name, profile picture and status message");
        }
        if self.openid {
            words.push("Your internal LINE user identifier (OpenID Connect)");
        }
        if self.email {
            words.push("Your email address");
        }
        words
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.profile, "profile"),
            (self.openid, "openid"),
            (self.email, "email"),
        ];
        f.write_str(&crate::oauth::scope_string(&names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_report() {
        let all = Scopes::parse("openid  profile email").expect("valid");
        assert_eq!(all.to_string(), "profile openid email");
        assert_eq!(all.reported(true), "profile openid");
        assert_eq!(all.reported(false), "profile");
        assert_eq!(Scopes::parse("profile chat"), Err("chat".to_owned()));
        let profile = Scopes::parse("profile").expect("valid");
        assert!(all.contains(profile));
        assert!(!profile.contains(all));
        assert_eq!(profile.union(all), all);
    }
}
