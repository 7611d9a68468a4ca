//! `openrouter-sim [--port N] [--seed N] [--scenario demo]`

use std::io::Write;

use openrouter_sim::{serve, SimConfig};

const USAGE: &str = "usage: openrouter-sim [--port N] [--seed N] [--scenario demo]";

fn parse_args() -> Result<SimConfig, String> {
    let mut config = SimConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{what} needs a value\n{USAGE}"))
        };
        match name.as_str() {
            "--port" => {
                config.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--seed" => {
                config.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--scenario" => config.scenario = Some(value("--scenario")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(config)
}

fn main() {
    let config = match parse_args() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("openrouter-sim: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async move {
        let running = match serve(config).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("openrouter-sim: {e}");
                std::process::exit(1);
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", running.banner());
        let _ = out.flush();
        drop(out);
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
    });
}
