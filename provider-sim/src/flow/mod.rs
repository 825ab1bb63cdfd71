//! The OAuth pipeline the dialects share: the authorization endpoint and the token endpoint's opening.
//!
//! - `authorize`: the [`AuthorizeFlow`] hooks and the generic `GET` authorize
//!   and `POST` consent-form handlers that drive them; the client and
//!   redirect-URI check and the PKCE request parameters.
//! - `token`: the token call's parameters, fault and counters (and `serve`, a
//!   whole form-encoded call), client authentication (HTTP Basic and the body),
//!   grant-type dispatch, and the RFC 6749 error bodies for the grant store's refusals.
//!
//! What a dialect issues lives in its [`crate::grants::Grants`] store; bearer
//! checks are [`crate::grants::Grants::bearer`], and [`bearer_user`] here
//! adds the user and the RFC 6750 401. Nothing here names a dialect.

pub(crate) mod authorize;
pub(crate) mod token;

pub(crate) use authorize::{AuthorizeFlow, ClientPages, Http, Verified};

use axum::{http::HeaderMap, response::Response};

use crate::{
    grants::{Access, Grants},
    oauth,
    state::World,
    users::User,
};

/// The user and grant behind a request's bearer token; `Err` is the RFC 6750 401.
pub(crate) fn bearer_user<'w, 'g, C, A, R>(
    world: &'w World,
    grants: &'g Grants<C, A, R>,
    headers: &HeaderMap,
) -> Result<(&'w User, &'g Access<A>), Box<Response>> {
    let grant = grants
        .bearer(headers, world.clock.now())
        .map_err(|failure| Box::new(oauth::invalid_token(failure.describe())))?;
    let user = world
        .user(grant.user_id)
        .ok_or_else(|| Box::new(oauth::invalid_token("the account no longer exists")))?;
    Ok((user, grant))
}
