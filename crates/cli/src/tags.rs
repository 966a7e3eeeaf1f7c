//! `ficarchive tags`: the archivist's view of canonical tags, and merge, rename and synonym.

use anyhow::Result;
use clap::Subcommand;
use ficarchive_store::{Archive, TagDetail, TagKind, TagRef};
use std::io::Write;

#[derive(Subcommand)]
pub enum TagsCommand {
    /// Canonical tags with the number of works using them (through any spelling).
    List {
        /// Only this kind: fandom, relationship, character, freeform, warning, category, rating.
        #[arg(long, value_parser = parse_kind)]
        kind: Option<TagKind>,
        #[arg(long)]
        json: bool,
    },
    /// One tag: its canonical form, synonyms, parents, children and works. TAG is `kind:name`
    /// or a bare name.
    Show {
        tag: String,
        #[arg(long)]
        json: bool,
    },
    /// Join FROM (and all its spellings) into INTO: FROM becomes a synonym of INTO.
    Merge { from: String, into: String },
    /// Give a canonical tag a new name; the old name stays as a synonym.
    Rename { tag: String, new_name: String },
    /// Make TAG a synonym of CANONICAL (a canonical TAG brings its own synonyms along).
    Synonym { tag: String, canonical: String },
}

fn parse_kind(text: &str) -> Result<TagKind, String> {
    TagKind::from_name(text).ok_or_else(|| format!("unknown tag kind `{text}`; one of: {}", TagKind::ALL.map(TagKind::as_str).join(", ")))
}

/// Runs a tags command. Returns the works whose canonical tags changed, for the search index.
pub async fn run(archive: &Archive, command: TagsCommand, out: &mut impl Write) -> Result<Vec<i64>> {
    match command {
        TagsCommand::List { kind, json } => {
            let tags = archive.tags(kind).await?;
            if json {
                let list: Vec<_> = tags
                    .iter()
                    .map(|t| serde_json::json!({"kind": t.kind, "name": t.name, "works": t.works, "synonyms": t.synonyms}))
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else {
                for t in &tags {
                    let synonyms = if t.synonyms > 0 { format!("  (+{} synonyms)", t.synonyms) } else { String::new() };
                    writeln!(out, "{:6}  {}:{}{synonyms}", t.works, t.kind, t.name)?;
                }
                writeln!(out, "{} canonical tags", tags.len())?;
            }
            Ok(Vec::new())
        }
        TagsCommand::Show { tag, json } => {
            let detail = archive.find_tag(&TagRef::parse(&tag)).await?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &detail_json(&detail))?;
                writeln!(out)?;
            } else {
                print_detail(out, &detail)?;
            }
            Ok(Vec::new())
        }
        TagsCommand::Merge { from, into } => {
            let works = archive.merge_tags(&TagRef::parse(&from), &TagRef::parse(&into)).await?;
            writeln!(out, "merged \"{from}\" into \"{into}\"; {} works now carry \"{into}\"", works.len())?;
            Ok(works)
        }
        TagsCommand::Rename { tag, new_name } => {
            let works = archive.rename_tag(&TagRef::parse(&tag), &new_name).await?;
            writeln!(out, "renamed \"{tag}\" to \"{new_name}\" ({} works); the old name stays as a synonym", works.len())?;
            Ok(works)
        }
        TagsCommand::Synonym { tag, canonical } => {
            let works = archive.make_synonym(&TagRef::parse(&tag), &TagRef::parse(&canonical)).await?;
            writeln!(out, "\"{tag}\" is now a synonym of \"{canonical}\" ({} works changed)", works.len())?;
            Ok(works)
        }
    }
}

fn detail_json(d: &TagDetail) -> serde_json::Value {
    let pairs = |v: &[(String, String)]| v.iter().map(|(k, n)| serde_json::json!({"kind": k, "name": n})).collect::<Vec<_>>();
    serde_json::json!({
        "kind": d.kind, "name": d.name, "canonical": d.canonical, "synonyms": d.synonyms,
        "parents": pairs(&d.parents), "children": pairs(&d.children), "works": d.works, "decided_by": d.decided_by,
    })
}

fn print_detail(out: &mut impl Write, d: &TagDetail) -> std::io::Result<()> {
    writeln!(out, "{}:{}", d.kind, d.name)?;
    match &d.canonical {
        Some(c) => writeln!(out, "  synonym of: {c} (decided by {})", d.decided_by)?,
        None => writeln!(out, "  canonical")?,
    }
    writeln!(out, "  works: {}", d.works)?;
    if !d.synonyms.is_empty() {
        writeln!(out, "  other spellings: {}", d.synonyms.join(", "))?;
    }
    for (label, list) in [("parents", &d.parents), ("children", &d.children)] {
        if !list.is_empty() {
            let names: Vec<String> = list.iter().map(|(k, n)| format!("{k}:{n}")).collect();
            writeln!(out, "  {label}: {}", names.join(", "))?;
        }
    }
    Ok(())
}
