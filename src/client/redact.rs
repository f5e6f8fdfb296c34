//! The credentials a reply may echo back, kept out of every text made from it. A server
//! that refuses a key may quote it ("bad key Api-Key zk_…"), and a decode error may quote a
//! field holding it; the message of either reaches the table, the journal and the logs.

use std::sync::Arc;

use base64::Engine;
use reqwest::header::{HeaderName, HeaderValue};

/// What stands for a secret in a message.
const MASK: &str = "***";

/// Shorter than this, a "secret" would mask ordinary words of a message; no provider's key
/// or token is anywhere near as short.
const SHORTEST: usize = 6;

/// The secrets a client sends: the key itself, each auth header's value, the credential
/// after its scheme (`Bearer X`, `Api-Key X`: `X`), and for Basic the decoded
/// `user:password` and the password. The key is given on its own because a header need not
/// end with it: a declared template `{key};v=2` sends `K;v=2`, and a server may quote `K`.
/// Cheap to clone: every reply holds one.
#[derive(Clone, Default)]
pub struct Redact(Arc<Vec<String>>);

impl Redact {
    pub fn new(auth: &[(HeaderName, HeaderValue)], key: Option<&str>) -> Redact {
        let mut secrets: Vec<String> = key.into_iter().map(str::to_owned).collect();
        for (_, value) in auth {
            let Ok(value) = value.to_str() else {
                continue;
            };
            secrets.push(value.to_owned());
            let credential = value.rsplit(' ').next().unwrap_or(value);
            secrets.push(credential.to_owned());
            let basic = value
                .split_once(' ')
                .filter(|(s, _)| s.eq_ignore_ascii_case("basic"));
            if let Some((_, encoded)) = basic {
                let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim());
                if let Ok(pair) = decoded.map(String::from_utf8) {
                    let pair = pair.unwrap_or_default();
                    if let Some((_, password)) = pair.split_once(':') {
                        secrets.push(password.to_owned());
                    }
                    secrets.push(pair);
                }
            }
        }
        secrets.retain(|s| s.len() >= SHORTEST);
        // Longest first: a whole header value is masked before the key inside it.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redact(Arc::new(secrets))
    }

    /// `text` with every secret replaced by `***`.
    pub fn apply(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.0.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), MASK);
            }
        }
        text
    }
}

/// Never the secrets themselves.
impl std::fmt::Debug for Redact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redact({} secrets)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: &str) -> (HeaderName, HeaderValue) {
        (
            HeaderName::from_static("authorization"),
            HeaderValue::from_str(value).unwrap(),
        )
    }

    #[test]
    fn each_form_a_credential_is_sent_in_is_masked() {
        let redact = Redact::new(&[header("Api-Key zk_secret_1")], None);
        assert_eq!(
            redact.apply("bad key Api-Key zk_secret_1 for zz; zk_secret_1 again"),
            "bad key *** for zz; *** again"
        );
        let pair = base64::engine::general_purpose::STANDARD.encode("team-1:s3cr3t-key");
        let redact = Redact::new(&[header(&format!("Basic {pair}"))], None);
        for (said, shown) in [
            (format!("header Basic {pair}"), "header ***"),
            (format!("token {pair}"), "token ***"),
            ("team-1:s3cr3t-key refused".to_owned(), "*** refused"),
            ("password s3cr3t-key".to_owned(), "password ***"),
        ] {
            assert_eq!(redact.apply(&said), shown);
        }
    }

    #[test]
    fn a_key_with_text_after_it_in_its_header_is_masked_on_its_own() {
        let redact = Redact::new(&[header("tok_0123456789;v=2")], Some("tok_0123456789"));
        assert_eq!(
            redact.apply("key tok_0123456789 expired; sent tok_0123456789;v=2"),
            "key *** expired; sent ***"
        );
    }

    #[test]
    fn short_values_and_no_auth_mask_nothing() {
        assert_eq!(Redact::new(&[], None).apply("Bearer x"), "Bearer x");
        let redact = Redact::new(&[header("Bearer abc")], Some("abc"));
        assert_eq!(redact.apply("abc at Bearer"), "abc at Bearer");
        assert_eq!(format!("{redact:?}"), "Redact(1 secrets)");
    }
}
