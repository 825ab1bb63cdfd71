//! Feishu's admin options: lifetimes, error codes and unverified behaviours, and `/_sim/feishu/options`.

use axum::http::StatusCode;

crate::dialect::options! {
    /// Lifetimes, and the behaviours Feishu's own documents leave unverified.
    struct Options {
        /// Lifetime of a new app_access_token (`expire`, at most 7200).
        app_token_ttl_secs: u64 = 7200,
        /// A new app_access_token is issued only when the current one has fewer
        /// seconds than this left (30 minutes); until then the same one is returned.
        app_token_reissue_below_secs: u64 = 1800,
        /// Error code for a wrong `app_id`/`app_secret`: 10014 (legacy) or 99991543 ([V3]).
        app_credentials_error_code: u32 = 10014,
        /// user_access_token lifetime (`expires_in`).
        user_token_ttl_secs: u64 = 7200,
        /// v1 refresh-token lifetime (`refresh_expires_in`, about 30 days).
        refresh_token_ttl_secs: u64 = 2_592_000,
        /// v2 refresh-token lifetime (`refresh_token_expires_in`, 7 days in the docs' example).
        v2_refresh_token_ttl_secs: u64 = 604_800,
        /// Authorization-code lifetime (5 minutes).
        code_ttl_secs: u64 = 300,
        /// How long the previous user_access_token keeps working after a refresh
        /// (1 minute); `null` keeps it valid until its own expiry.
        old_access_token_grace_secs: Option<u64> = Some(60),
        /// Error code for a refresh token that was already used: 20064 ("revoked")
        /// or 20073 ("already used", [V3]).
        refresh_reuse_code: u32 = 20064,
        /// Error code for an expired user_access_token: 99991677 or 99991668
        /// (the server may not tell expired from invalid) — both [V3].
        expired_user_token_code: u32 = 99_991_677,
        /// HTTP status of every gateway error (9999xxxx: bad or expired tokens);
        /// `null`, the default, answers each with its realistic 4xx status
        /// (401 for missing or bad tokens, 400 for a malformed one, 403 for
        /// scopes, 429 for rate limits: [I], see docs/providers.md §5.3), and
        /// `200` is the form of v1's business errors.
        gateway_error_status: Option<u16> = None,
        /// Whether `email`, `enterprise_email`, `user_id`, `mobile` and
        /// `employee_no` are sent; the real service needs contact scopes for them.
        include_contact_fields: bool = true,
        /// Skip the consent page and sign this user in straight away (the Feishu
        /// desktop client's "login-free" behaviour).
        auto_approve_user_id: Option<u64> = None,
    }
}

impl Options {
    /// The one value serde cannot refuse: a number that is no HTTP status.
    pub(super) fn check(&self) -> Result<(), String> {
        match self.gateway_error_status.map(StatusCode::from_u16) {
            Some(Err(_)) => Err("gateway_error_status is not an HTTP status".to_owned()),
            _ => Ok(()),
        }
    }
}
