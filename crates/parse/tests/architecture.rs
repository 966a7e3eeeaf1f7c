//! The code map in ARCHITECTURE.md stays true for this crate: every module file is named in
//! the crate's section, and every `*.rs` file the section names exists. A module added,
//! renamed or removed without its line fails here.

use std::path::{Path, PathBuf};

fn module_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path: PathBuf = entry.expect("entry").path();
        if path.is_dir() {
            module_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/"));
        }
    }
}

fn parse_section() -> String {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let start = doc.find("- `crates/parse`").expect("the code map has a line for crates/parse");
    let rest = &doc[start + 1..];
    let end = rest.find("\n- `crates/").map_or(rest.len(), |i| i + 1);
    doc[start..start + end].to_string()
}

#[test]
fn the_code_map_names_every_module_of_the_parser() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    module_files(&src, &src, &mut files);
    let section = parse_section();
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            !section.contains(&format!("`{f}`")) && !section.contains(&format!("`{name}`")) && !section.contains(&format!("{name}`"))
        })
        .collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md's crates/parse section does not name {missing:?}");
}

#[test]
fn every_parser_file_the_code_map_names_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let section = parse_section();
    let named: Vec<&str> =
        section.split('`').skip(1).step_by(2).flat_map(|quoted| quoted.split([',', ' '])).filter(|t| t.ends_with(".rs")).collect();
    assert!(!named.is_empty(), "the section names no files");
    let absent: Vec<&&str> = named.iter().filter(|f| !src.join(f).exists()).collect();
    assert!(absent.is_empty(), "ARCHITECTURE.md names parser files that do not exist: {absent:?}");
}
