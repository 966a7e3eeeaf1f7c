//! Data-driven tests: every file in `tests/fixtures/` (or folder, for multi-file works) is
//! parsed and its work records are compared with the snapshot beside it in `snapshots/`.
//! Fixtures are invented stories written for these tests.

use ficarchive_model::record;
use ficarchive_parse::{Input, parse_inputs};
use std::path::Path;

fn records_for(path: &Path) -> serde_json::Value {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("fixture dir") {
                let p = entry.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push((p.strip_prefix(path.parent().unwrap()).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
    } else {
        files.push((path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(path).unwrap()));
    }
    let inputs: Vec<Input<'_>> = files.iter().map(|(p, b)| Input::new(p, b)).collect();
    let outcome = parse_inputs(&inputs);
    let errors: Vec<String> = outcome.errors.iter().map(|(p, e)| format!("{p}: {e}")).collect();
    serde_json::json!({
        "works": outcome.works.iter().map(|w| record::to_json(w, true)).collect::<Vec<_>>(),
        "errors": errors,
    })
}

#[test]
fn fixtures_match_their_snapshots() {
    insta::glob!("fixtures/*", |path| {
        insta::assert_json_snapshot!(records_for(path));
    });
}
