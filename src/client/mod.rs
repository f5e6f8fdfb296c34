//! The HTTP client layer: requests, retries and back-off ([`http`]), pacing to a
//! provider's rate limit ([`pacer`]) and counting what a batch sent ([`tally`]). It knows no profile and no provider: it takes plain
//! [`http::ClientOptions`].

pub mod http;
pub mod pacer;
pub mod tally;
