//! Finding and reading input files: the one place the command touches the file system for
//! `parse` and `import`.

use ficarchive_parse::{MAX_FILE_BYTES, ParseError};
use std::path::{Path, PathBuf};

/// A file found under the given paths, with its size.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: PathBuf,
    pub size: u64,
}

/// Every regular, non-hidden file under `paths` (folders recursively, each in name order),
/// and the paths that could not be read, with the reason.
pub fn list_files(paths: &[PathBuf]) -> (Vec<FileEntry>, Vec<(String, String)>) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for root in paths {
        if !root.is_dir() {
            match std::fs::metadata(root) {
                Ok(m) => files.push(FileEntry { path: root.clone(), size: m.len() }),
                Err(e) => unreadable.push((root.display().to_string(), format!("cannot read: {e}"))),
            }
            continue;
        }
        for entry in walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.path()))
        {
            match entry {
                Ok(e) if e.file_type().is_file() => match e.metadata() {
                    Ok(m) => files.push(FileEntry { path: e.path().to_path_buf(), size: m.len() }),
                    Err(err) => unreadable.push((e.path().display().to_string(), format!("cannot read: {err}"))),
                },
                Ok(_) => {}
                Err(e) => unreadable.push((
                    e.path().map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                    format!("cannot read: {}", e.io_error().map_or_else(|| e.to_string(), ToString::to_string)),
                )),
            }
        }
    }
    (files, unreadable)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// A file's bytes, refusing files over the parser's limit before reading them.
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::metadata(path) {
        Err(e) => Err(format!("cannot read: {e}")),
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => Err(ParseError::TooLarge { bytes: m.len() as usize }.to_string()),
        Ok(_) => std::fs::read(path).map_err(|e| format!("cannot read: {e}")),
    }
}
