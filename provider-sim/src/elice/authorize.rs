//! Elice's authorize page: its hooks of the shared flow, the consent page in the `lang` language, and error redirects.

use axum::response::Response;
use serde::Deserialize;

use super::{AUTHORIZE, DECISION, DECISION_PATH, DialectState, ErrorRedirect, PREFIX, READ};
use crate::{
    consent::{self, ConsentPage, Wording},
    flow::{AuthorizeFlow, ClientPages, Http, Verified, authorize::known_user},
    oauth::non_empty,
    state::World,
};

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

/// Query of `GET /oauth/authorize`, also carried by the consent form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    lang: Option<String>,
}

/// An authorization request that passed every check.
#[derive(Debug)]
pub(super) struct ValidRequest {
    /// Its `state` is always there: Elice requires one.
    base: Verified,
    /// The scope as requested (comma-separated), carried through the form.
    scope: String,
    lang: String,
}

/// An authorization error in the configured [`ErrorRedirect`] format.
fn error_redirect(
    format: ErrorRedirect,
    request: &Verified,
    error: &str,
    description: &str,
) -> Response {
    match format {
        ErrorRedirect::Error => request.redirect(&[("error", error)]),
        ErrorRedirect::ErrorDescription => request.error(error, description),
        ErrorRedirect::Page => consent::info_page(
            "Elice login failed (simulated)",
            &[&format!("{error}: {description}")],
        ),
    }
}

/// Elice's one authorization flow.
pub(super) struct Flow;

impl AuthorizeFlow for Flow {
    type Dialect = DialectState;
    type Params = AuthorizeParams;
    type Request = ValidRequest;
    const AUTHORIZE: &'static str = AUTHORIZE;
    const DECISION: &'static str = DECISION;
    const PAGES: ClientPages =
        ClientPages::standard("The redirect_uri is not one registered for this application.");

    fn client(params: &AuthorizeParams) -> [&Option<String>; 3] {
        [&params.client_id, &params.redirect_uri, &params.state]
    }

    fn validate(
        dialect: &DialectState,
        base: Verified,
        params: &AuthorizeParams,
        _http: &Http,
    ) -> Result<ValidRequest, Box<Response>> {
        let format = dialect.options.error_redirect;
        let fail =
            |error, description: &str| Box::new(error_redirect(format, &base, error, description));
        if base.state.is_none() {
            return Err(fail("invalid_request", "missing parameter: state"));
        }
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
            base,
            scope: scope.to_owned(),
            lang: non_empty(&params.lang).unwrap_or("ko").to_owned(),
        })
    }

    fn auto_user(world: &World, dialect: &DialectState) -> Option<u64> {
        known_user(world, dialect.options.auto_approve_user_id)
    }

    /// The consent page in `lang`.
    fn consent(
        world: &World,
        _dialect: &DialectState,
        request: &ValidRequest,
        _http: &Http,
    ) -> Response {
        let (wording, permission) = wording(&request.lang);
        let base = &request.base;
        let hidden = [
            ("client_id", base.client_id.as_str()),
            ("redirect_uri", base.redirect_uri.as_str()),
            ("state", base.state.as_deref().unwrap_or_default()),
            ("scope", request.scope.as_str()),
            ("lang", request.lang.as_str()),
        ];
        ConsentPage {
            provider: "Elice",
            client_name: &base.client_name,
            permissions: &[permission],
            users: &world.users,
            action: &format!("{PREFIX}{DECISION_PATH}"),
            hidden: &hidden,
        }
        .render_in(wording, "")
    }

    fn approve(
        world: &mut World,
        dialect: &mut DialectState,
        request: &ValidRequest,
        user_id: u64,
    ) -> Response {
        let expires_at = world.clock.after(dialect.options.code_ttl_secs);
        let code = request.base.code(user_id, expires_at, ());
        let code = dialect.grants.add_code(24, code);
        request.base.redirect(&[("code", &code)])
    }

    fn deny(dialect: &DialectState, request: &ValidRequest) -> Response {
        let format = dialect.options.error_redirect;
        let description = "The user denied the request";
        error_redirect(format, &request.base, "access_denied", description)
    }
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
