//! Elice's authorize page: validation, the consent page in the `lang` language, and error redirects.

use super::DialectState;
use crate::elice::{Ctx, NAME};
use crate::oauth::non_empty;
use axum::{
    Router,
    extract::{
        Form, Query, State,
        rejection::{FormRejection, QueryRejection},
    },
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{AUTHORIZE, CodeGrant, DECISION, DECISION_PATH, ErrorRedirect, PREFIX, READ};
use crate::{
    consent::{self, ConsentPage, Wording},
    net::Conn,
    oauth,
    state::World,
};

pub(super) fn router() -> Router<Ctx> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route(DECISION_PATH, post(decide))
}

// ---------------------------------------------------------------------------
// Languages

/// The consent page's languages: `lang` picks one, Korean by default.
fn wording(lang: &str) -> (&'static Wording, &'static str) {
    const KO: Wording = Wording {
        lang: "ko",
        heading: "{provider}에 로그인",
        request: "{client}에서 {provider} 계정에 접근하려고 합니다.",
        only_id: "계정 ID만 볼 수 있습니다.",
        will_see: "다음 정보를 볼 수 있습니다",
        continue_as: "계속할 계정",
        allow: "허용",
        deny: "거부",
    };
    const JA: Wording = Wording {
        lang: "ja",
        heading: "{provider}にログイン",
        request: "{client}があなたの{provider}アカウントへのアクセスを求めています。",
        only_id: "アカウントIDのみが共有されます。",
        will_see: "共有される情報",
        continue_as: "続行するアカウント",
        allow: "許可",
        deny: "拒否",
    };
    const TH: Wording = Wording {
        lang: "th",
        heading: "เข้าสู่ระบบ {provider}",
        request: "{client} ต้องการเข้าถึงบัญชี {provider} ของคุณ",
        only_id: "จะเห็นเพียงรหัสบัญชีของคุณ",
        will_see: "ข้อมูลที่จะเห็นได้",
        continue_as: "ดำเนินการต่อในชื่อ",
        allow: "อนุญาต",
        deny: "ปฏิเสธ",
    };
    match lang {
        "en" => (
            &consent::ENGLISH,
            "Your name, email address, phone number and profile picture",
        ),
        "ja" => (&JA, "氏名、メールアドレス、電話番号、プロフィール画像"),
        "th" => (&TH, "ชื่อ อีเมล หมายเลขโทรศัพท์ และรูปโปรไฟล์"),
        // `ko` and anything unknown: the documented default.
        _ => (&KO, "이름, 이메일, 전화번호, 프로필 사진"),
    }
}

// ---------------------------------------------------------------------------
// Authorize + consent

/// Query of `GET /oauth/authorize`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    lang: Option<String>,
}

/// The consent form: the original parameters plus the user's choices.
#[derive(Debug, Deserialize)]
struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    user_id: Option<String>,
    decision: Option<String>,
}

/// An authorization request that passed every check.
#[derive(Debug)]
struct ValidRequest {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    state: String,
    /// The scope as requested (comma-separated), carried through the form.
    scope: String,
    lang: String,
}

/// Why an authorization request was refused.
#[derive(Debug)]
enum Rejection {
    /// The client or redirect URI cannot be trusted: show a page, never redirect.
    Page {
        title: &'static str,
        message: &'static str,
    },
    /// Anything else goes back to the verified redirect URI, formatted per options.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

impl Rejection {
    fn into_response(self, format: ErrorRedirect) -> Response {
        match self {
            Self::Page { title, message } => consent::error_page(title, message),
            Self::Redirect {
                redirect_uri,
                state,
                error,
                description,
            } => error_redirect(format, &redirect_uri, error, &description, state.as_deref()),
        }
    }
}

/// An authorization error in the configured [`ErrorRedirect`] format.
fn error_redirect(
    format: ErrorRedirect,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    match format {
        ErrorRedirect::Error => {
            let mut params = vec![("error", error)];
            if let Some(state) = state {
                params.push(("state", state));
            }
            oauth::redirect_with(redirect_uri, &params)
        }
        ErrorRedirect::ErrorDescription => {
            oauth::error_redirect(redirect_uri, error, description, state)
        }
        ErrorRedirect::Page => consent::info_page(
            "Elice login failed (simulated)",
            &[&format!("{error}: {description}")],
        ),
    }
}

/// Checks an authorization request: first whether redirecting is safe, then the rest.
fn validate(
    world: &World,
    dialect: &DialectState,
    params: &AuthorizeParams,
) -> Result<ValidRequest, Rejection> {
    let page = |title, message| Rejection::Page { title, message };
    let client_id = non_empty(&params.client_id).ok_or(page(
        "Missing client_id",
        "The authorization request has no client_id.",
    ))?;
    let client = world.clients.get(NAME, client_id).ok_or(page(
        "Unknown application",
        "No application is registered with this client_id.",
    ))?;
    let redirect_uri = non_empty(&params.redirect_uri).ok_or(page(
        "Missing redirect_uri",
        "The authorization request has no redirect_uri.",
    ))?;
    if redirect_uri != client.redirect_uri {
        return Err(page(
            "Redirect URI mismatch",
            "The redirect_uri is not one registered for this application.",
        ));
    }
    let fail = |error, description: &str| Rejection::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: non_empty(&params.state).map(str::to_owned),
        error,
        description: description.to_owned(),
    };
    let Some(state) = non_empty(&params.state) else {
        return Err(fail("invalid_request", "missing parameter: state"));
    };
    // Comma-separated (not space): "read profile" is one unknown scope.
    let scope = non_empty(&params.scope).unwrap_or(READ);
    if dialect.options.reject_unknown_scopes
        && let Some(unknown) = scope
            .split(',')
            .find(|item| !item.is_empty() && *item != READ)
    {
        return Err(fail("invalid_scope", &format!("unknown scope: {unknown}")));
    }
    Ok(ValidRequest {
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
        scope: scope.to_owned(),
        lang: non_empty(&params.lang).unwrap_or("ko").to_owned(),
    })
}

/// Issues a code for `user_id` and redirects back to the client with it.
fn approve(
    world: &mut World,
    dialect: &mut DialectState,
    request: &ValidRequest,
    user_id: u64,
) -> Response {
    let now = world.clock.now();
    let code = oauth::random_token(24);
    dialect.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: request.client_id.clone(),
            user_id,
            expires_at: now.saturating_add(dialect.options.code_ttl_secs),
            redeemed: false,
        },
    );
    oauth::redirect_with(
        &request.redirect_uri,
        &[("code", &code), ("state", &request.state)],
    )
}

/// `GET /oauth/authorize`: validate, then show the consent page in `lang`.
async fn authorize(
    State(ctx): State<Ctx>,
    conn: Conn,
    query: Result<Query<AuthorizeParams>, QueryRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, AUTHORIZE, None).await {
        return response;
    }
    let Ok(Query(params)) = query else {
        return consent::error_page("Bad request", "The authorization request cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let format = dialect.options.error_redirect;
        let request = match validate(world, dialect, &params) {
            Ok(request) => request,
            Err(rejection) => return rejection.into_response(format),
        };
        let auto = dialect
            .options
            .auto_approve_user_id
            .filter(|id| world.user(*id).is_some());
        if let Some(user_id) = auto {
            return approve(world, dialect, &request, user_id);
        }
        let (wording, permission) = wording(&request.lang);
        let hidden = [
            ("client_id", request.client_id.as_str()),
            ("redirect_uri", request.redirect_uri.as_str()),
            ("state", request.state.as_str()),
            ("scope", request.scope.as_str()),
            ("lang", request.lang.as_str()),
        ];
        let action = format!("{PREFIX}{DECISION_PATH}");
        ConsentPage {
            provider: "Elice",
            client_name: &request.client_name,
            permissions: &[permission],
            users: &world.users,
            action: &action,
            hidden: &hidden,
        }
        .render_in(wording)
    })
}

/// `POST /oauth/authorize/decision`: the consent form, validated again.
async fn decide(
    State(ctx): State<Ctx>,
    conn: Conn,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    if let Some(response) = ctx.begin(&conn, DECISION, None).await {
        return response;
    }
    let Ok(Form(form)) = form else {
        return consent::error_page("Bad request", "The consent form cannot be parsed.");
    };
    ctx.with(|world, dialect| {
        let format = dialect.options.error_redirect;
        let request = match validate(world, dialect, &form.params) {
            Ok(request) => request,
            Err(rejection) => return rejection.into_response(format),
        };
        match form.decision.as_deref() {
            Some("allow") => {
                let user_id = form
                    .user_id
                    .as_deref()
                    .and_then(|id| id.parse::<u64>().ok())
                    .filter(|id| world.user(*id).is_some());
                match user_id {
                    Some(user_id) => approve(world, dialect, &request, user_id),
                    None => consent::error_page("No account chosen", "Choose an account."),
                }
            }
            Some("deny") => error_redirect(
                format,
                &request.redirect_uri,
                "access_denied",
                "The user denied the request",
                Some(&request.state),
            ),
            _ => consent::error_page("Bad request", "Choose Allow or Deny."),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_languages_fall_back_to_korean() {
        assert_eq!(wording("ko").0.lang, "ko");
        assert_eq!(wording("fr").0.lang, "ko");
        assert_eq!(wording("en").0.allow, "Allow");
        assert_eq!(wording("th").0.lang, "th");
        assert_eq!(wording("ja").0.lang, "ja");
    }
}
