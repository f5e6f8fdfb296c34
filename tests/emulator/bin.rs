//! `target/debug/examples/mock-server` (built by `cargo build --example mock-server`): the
//! provider emulator as a standalone server, so sessionctl can be tried without accounts on
//! any provider. Prints the base URLs, the keys and a config snippet to paste, then serves
//! until Ctrl-C.

#[path = "mod.rs"]
mod emulator;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};

use emulator::{Emulator, HeaderStyle, Options, RateLimit};

/// Its about text says what it serves ([`emulator::profiles::served`]), added at run time.
#[derive(Parser)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Loopback address to listen on (the emulator refuses to listen on a network).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_loopback)]
    host: IpAddr,
    /// Start with no data (by default a few demo sessions per provider are seeded).
    #[arg(long)]
    empty: bool,
    /// Delay added to every provider reply, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency: u64,
    /// How long a Zep v4 deletion task takes to finish, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    task_delay: u64,
    /// Require `X-API-KEY: TOKEN` on elizaOS routes (like ELIZA_SERVER_AUTH_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    messaging_token: Option<String>,
    /// Rate-limit every provider route (one limit shared by all), answering 429 with
    /// Retry-After and the provider's own body when it is exceeded.
    ///
    /// `bucket:RATE/PER[,burst=N][,headers=STYLE]`: a token bucket refilled at RATE tokens per
    /// PER (`s`, `m`, `2s`, `500ms`...), holding at most N (default: one second's worth, at
    /// least 1), e.g. `bucket:200/s,burst=20`.
    ///
    /// `window:LIMIT/WINDOW[,headers=STYLE]`: at most LIMIT requests per fixed WINDOW,
    /// e.g. `window:100/8s` or `window:1000/15m`.
    ///
    /// STYLE is the headers every reply carries: `native` (default: each API's own, as
    /// below for elizaOS and Zep, none for the others), `draft6` (RateLimit-Policy, -Limit,
    /// -Remaining, -Reset in seconds, as elizaOS), `x` (X-RateLimit-Limit, -Remaining,
    /// -Reset as a unix time, as Zep cloud) or `none`. Change it at run time with
    /// POST /_emulator/rate_limit; GET /_emulator/stats counts the 429s.
    #[arg(long, value_name = "SPEC", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,
}

/// `bucket:200/s,burst=20,headers=x` or `window:100/8s,headers=none` (see `--help`).
fn parse_rate_limit(raw: &str) -> Result<RateLimit, String> {
    let (kind, rest) = raw.split_once(':').ok_or_else(|| {
        format!("`{raw}`: expected `bucket:RATE/PER,...` or `window:LIMIT/WINDOW,...`")
    })?;
    let mut parts = rest.split(',').map(str::trim);
    let quota = parts.next().unwrap_or_default();
    let (count, per) = quota
        .split_once('/')
        .ok_or_else(|| format!("`{quota}`: expected COUNT/DURATION, e.g. `200/s` or `100/8s`"))?;
    let per = parse_per(per)?;
    let (mut burst, mut headers) = (None, HeaderStyle::default());
    for option in parts {
        match option.split_once('=') {
            Some(("burst", n)) if kind == "bucket" => {
                burst = Some(n.parse::<u32>().map_err(|e| format!("burst `{n}`: {e}"))?);
            }
            Some(("headers", style)) => {
                headers = match style {
                    "native" => HeaderStyle::Native,
                    "draft6" => HeaderStyle::Draft6,
                    "x" | "xratelimit" | "x-ratelimit" => HeaderStyle::XRateLimit,
                    "none" => HeaderStyle::None,
                    _ => {
                        return Err(format!(
                            "headers `{style}`: expected native, draft6, x or none"
                        ));
                    }
                };
            }
            _ => {
                return Err(format!(
                    "`{option}`: unknown option for a {kind} rate limit"
                ));
            }
        }
    }
    let limit = match kind {
        "bucket" => {
            let tokens = count
                .parse::<f64>()
                .map_err(|e| format!("rate `{count}`: {e}"))?;
            let rate = tokens / per.as_secs_f64();
            // One second's worth by default, so short bursts of the average rate pass.
            let burst = burst.unwrap_or_else(|| rate.ceil().clamp(1.0, f64::from(u32::MAX)) as u32);
            RateLimit::token_bucket(rate, burst)
        }
        "window" => {
            let limit = count
                .parse::<u32>()
                .map_err(|e| format!("limit `{count}`: {e}"))?;
            RateLimit::fixed_window(limit, per)
        }
        _ => return Err(format!("`{kind}`: expected `bucket` or `window`")),
    };
    let limit = limit.headers(headers);
    limit.validate()?;
    Ok(limit)
}

/// A duration such as `8s`, `500ms`, `15m`, or a bare unit (`s` = one second).
fn parse_per(raw: &str) -> Result<Duration, String> {
    let spelled = if raw.starts_with(|c: char| c.is_ascii_digit()) {
        raw.to_owned()
    } else {
        format!("1{raw}")
    };
    humantime::parse_duration(&spelled).map_err(|e| format!("duration `{raw}`: {e}"))
}

fn parse_loopback(raw: &str) -> Result<IpAddr, String> {
    let ip = if raw == "localhost" {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        raw.parse::<IpAddr>().map_err(|e| format!("`{raw}`: {e}"))?
    };
    if ip.is_loopback() {
        Ok(ip)
    } else {
        Err(format!(
            "`{raw}` is not a loopback address; the emulator only listens on loopback"
        ))
    }
}

/// What to print on start: where everything is and a profile per provider.
fn banner(addr: SocketAddr, token: Option<&str>, rate_limit: Option<&RateLimit>) -> String {
    let base = emulator::base_url(addr);
    let apis = emulator::profiles::banner(addr, token);
    let profiles = emulator::profiles::config_toml(addr, token);
    let limited = rate_limit.map_or(String::new(), |l| {
        format!("  Rate limit             {l:?}\n")
    });
    format!(
        "sessionctl provider emulator listening on {base}

{apis}{limited}  Control API            {base}/_emulator/{{seed,faults,rate_limit,stats,requests,reset}}

# Save as your sessionctl config file (`sessionctl config path` says where; it needs
# `chmod 600`, as it holds keys), then try the README's examples:
{profiles}
Press Ctrl-C to stop.
"
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let about = format!(
        "Fake servers on loopback for sessionctl: {}",
        emulator::profiles::served()
    );
    let matches = Args::command().about(about).get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let listener = tokio::net::TcpListener::bind((args.host, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let opts = Options {
        latency: Duration::from_millis(args.latency),
        task_delay: Duration::from_millis(args.task_delay),
        messaging_token: args.messaging_token,
        port: addr.port(),
        demo: !args.empty,
        rate_limit: args.rate_limit,
        // Faults armed through the control API may well go unused: that is the user's call.
        fail_unused: false,
    };
    let banner = banner(
        addr,
        opts.messaging_token.as_deref(),
        opts.rate_limit.as_ref(),
    );
    // Whoever started us may stop reading after the first line (a script waiting for the
    // server to be up): a closed stdout must not take the server down.
    let _ = std::io::Write::write_fmt(&mut std::io::stdout(), format_args!("{banner}\n"));
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Emulator::serve(listener, opts, ctrl_c)
        .await
        .context("serving stopped")
}
