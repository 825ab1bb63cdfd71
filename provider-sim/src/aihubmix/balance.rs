//! `balance_formatted` and the admin endpoint that changes a user's balance.

use crate::aihubmix::Ctx;
use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};

use super::BalanceFormat;
use crate::{admin::AdminError, users::Quota};

/// one-api's `QuotaPerUnit`: 500 000 quota units are US$1.
const QUOTA_PER_USD: i64 = 500_000;

/// `balance_formatted` for `quota`, with two decimals, rounded half away from
/// zero. Integer arithmetic only: a display string must not pick up float noise.
pub(crate) fn format_balance(format: BalanceFormat, quota: Quota) -> String {
    match format {
        BalanceFormat::OneApi => fixed2(i128::from(quota.quota), i128::from(QUOTA_PER_USD)),
        BalanceFormat::Seed => fixed2(i128::from(quota.quota) - i128::from(quota.used_quota), 1000),
    }
}

/// `value / divisor` with two decimals; `divisor` is positive.
fn fixed2(value: i128, divisor: i128) -> String {
    let cents = (value.abs() * 100 + divisor / 2) / divisor;
    let sign = if value < 0 && cents != 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// `PUT /_sim/users/{id}/aihubmix` body; absent fields keep their value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BalancePatch {
    quota: Option<i64>,
    used_quota: Option<i64>,
}

/// A balance as the admin API reports it.
#[derive(Debug, Serialize)]
pub(crate) struct BalanceView {
    quota: i64,
    used_quota: i64,
    balance_formatted: String,
}

impl BalanceView {
    pub(crate) fn new(quota: Quota, format: BalanceFormat) -> Self {
        Self {
            quota: quota.quota,
            used_quota: quota.used_quota,
            balance_formatted: format_balance(format, quota),
        }
    }
}

/// `PUT /_sim/users/{id}/aihubmix`: change a user's quota.
pub(crate) async fn set_balance(
    State(ctx): State<Ctx>,
    Path(id): Path<u64>,
    Json(patch): Json<BalancePatch>,
) -> Result<Json<BalanceView>, AdminError> {
    ctx.with(|world, dialect| {
        let format = dialect.options.balance_format;
        let user = world
            .user_mut(id)
            .ok_or_else(|| AdminError::not_found(format!("no user with id {id}")))?;
        if let Some(quota) = patch.quota {
            user.aihubmix.quota = quota;
        }
        if let Some(used) = patch.used_quota {
            user.aihubmix.used_quota = used;
        }
        Ok(Json(BalanceView::new(user.aihubmix, format)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(quota: i64, used_quota: i64) -> Quota {
        Quota { quota, used_quota }
    }

    #[test]
    fn one_api_balance_is_usd_with_rounding() {
        let format = BalanceFormat::OneApi;
        assert_eq!(format_balance(format, quota(1_000_000, 250_000)), "2.00");
        assert_eq!(format_balance(format, quota(12_345_678, 0)), "24.69");
        assert_eq!(format_balance(format, quota(0, 5)), "0.00");
        assert_eq!(format_balance(format, quota(2_500, 0)), "0.01");
        assert_eq!(format_balance(format, quota(2_499, 0)), "0.00");
        assert_eq!(format_balance(format, quota(-750_000, 0)), "-1.50");
        assert_eq!(format_balance(format, quota(-1, 0)), "0.00");
        assert_eq!(
            format_balance(format, quota(i64::MAX, 0)),
            "18446744073709.55"
        );
    }

    #[test]
    fn seed_balance_reproduces_the_example() {
        assert_eq!(
            format_balance(BalanceFormat::Seed, quota(1_000_000, 250_000)),
            "750.00"
        );
        assert_eq!(
            format_balance(BalanceFormat::Seed, quota(0, 1_005)),
            "-1.01"
        );
    }
}
