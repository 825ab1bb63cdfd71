//! Feishu's admin options: lifetimes, error codes and unverified behaviours, and `/_sim/feishu/options`.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// Lifetimes, and the behaviours Feishu's own documents leave unverified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Options {
    /// Lifetime of a new app_access_token (`expire`, at most 7200).
    pub(crate) app_token_ttl_secs: u64,
    /// A new app_access_token is issued only when the current one has fewer
    /// seconds than this left (30 minutes); until then the same one is returned.
    pub(crate) app_token_reissue_below_secs: u64,
    /// Error code for a wrong `app_id`/`app_secret`: 10014 (legacy) or 99991543 ([V3]).
    pub(crate) app_credentials_error_code: u32,
    /// user_access_token lifetime (`expires_in`).
    pub(crate) user_token_ttl_secs: u64,
    /// v1 refresh-token lifetime (`refresh_expires_in`, about 30 days).
    pub(crate) refresh_token_ttl_secs: u64,
    /// v2 refresh-token lifetime (`refresh_token_expires_in`, 7 days in the docs' example).
    pub(crate) v2_refresh_token_ttl_secs: u64,
    /// Authorization-code lifetime (5 minutes).
    pub(crate) code_ttl_secs: u64,
    /// How long the previous user_access_token keeps working after a refresh
    /// (1 minute); `null` keeps it valid until its own expiry.
    pub(crate) old_access_token_grace_secs: Option<u64>,
    /// Error code for a refresh token that was already used: 20064 ("revoked")
    /// or 20073 ("already used", [V3]).
    pub(crate) refresh_reuse_code: u32,
    /// Error code for an expired user_access_token: 99991677 or 99991668
    /// (the server may not tell expired from invalid) — both [V3].
    pub(crate) expired_user_token_code: u32,
    /// HTTP status of every gateway error (9999xxxx: bad or expired tokens);
    /// `null`, the default, answers each with its realistic 4xx status
    /// (401 for missing or bad tokens, 400 for a malformed one, 403 for
    /// scopes, 429 for rate limits: [I], see docs/providers.md §5.3), and
    /// `200` is the form of v1's business errors.
    pub(crate) gateway_error_status: Option<u16>,
    /// Whether `email`, `enterprise_email`, `user_id`, `mobile` and
    /// `employee_no` are sent; the real service needs contact scopes for them.
    pub(crate) include_contact_fields: bool,
    /// Skip the consent page and sign this user in straight away (the Feishu
    /// desktop client's "login-free" behaviour).
    pub(crate) auto_approve_user_id: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            app_token_ttl_secs: 7200,
            app_token_reissue_below_secs: 1800,
            app_credentials_error_code: 10014,
            user_token_ttl_secs: 7200,
            refresh_token_ttl_secs: 2_592_000,
            v2_refresh_token_ttl_secs: 604_800,
            code_ttl_secs: 300,
            old_access_token_grace_secs: Some(60),
            refresh_reuse_code: 20064,
            expired_user_token_code: 99_991_677,
            gateway_error_status: None,
            include_contact_fields: true,
            auto_approve_user_id: None,
        }
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
