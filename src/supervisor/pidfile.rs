//! The pid file: written at start, renamed to `<pid>.oldbin` while a new
//! binary boots (USR2), restored if that upgrade fails, removed at exit.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A pid file this master owns.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Write our pid to `path` atomically (write a temp file, rename).
    pub fn create(path: &Path) -> io::Result<Self> {
        write_pid(path, std::process::id())?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<path>.oldbin`, nginx's name for the old master's pid during an
    /// upgrade.
    pub fn oldbin_path(&self) -> PathBuf {
        let mut s = self.path.as_os_str().to_owned();
        s.push(".oldbin");
        PathBuf::from(s)
    }

    /// Upgrade started: move our pid file aside for the new master.
    pub fn move_to_oldbin(&self) -> io::Result<()> {
        fs::rename(&self.path, self.oldbin_path())
    }

    /// Upgrade failed: put our pid file back (rewriting it, in case the
    /// failed master had replaced it).
    pub fn restore(&self) -> io::Result<()> {
        let _ = fs::remove_file(self.oldbin_path());
        write_pid(&self.path, std::process::id())
    }

    /// Upgrade done: the new master owns `path`; forget `.oldbin`.
    pub fn remove_oldbin(&self) {
        let _ = fs::remove_file(self.oldbin_path());
    }

    /// Normal exit: remove the file if it still names us.
    pub fn remove_if_ours(&self) {
        if let Ok(text) = fs::read_to_string(&self.path)
            && text.trim() == std::process::id().to_string()
        {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn write_pid(path: &Path, pid: u32) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = fs::File::create(&tmp)?;
    writeln!(f, "{pid}")?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}
