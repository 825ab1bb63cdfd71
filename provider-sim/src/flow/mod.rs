//! The OAuth pipeline the dialects share: the authorization endpoint and the token endpoint's opening.
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
