//! The `openid`, `profile` and `email` scopes: parsing, comparing, and how responses and the consent page show them.

crate::oauth::scope_set! {
    /// The granted subset of `openid`, `profile` and `email`.
    pub(super) struct Scopes {
        profile = "profile" => "Your profile: display name, profile picture and status message",
        openid = "openid" => "Your internal LINE user identifier (OpenID Connect)",
        email = "email" => "Your email address",
    }
}

impl Scopes {
    /// The `scope` of token and verify responses: never `email` (documented),
    /// `openid` only if the option says so.
    pub(super) fn reported(self, list_openid: bool) -> String {
        let names = [
            (self.profile, "profile"),
            (self.openid && list_openid, "openid"),
        ];
        crate::oauth::scope_string(&names)
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

    #[test]
    fn the_consent_page_lists_granted_scopes_in_declaration_order() {
        let granted = Scopes::parse("email profile").expect("valid");
        assert_eq!(
            granted.permissions(),
            [
                "Your profile: display name, profile picture and status message",
                "Your email address",
            ]
        );
        assert!(Scopes::default().permissions().is_empty());
    }
}
