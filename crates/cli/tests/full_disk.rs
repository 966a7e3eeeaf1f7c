//! A full disk during an import: a clear message, no panic, an archive that `check` finds
//! sound, and the same import finishing the job once there is room.
//!
//! The archive lives on a 3 MB tmpfs, mounted for the test (root is needed to mount; `.ci/run`
//! runs as root), and the generated pile is bigger than that.

mod common;

use common::ficarchive;
use ficarchive_store::Location;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a fresh folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir.path()).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "mounting a small tmpfs failed: this test needs root (CI runs as root), so run the tests as root"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp -a {} {}", from.display(), to.display());
}

#[test]
fn a_full_disk_stops_the_import_cleanly_and_the_same_import_finishes_later() {
    let scratch = tempfile::tempdir().unwrap();
    let corpus = scratch.path().join("pile");
    let status =
        Command::new(env!("CARGO_BIN_EXE_ficarchive")).args(["generate", "--works", "150", "--seed", "5"]).arg(&corpus).status().unwrap();
    assert!(status.success());
    let corpus_arg = corpus.to_str().unwrap();

    let disk = SmallDisk::mount("3m");
    let data: PathBuf = disk.path().join("data");
    let on_disk = Location::Embedded(data.clone());
    let (ok, stdout, stderr) = ficarchive(&on_disk, &["import", corpus_arg]);
    assert!(!ok, "the import cannot fit on 3 MB and must fail: {stdout}");
    assert!(stderr.contains("disk") && stderr.contains("full"), "the message names the full disk: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // What the failed import left, moved to a disk with room (as a user would free space).
    let moved = scratch.path().join("moved");
    copy_dir(&data, &moved);
    drop(disk);
    let roomy = Location::Embedded(moved);
    let (ok, checked, stderr) = ficarchive(&roomy, &["check"]);
    assert!(checked.contains("database: ok"), "the database is sound after the failure: {checked} {stderr} (ok: {ok})");

    let report = common::report(&roomy, &["import", "--json", corpus_arg]);
    let stored = report["new"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap();
    assert!(report["new"].as_u64().unwrap() > 0, "{report}");
    assert!(report["failed"].as_array().unwrap().is_empty(), "{report}");
    assert!(stored >= 150, "every work is in the archive after the second run: {report}");
    let (ok, checked, stderr) = ficarchive(&roomy, &["check"]);
    assert!(ok, "{checked} {stderr}");
    assert!(checked.contains("database: ok") && checked.contains("search index: ok (150 of 150 works)"), "{checked}");
    let found = common::report(&roomy, &["stats", "--json"]);
    assert_eq!(found["works"], 150, "{found}");
}
