//! Reusable pieces of the pages: sign-in status, connection cards, balance, banners and error notices.

pub mod balance_panel;
pub mod connection_card;
pub mod error_notice;
pub mod login_status;
pub mod reauth_banner;

pub use balance_panel::BalancePanel;
pub use connection_card::ConnectionCard;
pub use error_notice::{ErrorList, ErrorNotice};
pub use login_status::LoginStatus;
pub use reauth_banner::ReauthBanner;
