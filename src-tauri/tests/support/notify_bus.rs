//! A session bus of the test's own (`dbus-daemon`) with a notification server on it that
//! records what it is asked to show, as GNOME's or KDE's would: the end-to-end test sees the
//! app's notifications where a desktop sees them (the `org.freedesktop.Notifications` calls
//! `tauri-plugin-notification` makes), and clicks one by sending the `ActionInvoked` signal a
//! server sends when the user clicks it (the Desktop Notifications Specification's `default`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const PATH: &str = "/org/freedesktop/Notifications";
const NAME: &str = "org.freedesktop.Notifications";

/// One `Notify` call the server received.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The id the server answered with (what `ActionInvoked` names).
    pub id: u32,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
}

/// `dbus-daemon --session` on a socket in the test's directory; killed on drop.
pub struct Bus {
    daemon: Child,
    pub address: String,
}

impl Bus {
    /// Starts the daemon; `None` (with the reason on standard error) where `dbus-daemon` is
    /// missing: the caller fails then, since the scenario needs it.
    pub fn start(dir: &Path) -> Result<Bus, String> {
        let socket = dir.join("session-bus");
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!("cannot start dbus-daemon (Debian package dbus-daemon; scripts/setup.sh installs it): {e}")
            })?;
        let mut line = String::new();
        let stdout = daemon.stdout.take().ok_or("dbus-daemon has no stdout")?;
        BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("dbus-daemon's address: {e}"))?;
        let address = line.trim().to_string();
        if address.is_empty() {
            let _ = daemon.kill();
            return Err("dbus-daemon printed no address".into());
        }
        Ok(Bus { daemon, address })
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

struct Server {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        let id = shown.len() as u32 + 1;
        shown.push(Shown { id, summary, body, actions });
        id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("reckon-e2e".into(), "Reckon".into(), "1".into(), "1.2".into())
    }
}

/// The notification server, serving on `bus` until dropped.
pub struct Notifications {
    conn: zbus::Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl Notifications {
    pub async fn serve(address: &str) -> Result<Notifications, String> {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let conn = zbus::connection::Builder::address(address)
            .name(NAME)
            .serve_at(PATH, Server { shown: shown.clone() })
            .build()
            .await
            .map_err(|e| format!("the test's notification server on {address}: {e}"))?;
        Ok(Notifications { conn, shown })
    }

    /// What the app has asked to show so far.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }

    /// The user clicks notification `id`: the `default` action, as a desktop reports it.
    pub async fn click(&self, id: u32) -> Result<(), String> {
        self.conn
            .emit_signal(None::<&str>, PATH, NAME, "ActionInvoked", &(id, "default"))
            .await
            .map_err(|e| format!("ActionInvoked for notification {id}: {e}"))
    }
}
