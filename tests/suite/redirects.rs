//! Redirects: the auth header must never reach another host, and redirect chains are capped.
//! The provider emulator does not redirect, so these use two tiny raw servers on loopback.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// Answers every request with `reply(port)`, reporting each request's head on `seen`.
fn serve(
    listener: TcpListener,
    reply: impl Fn(&str) -> String + Send + 'static,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let _ = stream.write_all(reply(&head).as_bytes());
            let _ = tx.send(head);
        }
    });
    rx
}

fn config(home: &tempfile::TempDir, base: &str) -> std::path::PathBuf {
    let path = home.path().join("c.toml");
    let text = format!(
        "[profiles.r]\nprovider = \"messaging\"\nbase_url = \"{base}\"\napi_key_env = \"K\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn auth_never_follows_a_redirect_to_another_host() {
    // 127.0.0.2 is loopback too, but another host as far as URLs go.
    let other = TcpListener::bind("127.0.0.2:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let other_seen = serve(other, |_| {
        "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}".into()
    });
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", first.local_addr().unwrap().port());
    let first_seen = serve(first, move |_| {
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nconnection: close\r\nlocation: http://127.0.0.2:{other_port}/steal\r\ncontent-length: 0\r\n\r\n"
        )
    });

    let home = tempfile::tempdir().unwrap();
    let cfg = config(&home, &base);
    let (doc, code) = common::run_json(
        common::bare_cmd(&home)
            .env("K", "secret-key-123")
            .args(["-o", "json", "-c"])
            .arg(&cfg)
            .args(["-p", "r", "end", "s1"]),
    );
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["results"][0]["outcome"], "failed");
    assert_eq!(doc["results"][0]["status"], 307);
    let head = first_seen.recv().unwrap();
    assert!(
        head.to_lowercase().contains("x-api-key: secret-key-123"),
        "{head}"
    );
    assert!(
        other_seen
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "the other host was contacted"
    );
}

#[test]
fn same_host_redirect_loops_are_capped() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let loc = base.clone();
    let seen = serve(listener, move |_| {
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nconnection: close\r\nlocation: {loc}/again\r\ncontent-length: 0\r\n\r\n"
        )
    });
    let home = tempfile::tempdir().unwrap();
    let cfg = config(&home, &base);
    let (doc, code) = common::run_json(
        common::bare_cmd(&home)
            .env("K", "k")
            .args(["-o", "json", "-c"])
            .arg(&cfg)
            .args(["-p", "r", "end", "s1"]),
    );
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["results"][0]["outcome"], "failed");
    assert_eq!(
        doc["results"][0]["attempts"], 1,
        "a redirect loop is not retried"
    );
    let error = doc["results"][0]["error"].as_str().unwrap();
    assert!(error.contains("redirect"), "{error}");
    let requests = seen.try_iter().count();
    assert!((2..=7).contains(&requests), "{requests} requests");
}
