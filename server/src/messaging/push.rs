//! Pushing a text to the signed-in person's LINE account.

use super::records::{Friendship, friendship, note_link};
use crate::{
    error::ApiError,
    providers::{Provider, Registry, is_line_user_id},
    session::SessionId,
    tokens::Tokens,
};
use axum::http::StatusCode;
use keyhole_api::{ConnectionStatus, ErrorCode, MessageResult};
use uuid::Uuid;

/// Pushes `text` to the LINE account the person signed in with, through the
/// messaging `provider`. Refuses (409) when the webhooks — or, lacking them,
/// LINE Login's friendship status — say the person has not befriended or has
/// blocked the official account, since LINE would accept and silently drop
/// the message.
pub async fn send_to_person(
    tokens: &Tokens,
    providers: &Registry,
    provider: &Provider,
    session: &SessionId,
    text: &str,
) -> Result<MessageResult, ApiError> {
    let id = provider.info().id.as_str();
    let messaging = provider.messaging().ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::NotSupported,
            "This provider does not support that.",
        )
        .for_provider(id)
    })?;
    let login_id = messaging.login_provider();
    let record = tokens
        .sessions()
        .load(session)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let Some(connection) = record.connections.get(login_id) else {
        let name = providers
            .get(login_id)
            .map_or(login_id, |p| p.info().name.as_str());
        return Err(ApiError::not_found(format!(
            "Sign in with {name} first: messages go to the LINE account you signed in with."
        ))
        .for_provider(login_id));
    };
    // A LINE sign-in that needs renewing is not proof of who to message.
    if connection.status == ConnectionStatus::ReauthRequired {
        return Err(ApiError::reauth_required(login_id));
    }
    let user = connection.profile.id.clone();
    if !is_line_user_id(&user) {
        return Err(ApiError::internal(format!(
            "{login_id}: the profile id is not a LINE user id"
        )));
    }
    let friend = match friendship(tokens.sessions(), id, &user).await? {
        Some(known) => Some(known.state == Friendship::Friend),
        None => login_friendship(tokens, providers, session, login_id).await,
    };
    if friend == Some(false) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::NotSupported,
            "Your LINE account has not added the official account as a friend (or has blocked it), \
             so LINE would not deliver the message. Add it as a friend, then try again.",
        )
        .for_provider(id));
    }
    let pushed = messaging
        .push_text(&user, text, Uuid::new_v4())
        .await
        .map_err(|e| ApiError::from_provider(id, &e))?;
    tracing::info!(
        provider = id,
        attempts = pushed.attempts,
        replayed = pushed.replayed,
        "message pushed"
    );
    // The message is out: a failure to note the link is only logged.
    if let Err(e) = note_link(tokens.sessions(), id, &user).await {
        tracing::warn!(provider = id, error = %e, "could not record the messaging link");
    }
    Ok(MessageResult { delivered: true })
}

/// Whether the person is a friend per LINE Login, when that provider can
/// tell; `None` when it cannot (the push is then attempted).
async fn login_friendship(
    tokens: &Tokens,
    providers: &Registry,
    session: &SessionId,
    login_id: &str,
) -> Option<bool> {
    let login = providers.get(login_id)?;
    let friends = login.friends()?;
    let result = tokens
        .with_token(session, login, |token| async move {
            friends.is_friend(&token).await
        })
        .await;
    match result {
        Ok(friend) => Some(friend),
        Err(e) => {
            tracing::debug!(
                provider = login_id,
                code = e.code().as_str(),
                "friendship unknown; pushing anyway"
            );
            None
        }
    }
}
