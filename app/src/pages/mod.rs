//! Routed pages: sign-in, dashboard and not-found.

pub mod dashboard;
pub mod not_found;
pub mod sign_in;

pub use dashboard::DashboardPage;
pub use not_found::NotFoundPage;
pub use sign_in::SignInPage;
