//! `cargo run --example mock-server`: the provider emulator as a standalone server, so
//! sessionctl can be tried without accounts on any provider. Prints the base URLs, the
//! keys and a config snippet to paste, then serves until Ctrl-C.

#[path = "mod.rs"]
mod emulator;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use emulator::{Emulator, Options};

#[derive(Parser)]
#[command(about = "Fake Zep, Digital Samba and elizaOS servers on loopback for sessionctl")]
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
fn banner(addr: SocketAddr, token: Option<&str>) -> String {
    let base = emulator::base_url(addr);
    let zep_v2 = format!("{base}{}", emulator::ZEP_V2_PREFIX);
    let zep_v4 = format!("{base}{}", emulator::ZEP_V4_PREFIX);
    let samba = format!("{base}{}", emulator::SAMBA_PREFIX);
    let (zep_key, team, samba_key) = (emulator::ZEP_KEY, emulator::SAMBA_TEAM, emulator::SAMBA_KEY);
    let messaging_auth = token.map_or("no auth".to_owned(), |t| format!("X-API-KEY: {t}"));
    let messaging_key = token.map_or(String::new(), |t| format!("api_key = \"{t}\"\n"));
    format!(
        "sessionctl provider emulator listening on {base}

  elizaOS messaging      {base}  ({messaging_auth})
  Zep v2 sessions, v3    {zep_v2}  (Authorization: Api-Key {zep_key})
  Zep v4 threads         {zep_v4}  (same key)
  Digital Samba          {samba}  (team {team}, developer key {samba_key})
  Control API            {base}/_emulator/{{seed,faults,requests,reset}}

# Paste into your sessionctl config file:
[profiles.emu-messaging]
provider = \"messaging\"
base_url = \"{base}\"
{messaging_key}
[profiles.emu-zep]
provider = \"zep\"
base_url = \"{zep_v2}\"
api_key = \"{zep_key}\"

[profiles.emu-zep-v3]
provider = \"zep\"
api_version = 3
base_url = \"{zep_v2}\"
api_key = \"{zep_key}\"

[profiles.emu-zep-v4]
provider = \"zep\"
api_version = 4
base_url = \"{zep_v4}\"
api_key = \"{zep_key}\"

[profiles.emu-samba]
provider = \"digital-samba\"
base_url = \"{samba}\"
team_id = \"{team}\"
api_key = \"{samba_key}\"

Press Ctrl-C to stop.
"
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
    };
    println!("{}", banner(addr, opts.messaging_token.as_deref()));
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Emulator::serve(listener, opts, ctrl_c)
        .await
        .context("serving stopped")
}
