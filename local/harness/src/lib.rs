//! Starts and stops the AWS emulator (moto server) for integration tests.
//!
//! ```no_run
//! let moto = local_harness::MotoServer::start().expect("moto starts");
//! let endpoint = moto.endpoint_url(); // http://127.0.0.1:<free port>
//! // ... point SDK clients at `endpoint` ...
//! // dropped at the end of the test (or when it panics): the server is killed
//! ```
//!
//! The interpreter is `LOCAL_CLOUD_PYTHON`, else the Makefile-managed venv at
//! `<workspace>/.tools/venv/bin/python` (`make tools` installs it).

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use thiserror::Error;

/// The region the local cloud uses.
pub const REGION: &str = "eu-west-1";

/// How long a server may take to answer after it is spawned.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Attempts with a fresh port when the chosen one was taken meanwhile.
const PORT_ATTEMPTS: usize = 3;

#[derive(Debug, Error)]
pub enum HarnessError {
    #[error("the local cloud's Python interpreter was not found at {0}; run `make tools` (or set LOCAL_CLOUD_PYTHON)")]
    PythonMissing(PathBuf),
    #[error("could not find a free loopback port: {0}")]
    NoFreePort(std::io::Error),
    #[error("could not start the emulator ({command}): {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("the emulator exited during start-up ({status}); its log:\n{log}")]
    Exited { status: String, log: String },
    #[error("the emulator did not answer on {endpoint} within {waited:?}; its log:\n{log}")]
    NotReady {
        endpoint: String,
        waited: Duration,
        log: String,
    },
}

/// A running moto server on a free loopback port, killed (with its process
/// group) when dropped.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
    endpoint: String,
    log_path: PathBuf,
    /// Dropping this ends the spawner thread (see [`spawn_tied_to_process`]).
    _spawner: mpsc::Sender<()>,
}

impl MotoServer {
    /// Starts a server and waits until it answers HTTP.
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with_timeout(DEFAULT_START_TIMEOUT)
    }

    /// As [`MotoServer::start`], with a start-up time limit.
    pub fn start_with_timeout(timeout: Duration) -> Result<Self, HarnessError> {
        let python = python_path()?;
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match Self::spawn_and_wait(&python, port, timeout) {
                Ok(server) => return Ok(server),
                // Another process may have taken the port between our probe
                // and the server's bind: try another one.
                Err(e @ HarnessError::Exited { .. }) if e.to_string().contains("in use") => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or(HarnessError::NoFreePort(std::io::Error::other("no attempt made"))))
    }

    fn spawn_and_wait(python: &Path, port: u16, timeout: Duration) -> Result<Self, HarnessError> {
        let log_path = std::env::temp_dir().join(format!("moto-server-{}-{port}.log", std::process::id()));
        let log = File::create(&log_path).map_err(|source| HarnessError::Spawn {
            command: format!("create {}", log_path.display()),
            source,
        })?;
        let mut command = launch_command(python, port);
        let description = format!("{command:?}");
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|source| HarnessError::Spawn {
                command: description.clone(),
                source,
            })?)
            .stderr(log)
            // Its own process group, so Drop can kill it and any children.
            .process_group(0);
        let (child, spawner) = spawn_tied_to_process(command).map_err(|source| HarnessError::Spawn {
            command: description,
            source,
        })?;
        let mut server = MotoServer {
            child,
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
            log_path,
            _spawner: spawner,
        };
        server.wait_until_ready(timeout)?;
        Ok(server)
    }

    /// `http://127.0.0.1:<port>`: the endpoint for every AWS client.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// SDK settings for this emulator: its endpoint, the region, dummy
    /// credentials. Build clients from it as the functions' `main` does.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.endpoint_url())
            .region(aws_config::Region::new(REGION))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "emulator",
            ))
            .load()
            .await
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's output so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), HarnessError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(HarnessError::Exited {
                    status: status.to_string(),
                    log: self.log(),
                });
            }
            if answers_http(self.port) {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(HarnessError::NotReady {
                    endpoint: self.endpoint.clone(),
                    waited: timeout,
                    log: self.log(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        // SAFETY: kill(2) with a negative pid signals the process group we
        // created for the server; it has no memory-safety preconditions.
        unsafe { libc::kill(group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above; SIGKILL whatever is left of the group.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
        if !std::thread::panicking() {
            // Keep the log of a failed test for reading; drop it otherwise.
            let _ = std::fs::remove_file(&self.log_path);
        }
    }
}

/// The one place that says how the emulator is launched: the project's
/// launcher (moto plus what the local cloud adds), the same as `make local`.
/// No Lambda runtime is needed by these tests; port 9 (discard) makes a stray
/// invocation fail loudly instead of reaching something.
pub fn launch_command(python: &Path, port: u16) -> Command {
    let mut command = Command::new(python);
    command.arg(workspace_root().join("local/moto_launcher.py"));
    command.args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--lambda-runtime",
        "http://127.0.0.1:9",
    ]);
    command
}

/// The workspace root (this crate lives at `<root>/local/harness`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `LOCAL_CLOUD_PYTHON`, else `<root>/.tools/venv/bin/python`; it must exist.
pub fn python_path() -> Result<PathBuf, HarnessError> {
    let path = std::env::var_os("LOCAL_CLOUD_PYTHON")
        .filter(|p| !p.is_empty())
        .map_or_else(|| workspace_root().join(".tools/venv/bin/python"), PathBuf::from);
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::PythonMissing(path))
    }
}

fn free_port() -> Result<u16, HarnessError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(HarnessError::NoFreePort)?;
    Ok(listener.local_addr().map_err(HarnessError::NoFreePort)?.port())
}

/// True when something on the port answers an HTTP request.
fn answers_http(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 8];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// Spawns `command` from a thread that lives as long as the returned sender,
/// with the parent-death signal set: if the test process dies without
/// running Drop (killed on a timeout), the kernel kills the server too. The
/// signal fires when the spawning *thread* ends, hence the dedicated thread.
fn spawn_tied_to_process(mut command: Command) -> std::io::Result<(Child, mpsc::Sender<()>)> {
    // SAFETY: the closure runs in the forked child before exec and only calls
    // prctl(2), which is async-signal-safe.
    #[cfg(target_os = "linux")]
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (child_tx, child_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    std::thread::Builder::new().name("moto-spawner".into()).spawn(move || {
        let _ = child_tx.send(command.spawn());
        // Block until the MotoServer is dropped (the sender goes away).
        let _ = stop_rx.recv();
    })?;
    let child = child_rx
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread ended early"))??;
    Ok((child, stop_tx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launch_command_runs_the_project_launcher_on_loopback_and_the_given_port() {
        let command = launch_command(Path::new("/venv/bin/python"), 4567);
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert!(args[0].ends_with("local/moto_launcher.py"), "{args:?}");
        assert_eq!(args[1..5], ["--host", "127.0.0.1", "--port", "4567"]);
    }

    #[test]
    fn the_workspace_root_holds_the_workspace_manifest() {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    fn a_server_starts_answers_and_is_gone_after_drop() {
        let server = MotoServer::start().expect("moto starts");
        let port = server.port();
        assert_eq!(server.endpoint_url(), format!("http://127.0.0.1:{port}"));
        assert!(answers_http(port));
        let pid = server.child.id() as i32;
        drop(server);
        assert!(!answers_http(port), "still answering after drop");
        // SAFETY: signal 0 only checks whether the process exists.
        assert_eq!(unsafe { libc::kill(pid, 0) }, -1, "process {pid} still exists");
    }

    #[test]
    fn a_panicking_test_still_stops_its_server() {
        let (tx, rx) = mpsc::channel();
        let result = std::thread::spawn(move || {
            let server = MotoServer::start().expect("moto starts");
            tx.send(server.port()).unwrap();
            panic!("the test failed");
        })
        .join();
        assert!(result.is_err());
        let port = rx.recv().unwrap();
        assert!(!answers_http(port), "server outlived the panicking test");
    }

    #[test]
    fn a_missing_interpreter_says_to_run_make_tools() {
        let message = HarnessError::PythonMissing(PathBuf::from("/nope/python")).to_string();
        assert!(message.contains("run `make tools`"), "{message}");
        assert!(message.contains("/nope/python"));
    }
}
