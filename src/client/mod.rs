//! The HTTP client layer: requests, retries and back-off ([`http`]) and pacing to a
//! provider's rate limit ([`pacer`]). It knows no profile and no provider: it takes plain
//! [`http::ClientOptions`].

pub mod http;
pub mod pacer;
