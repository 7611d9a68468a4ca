//! Measuring targets side by side. Each gets a 200 check and a warm-up,
//! then they take turns, `SLICES` times, each turn a slice of the row's
//! duration: a busy moment of the machine (it is shared, and a neighbour's
//! build can halve every figure for a minute) falls on all of them alike,
//! so the ratios between them hold.

use std::fs;
use std::path::{Path, PathBuf};

use super::account::expect;
use super::load::{self, Measure, Target};
use super::Options;
use crate::tools::Result;
use watcher_stack::client::Client;

pub const SLICES: u32 = 3;

/// How oha runs, and where the URL lists go.
pub struct Load<'a> {
    pub oha: &'a PathBuf,
    pub opts: &'a Options,
    pub dir: &'a Path,
}

/// A target checked and warmed up, ready to be measured.
pub struct Probe {
    pub name: String,
    /// A URL, or (`from_file`) a file of URLs.
    target: String,
    from_file: bool,
    token: Option<String>,
}

impl Probe {
    pub fn target(&self) -> Target<'_> {
        if self.from_file {
            Target::UrlFile(Path::new(&self.target))
        } else {
            Target::Url(&self.target)
        }
    }
}

impl Load<'_> {
    /// Checks a 200 on the first and last question and warms up; with
    /// several questions oha draws one per request from `<name>.urls`
    /// (`--urls-from-file`).
    pub fn probe(
        &self,
        client: &Client,
        paths: &[String],
        token: Option<&str>,
        name: &str,
    ) -> Result<Probe> {
        let (Some(first), Some(last)) = (paths.first(), paths.last()) else {
            return Err("no question to measure".into());
        };
        for path in [first, last] {
            let what = format!("GET {}{path}", client.base());
            expect(client.get(path, token)?, 200, &what)?;
        }
        let urls: Vec<String> = paths
            .iter()
            .map(|p| format!("{}{p}", client.base()))
            .collect();
        let probe = if let [url] = urls.as_slice() {
            Probe {
                name: name.to_owned(),
                target: url.clone(),
                from_file: false,
                token: token.map(str::to_owned),
            }
        } else {
            let list = self.dir.join(format!("{name}.urls"));
            fs::write(&list, urls.join("\n") + "\n")
                .map_err(|e| format!("{}: {e}", list.display()))?;
            Probe {
                name: name.to_owned(),
                target: list.display().to_string(),
                from_file: true,
                token: token.map(str::to_owned),
            }
        };
        load::measure(self.oha, &probe.target(), token, self.opts.warmup)?;
        Ok(probe)
    }

    /// The probes in turn, `SLICES` times; each probe's slices merged. A
    /// probe that fails is reported and left out (`None`) from then on.
    pub fn interleaved(&self, probes: &[Probe]) -> Vec<Option<Measure>> {
        let slice = self.opts.duration / SLICES;
        let mut slices: Vec<Option<Vec<Measure>>> =
            probes.iter().map(|_| Some(Vec::new())).collect();
        for _ in 0..SLICES {
            for (probe, done) in probes.iter().zip(&mut slices) {
                let Some(measured) = done else { continue };
                match load::measure(self.oha, &probe.target(), probe.token.as_deref(), slice) {
                    Ok(m) => measured.push(m),
                    Err(e) => {
                        eprintln!("  {} failed: {e}", probe.name);
                        *done = None;
                    }
                }
            }
        }
        probes
            .iter()
            .zip(slices)
            .map(|(probe, done)| {
                let m = load::merge(&done?);
                eprintln!("  {}: {}", probe.name, summary(&m));
                Some(m)
            })
            .collect()
    }
}

fn summary(m: &Measure) -> String {
    format!(
        "{:.1} req/s, p50 {:.1} ms, p99 {:.1} ms, non-2xx {}, errors {}",
        m.ok_per_sec, m.p50_ms, m.p99_ms, m.non_2xx, m.errors
    )
}
