//! Rendering configurations to `terraform/<stack>/` and checking that the
//! committed files are what the code generates.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::components::{bootstrap, configuration, delivery, openapi};
use crate::core::{Configuration, SynthError};
use crate::env::{EnvName, Environment};

/// A Terraform configuration tfgen writes: an environment, the bootstrap
/// (state bucket) or the delivery pipeline with the deploy roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stack {
    Env(EnvName),
    Bootstrap,
    Delivery,
}

impl Stack {
    pub fn all() -> Vec<Stack> {
        EnvName::ALL
            .into_iter()
            .map(Stack::Env)
            .chain([Stack::Bootstrap, Stack::Delivery])
            .collect()
    }

    /// Whether the security scan (checkov) covers it: what reaches AWS
    /// through the pipeline or an administrator. The bootstrap is checked by
    /// its own tests.
    pub fn is_scanned(self) -> bool {
        match self {
            Stack::Env(env) => !Environment::named(env).is_emulated(),
            Stack::Bootstrap => false,
            Stack::Delivery => true,
        }
    }

    /// The directory under `terraform/`.
    pub fn dir_name(self) -> &'static str {
        match self {
            Stack::Env(env) => env.as_str(),
            Stack::Bootstrap => "bootstrap",
            Stack::Delivery => "delivery",
        }
    }

    pub fn configuration(self) -> Result<Configuration, SynthError> {
        match self {
            Stack::Env(env) => configuration(&Environment::named(env)),
            Stack::Bootstrap => bootstrap::configuration(),
            Stack::Delivery => delivery::configuration(),
        }
    }

    /// File name → contents, exactly as written to disk.
    pub fn render(self) -> Result<BTreeMap<String, String>, SynthError> {
        self.render_with(&self.configuration()?)
    }

    /// `config`'s files, and beside an environment's the API's OpenAPI
    /// document (from the same route definitions).
    pub fn render_with(self, config: &Configuration) -> Result<BTreeMap<String, String>, SynthError> {
        let mut files = config.render()?;
        if let Stack::Env(env) = self {
            files.insert(
                openapi::FILE_NAME.to_owned(),
                openapi::document(&Environment::named(env)),
            );
        }
        Ok(files)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Synth(#[from] SynthError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// How a directory on disk differs from what the code generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(PathBuf),
    Changed(PathBuf),
    /// A generated-looking file the code no longer produces.
    Stale(PathBuf),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing: {}", p.display()),
            Drift::Changed(p) => write!(f, "out of date: {}", p.display()),
            Drift::Stale(p) => write!(f, "no longer generated: {}", p.display()),
        }
    }
}

fn generated_files_in(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.to_string_lossy().ends_with(".tf.json") {
            found.push(path);
        }
    }
    Ok(found)
}

/// Compares `dir` with the rendered files.
pub fn check(dir: &Path, files: &BTreeMap<String, String>) -> Result<Vec<Drift>, WriteError> {
    let mut drift = Vec::new();
    for (name, contents) in files {
        let path = dir.join(name);
        match fs::read_to_string(&path) {
            Ok(on_disk) if on_disk == *contents => {}
            Ok(_) => drift.push(Drift::Changed(path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => drift.push(Drift::Missing(path)),
            Err(e) => return Err(WriteError::Io { path, source: e }),
        }
    }
    for path in generated_files_in(dir)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !files.contains_key(&name) {
            drift.push(Drift::Stale(path));
        }
    }
    Ok(drift)
}

/// Writes the files to `dir`, removing generated files the code no longer
/// produces. Unchanged files are not rewritten. Returns how many changed.
pub fn write(dir: &Path, files: &BTreeMap<String, String>) -> Result<usize, WriteError> {
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let drift = check(dir, files)?;
    for change in &drift {
        match change {
            Drift::Missing(path) | Drift::Changed(path) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                fs::write(path, &files[&name]).map_err(io_error(path))?;
            }
            Drift::Stale(path) => fs::remove_file(path).map_err(io_error(path))?,
        }
    }
    Ok(drift.len())
}

/// Resources and data sources per stack, for summaries.
pub fn resource_count(config: &Configuration) -> usize {
    config
        .entries()
        .filter(|(address, _)| !address.starts_with("data."))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tfgen-synth-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn write_then_check_finds_no_drift_and_reports_each_kind_of_change() {
        let dir = temp_dir("drift");
        let files = Stack::Env(EnvName::Local).render().unwrap();
        write(&dir, &files).unwrap();
        assert!(check(&dir, &files).unwrap().is_empty());

        fs::write(dir.join("pipeline.tf.json"), "{}\n").unwrap();
        fs::write(dir.join("leftover.tf.json"), "{}\n").unwrap();
        fs::remove_file(dir.join("alerts.tf.json")).unwrap();
        let mut drift: Vec<String> = check(&dir, &files).unwrap().iter().map(|d| d.to_string()).collect();
        drift.sort();
        assert_eq!(drift.len(), 3, "{drift:?}");
        assert!(drift[0].starts_with("missing:") && drift[0].ends_with("alerts.tf.json"));
        assert!(drift[1].starts_with("no longer generated:") && drift[1].ends_with("leftover.tf.json"));
        assert!(drift[2].starts_with("out of date:") && drift[2].ends_with("pipeline.tf.json"));

        assert_eq!(write(&dir, &files).unwrap(), 3);
        assert!(check(&dir, &files).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
