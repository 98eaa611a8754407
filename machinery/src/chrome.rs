//! Chrome or Chromium and chromedriver: where they are, and a headless browser driven
//! through them.
//!
//! They are found wherever this machine has them ([`Programs::find`], the only place that
//! knows where to look), and a headless browser is driven through them ([`Headless`]), with
//! the DevTools protocol at hand for what WebDriver cannot do ([`Headless::devtools`]:
//! printing with an outline).

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;

/// One program to find: where its variable points, else the first of its names on `PATH`,
/// else the first of its known places that is an executable file.
struct Wanted {
    what: &'static str,
    variable: &'static str,
    names: &'static [&'static str],
    places: &'static [&'static str],
    /// A variable naming the folder that holds it (`CHROMEWEBDRIVER` on GitHub's runners),
    /// and its name there.
    folder: Option<(&'static str, &'static str)>,
}

const BROWSER: Wanted = Wanted {
    what: "Chrome or Chromium",
    variable: "BOOK_CHROME",
    names: &[
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ],
    places: &[
        "/usr/lib/chromium/chromium",
        "/opt/google/chrome/chrome",
        "/snap/bin/chromium",
    ],
    folder: None,
};

const DRIVER: Wanted = Wanted {
    what: "chromedriver",
    variable: "BOOK_CHROMEDRIVER",
    names: &["chromedriver"],
    places: &[
        "/usr/lib/chromium/chromedriver",
        "/usr/lib/chromium-browser/chromedriver",
        "/usr/local/share/chromedriver-linux64/chromedriver",
        "/snap/bin/chromium.chromedriver",
    ],
    folder: Some(("CHROMEWEBDRIVER", "chromedriver")),
};

impl Wanted {
    /// The program, or where it was looked for.
    fn find(&self) -> Result<PathBuf, String> {
        if let Some(set) =
            std::env::var_os(self.variable).filter(|v| !v.is_empty())
        {
            let path = PathBuf::from(set);
            return if is_executable(&path) {
                Ok(path)
            } else {
                Err(format!(
                    "{}={} is not an executable file: point it at {}, or unset it",
                    self.variable,
                    path.display(),
                    self.what
                ))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        let on_path = self
            .names
            .iter()
            .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)));
        let in_folder = self.folder.and_then(|(variable, name)| {
            std::env::var_os(variable)
                .filter(|dir| !dir.is_empty())
                .map(|dir| Path::new(&dir).join(name))
        });
        let known = self.places.iter().map(PathBuf::from);
        if let Some(found) = on_path
            .chain(in_folder)
            .chain(known)
            .find(|p| is_executable(p))
        {
            return Ok(found);
        }
        let mut places = Vec::new();
        if let Some((variable, name)) = self.folder {
            places.push(format!("${variable}/{name}"));
        }
        places.extend(self.places.iter().map(|place| place.to_string()));
        Err(format!(
            "no {} found: {} is not set, no {} on PATH, none of {}",
            self.what,
            self.variable,
            self.names.join(", "),
            places.join(", ")
        ))
    }
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A browser and its chromedriver, as found on this machine.
#[derive(Debug, Clone)]
pub struct Programs {
    pub browser: PathBuf,
    pub driver: PathBuf,
}

impl Programs {
    /// Looks in `BOOK_CHROME` and `BOOK_CHROMEDRIVER`, then on `PATH` (`chromium`,
    /// `chromium-browser`, `google-chrome`, `google-chrome-stable`, `chrome`;
    /// `chromedriver`), then in the places packages install them (and
    /// `$CHROMEWEBDRIVER/chromedriver`, on GitHub's runners). A failure says where it
    /// looked and how to fix it.
    pub fn find() -> Result<Programs> {
        match (BROWSER.find(), DRIVER.find()) {
            (Ok(browser), Ok(driver)) => Ok(Programs { browser, driver }),
            (browser, driver) => {
                let missing: Vec<String> = [browser.err(), driver.err()]
                    .into_iter()
                    .flatten()
                    .collect();
                bail!(
                    "{}.\nInstall Chromium and its driver (Debian: apt-get install \
                     chromium chromium-driver), or Google Chrome and the chromedriver \
                     of its version, or set {} and {} to their paths",
                    missing.join(";\n"),
                    BROWSER.variable,
                    DRIVER.variable
                )
            }
        }
    }

    /// Both programs with their versions, for messages: "Chromium 156.0.8078.129 …
    /// (/usr/bin/chromium) with ChromeDriver 156.0.8078.129 (/usr/bin/chromedriver)".
    pub fn describe(&self) -> String {
        format!(
            "{} ({}) with {} ({})",
            version(&self.browser),
            self.browser.display(),
            version(&self.driver),
            self.driver.display()
        )
    }
}

/// The first line `PROGRAM --version` prints, without the build hash chromedriver adds.
fn version(program: &Path) -> String {
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            let line =
                text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            line.split(" (").next().unwrap_or(line).trim().to_owned()
        }
        Ok(output) => format!(
            "unknown version ({} --version: {})",
            program.display(),
            output.status
        ),
        Err(e) => {
            format!("unknown version ({} --version: {e})", program.display())
        }
    }
}

/// Why the browser cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    Programs::find().err().map(|e| format!("{e:#}"))
}

/// A headless browser driven by its chromedriver. Dropping it ends the session, the driver
/// and the browsers it started, and removes the browser's profile.
pub struct Headless {
    pub client: Client,
    runtime: tokio::runtime::Runtime,
    programs: Programs,
    driver: Child,
    profile: PathBuf,
}

impl Headless {
    /// Starts chromedriver and a headless browser with its profile in `profile` (a folder of
    /// its own: two browsers cannot share one), removed when the browser ends.
    pub fn start(programs: &Programs, profile: &Path) -> Result<Headless> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut driver = Command::new(&programs.driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0) // so that ending it ends the browsers it started
            .spawn()
            .with_context(|| {
                format!("cannot start {}", programs.driver.display())
            })?;
        let client = match runtime.block_on(connect(port, programs, profile)) {
            Ok(client) => client,
            Err(e) => {
                end_group(&mut driver);
                let _ = std::fs::remove_dir_all(profile);
                bail!(
                    "cannot start a browser session with {}: {e:#}\n(chromedriver \
                     refuses a browser of another major version: if theirs differ, set {} \
                     and {} to a matching pair)",
                    programs.describe(),
                    BROWSER.variable,
                    DRIVER.variable
                );
            }
        };
        Ok(Headless {
            client,
            runtime,
            programs: programs.clone(),
            driver,
            profile: profile.to_path_buf(),
        })
    }

    /// The browser and its driver, with their versions, for messages.
    pub fn describe(&self) -> String {
        self.programs.describe()
    }

    /// Runs a browser interaction to completion.
    pub fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        self.runtime.block_on(work)
    }

    /// Sends a DevTools protocol command to the page (chromedriver's
    /// `POST /session/{id}/goog/cdp/execute`) and returns its result.
    pub async fn devtools(
        &self,
        command: &str,
        params: Value,
    ) -> Result<Value> {
        let command = DevTools {
            command: command.to_owned(),
            params,
        };
        let name = command.command.clone();
        self.client
            .issue_cmd(command)
            .await
            .with_context(|| format!("DevTools {name}"))
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let client = self.client.clone();
        let _ = self.runtime.block_on(client.close());
        end_group(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Ends a process started in a group of its own, with the group: chromedriver's holds the
/// browsers it started and their helpers.
fn end_group(child: &mut Child) {
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
}

async fn connect(
    port: u16,
    programs: &Programs,
    profile: &Path,
) -> Result<Client> {
    let client = new_session(port, programs, profile).await?;
    let timeouts = TimeoutConfiguration::new(
        Some(Duration::from_secs(30)),
        Some(Duration::from_secs(30)),
        Some(Duration::ZERO),
    );
    client.update_timeouts(timeouts).await?;
    Ok(client)
}

async fn new_session(
    port: u16,
    programs: &Programs,
    profile: &Path,
) -> Result<Client> {
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": programs.browser,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal")
    };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        match attempt {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() > deadline => {
                return Err(anyhow!("{e}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A DevTools protocol command, sent through chromedriver's vendor endpoint.
#[derive(Debug)]
struct DevTools {
    command: String,
    params: Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body =
            serde_json::json!({"cmd": self.command, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_says_where_it_was_looked_for() {
        let missing = Wanted {
            what: "a browser",
            variable: "BOOK_TEST_NO_SUCH_VARIABLE",
            names: &["no-such-browser-here"],
            places: &["/no/such/browser"],
            folder: None,
        };
        let message = missing.find().unwrap_err();
        for part in [
            "BOOK_TEST_NO_SUCH_VARIABLE is not set",
            "no-such-browser-here on PATH",
            "/no/such/browser",
        ] {
            assert!(message.contains(part), "{message}");
        }
    }

    #[test]
    fn a_known_place_is_found() {
        let shell = Wanted {
            what: "a shell",
            variable: "BOOK_TEST_NO_SUCH_VARIABLE",
            names: &["no-such-shell-here"],
            places: &["/no/such/shell", "/bin/sh"],
            folder: None,
        };
        assert_eq!(shell.find(), Ok(PathBuf::from("/bin/sh")));
    }
}
