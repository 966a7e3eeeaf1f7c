//! Typed tags in the database: every stated string is a row; a row is canonical (its
//! `canonical_id` is NULL) or a synonym pointing straight at its canonical row. Imports choose
//! canonical tags with `ficarchive_wrangle`; the archivist changes them with
//! [`Archive::merge_tags`], [`Archive::rename_tag`] and [`Archive::make_synonym`], and those
//! decisions are never undone by a later import.

use crate::{Archive, Result, StoreError};
use ficarchive_wrangle::{TagKind, WrangledTag, fold};
use sqlx::{AnyConnection, Row};

/// A canonical tag with how many works use it (through any of its spellings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSummary {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub works: u64,
    pub synonyms: u64,
}

/// One tag with everything an archivist needs to wrangle it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagDetail {
    pub id: i64,
    pub kind: String,
    pub name: String,
    /// The canonical tag, when this one is a synonym.
    pub canonical: Option<String>,
    /// The id of the canonical row (this tag's own id when it is canonical).
    pub group: i64,
    /// The other spellings of the canonical tag.
    pub synonyms: Vec<String>,
    pub parents: Vec<(String, String)>,
    pub children: Vec<(String, String)>,
    pub works: u64,
    pub decided_by: String,
}

/// The row id standing for a stated tag, created (with its canonical tag and parents) when the
/// archive has not seen the string before. A known string keeps whatever canonical it has.
pub(crate) async fn stated_tag_id(conn: &mut AnyConnection, tag: &WrangledTag) -> Result<i64> {
    let kind = tag.kind.as_str();
    if let Some(id) = exact_tag(conn, kind, &tag.raw).await? {
        return Ok(id);
    }
    let canonical = canonical_tag_id(conn, kind, &tag.canonical).await?;
    for (parent_kind, parent_name) in &tag.parents {
        let parent = canonical_tag_id(conn, parent_kind.as_str(), parent_name).await?;
        if parent != canonical {
            sqlx::query("INSERT INTO tag_parents (tag_id, parent_id) VALUES ($1, $2) ON CONFLICT (tag_id, parent_id) DO NOTHING")
                .bind(canonical)
                .bind(parent)
                .execute(&mut *conn)
                .await?;
        }
    }
    if let Some(id) = exact_tag(conn, kind, &tag.raw).await? {
        return Ok(id);
    }
    insert_tag(conn, kind, &tag.raw, Some(canonical)).await
}

async fn exact_tag(conn: &mut AnyConnection, kind: &str, name: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM tags WHERE kind = $1 AND name = $2").bind(kind).bind(name).fetch_optional(&mut *conn).await?)
}

async fn insert_tag(conn: &mut AnyConnection, kind: &str, name: &str, canonical: Option<i64>) -> Result<i64> {
    Ok(sqlx::query_scalar("INSERT INTO tags (kind, name, fold_key, canonical_id) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(kind)
        .bind(name)
        .bind(fold(name))
        .bind(canonical)
        .fetch_one(&mut *conn)
        .await?)
}

/// The canonical row a name means: two index searches joined, not `name = $2 OR fold_key =
/// $3`, for which SQLite walked every tag of the kind and an import slowed down as the
/// archive grew (a test in `lib.rs` checks the plan).
pub(crate) const FIND_CANONICAL: &str = "SELECT target FROM ( \
           SELECT COALESCE(canonical_id, id) AS target, 0 AS exact, CASE WHEN canonical_id IS NULL THEN 0 ELSE 1 END AS synonym, id \
             FROM tags WHERE kind = $1 AND name = $2 \
           UNION ALL \
           SELECT COALESCE(canonical_id, id), 1, CASE WHEN canonical_id IS NULL THEN 0 ELSE 1 END, id \
             FROM tags WHERE kind = $1 AND fold_key = $3 \
         ) found ORDER BY exact, synonym, id LIMIT 1";

/// The canonical row a name means in the archive: the canonical of the row of that exact name,
/// else of a tag that folds the same (preferring canonical rows), else `None`.
async fn find_canonical_id(conn: &mut AnyConnection, kind: &str, name: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(FIND_CANONICAL).bind(kind).bind(name).bind(fold(name)).fetch_optional(&mut *conn).await?)
}

/// The canonical row for a canonical name, created when the archive has none.
async fn canonical_tag_id(conn: &mut AnyConnection, kind: &str, name: &str) -> Result<i64> {
    match find_canonical_id(conn, kind, name).await? {
        Some(id) => Ok(id),
        None => insert_tag(conn, kind, name, None).await,
    }
}

/// Fills `fold_key` for rows written before migration 2.
pub(crate) async fn backfill_fold_keys(conn: &mut AnyConnection) -> Result<()> {
    let rows = sqlx::query("SELECT id, name FROM tags WHERE fold_key IS NULL").fetch_all(&mut *conn).await?;
    for row in rows {
        let (id, name): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        sqlx::query("UPDATE tags SET fold_key = $1 WHERE id = $2").bind(fold(&name)).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A tag named on the command line: `kind:name` or a bare name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    pub kind: Option<TagKind>,
    pub name: String,
}

impl TagRef {
    /// `character:Dru` names a character; `Dru` any kind (an error later if it is ambiguous).
    /// A prefix that is not a tag kind is part of the name (`Angel: the Series`).
    pub fn parse(text: &str) -> TagRef {
        if let Some((prefix, rest)) = text.split_once(':')
            && let Some(kind) = TagKind::from_name(prefix.trim())
        {
            return TagRef { kind: Some(kind), name: rest.trim().to_string() };
        }
        TagRef { kind: None, name: text.trim().to_string() }
    }

    /// The search filter this names: a bare name is a freeform tag.
    pub fn filter(self) -> ficarchive_query::TagFilter {
        ficarchive_query::TagFilter { kind: self.kind.unwrap_or(TagKind::Freeform), name: self.name }
    }
}

impl Archive {
    /// The canonical name of a tag given in any spelling the archive holds or the dictionary
    /// knows, for filters; `None` when the archive has no such tag.
    pub async fn canonical_tag_name(&self, kind: TagKind, name: &str) -> Result<Option<String>> {
        let mut conn = self.readers().acquire().await?;
        let mut found = find_canonical_id(&mut conn, kind.as_str(), name).await?;
        if found.is_none() {
            // A dictionary spelling the archive has not seen yet ("Buffy" when works said "BtVS").
            let dict = ficarchive_wrangle::Dictionary::starter();
            let known = match kind {
                TagKind::Fandom => dict.fandom(name),
                TagKind::Character => dict.character(name, &[]).map(|(c, _)| c),
                TagKind::Warning => dict.warning(name),
                TagKind::Category => dict.category(name),
                _ => None,
            };
            if let Some(canonical) = known.filter(|c| *c != name) {
                found = find_canonical_id(&mut conn, kind.as_str(), canonical).await?;
            }
        }
        match found {
            Some(id) => Ok(Some(sqlx::query_scalar("SELECT name FROM tags WHERE id = $1").bind(id).fetch_one(&mut *conn).await?)),
            None => Ok(None),
        }
    }

    /// Canonical tags with their use counts, most used first; one kind or all.
    pub async fn tags(&self, kind: Option<TagKind>) -> Result<Vec<TagSummary>> {
        let rows = sqlx::query(
            "SELECT c.id, c.kind, c.name, \
               (SELECT COUNT(DISTINCT wt.work_id) FROM work_tags wt JOIN tags t ON t.id = wt.tag_id WHERE COALESCE(t.canonical_id, t.id) = c.id), \
               (SELECT COUNT(*) FROM tags s WHERE s.canonical_id = c.id) \
             FROM tags c WHERE c.canonical_id IS NULL AND ($1 = '' OR c.kind = $1)",
        )
        .bind(kind.map_or("", TagKind::as_str))
        .fetch_all(self.readers())
        .await?;
        let mut tags = rows
            .iter()
            .map(|r| {
                Ok(TagSummary {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    name: r.try_get(2)?,
                    works: r.try_get::<i64, _>(3)? as u64,
                    synonyms: r.try_get::<i64, _>(4)? as u64,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        tags.sort_by(|a, b| b.works.cmp(&a.works).then_with(|| a.kind.cmp(&b.kind)).then_with(|| fold(&a.name).cmp(&fold(&b.name))));
        Ok(tags)
    }

    /// The tag a command-line reference names. An unknown name or a bare name used by several
    /// kinds is an error that says what to type instead.
    pub async fn find_tag(&self, tag: &TagRef) -> Result<TagDetail> {
        let rows = sqlx::query("SELECT id, kind FROM tags WHERE name = $1 AND ($2 = '' OR kind = $2) ORDER BY kind")
            .bind(&tag.name)
            .bind(tag.kind.map_or("", TagKind::as_str))
            .fetch_all(self.readers())
            .await?;
        let rows: Vec<(i64, String)> = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?;
        match rows.as_slice() {
            [] => Err(StoreError::NotFound(format!("no tag named \"{}\"", tag.name))),
            [(id, _)] => self.tag_detail(*id).await,
            several => Err(StoreError::NotFound(format!(
                "\"{}\" is a tag of several kinds; say which: {}",
                tag.name,
                several.iter().map(|(_, k)| format!("{k}:{}", tag.name)).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    pub async fn tag_detail(&self, id: i64) -> Result<TagDetail> {
        let mut conn = self.readers().acquire().await?;
        let row = sqlx::query("SELECT kind, name, canonical_id, decided_by FROM tags WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no tag with id {id}")))?;
        let (kind, name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let canonical_id: Option<i64> = row.try_get(2)?;
        let group = canonical_id.unwrap_or(id);
        let canonical: Option<String> = match canonical_id {
            Some(c) => Some(sqlx::query_scalar("SELECT name FROM tags WHERE id = $1").bind(c).fetch_one(&mut *conn).await?),
            None => None,
        };
        let synonyms: Vec<String> = sqlx::query_scalar("SELECT name FROM tags WHERE canonical_id = $1 AND id <> $2 ORDER BY name")
            .bind(group)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        let pairs =
            |rows: Vec<sqlx::any::AnyRow>| rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<Vec<_>, sqlx::Error>>();
        let parents = pairs(
            sqlx::query(
                "SELECT p.kind, p.name FROM tag_parents tp JOIN tags p ON p.id = tp.parent_id WHERE tp.tag_id = $1 ORDER BY p.kind, p.name",
            )
            .bind(group)
            .fetch_all(&mut *conn)
            .await?,
        )?;
        let children = pairs(
            sqlx::query(
                "SELECT c.kind, c.name FROM tag_parents tp JOIN tags c ON c.id = tp.tag_id WHERE tp.parent_id = $1 ORDER BY c.kind, c.name",
            )
            .bind(group)
            .fetch_all(&mut *conn)
            .await?,
        )?;
        let works: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT wt.work_id) FROM work_tags wt JOIN tags t ON t.id = wt.tag_id WHERE COALESCE(t.canonical_id, t.id) = $1",
        )
        .bind(group)
        .fetch_one(&mut *conn)
        .await?;
        Ok(TagDetail { id, kind, name, canonical, group, synonyms, parents, children, works: works as u64, decided_by: row.try_get(3)? })
    }

    /// Makes `from` (and, when it is canonical, every spelling of it) a synonym of the
    /// canonical tag of `into`; parents and children move along. Returns the works whose
    /// canonical tags changed, for the search index.
    pub async fn merge_tags(&self, from: &TagRef, into: &TagRef) -> Result<Vec<i64>> {
        let from = self.find_tag(from).await?;
        let into = self.find_tag(into).await?;
        check_same_kind(&from, &into)?;
        let target = into.group;
        let source = from.group;
        if source == target {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        merge_group(&mut tx, source, target).await?;
        let works = group_works(&mut tx, target).await?;
        self.works_retagged(&mut tx, &works).await?;
        tx.commit().await?;
        Ok(works)
    }

    /// Makes one spelling a synonym of another tag. A canonical tag brings its own synonyms
    /// along (that is a merge); a synonym moves alone.
    pub async fn make_synonym(&self, tag: &TagRef, of: &TagRef) -> Result<Vec<i64>> {
        let tag_detail = self.find_tag(tag).await?;
        if tag_detail.canonical.is_none() {
            return self.merge_tags(tag, of).await;
        }
        let of_detail = self.find_tag(of).await?;
        check_same_kind(&tag_detail, &of_detail)?;
        let target = of_detail.group;
        let mut tx = self.pool.begin().await?;
        let before = group_works(&mut tx, tag_detail.group).await?;
        sqlx::query("UPDATE tags SET canonical_id = $1, decided_by = 'archivist' WHERE id = $2")
            .bind(target)
            .bind(tag_detail.id)
            .execute(&mut *tx)
            .await?;
        let mut works = group_works(&mut tx, target).await?;
        works.extend(before);
        works.sort_unstable();
        works.dedup();
        self.works_retagged(&mut tx, &works).await?;
        tx.commit().await?;
        Ok(works)
    }

    /// Gives a canonical tag a new name. The old name stays as a synonym, so works that state
    /// it keep pointing at the tag. A new name that is already another tag is refused: that is
    /// a merge.
    pub async fn rename_tag(&self, tag: &TagRef, new_name: &str) -> Result<Vec<i64>> {
        let new_name = ficarchive_wrangle::clean(new_name);
        if new_name.is_empty() {
            return Err(StoreError::NotFound("a tag needs a name".into()));
        }
        let detail = self.find_tag(tag).await?;
        let group = detail.group;
        let mut tx = self.pool.begin().await?;
        let existing = sqlx::query("SELECT id, canonical_id FROM tags WHERE kind = $1 AND name = $2")
            .bind(&detail.kind)
            .bind(&new_name)
            .fetch_optional(&mut *tx)
            .await?;
        let renamed = match existing {
            None => insert_tag(&mut tx, &detail.kind, &new_name, None).await?,
            Some(row) => {
                let id: i64 = row.try_get(0)?;
                let canonical: Option<i64> = row.try_get(1)?;
                if id == group {
                    return Ok(Vec::new());
                }
                if canonical != Some(group) {
                    return Err(StoreError::NotFound(format!(
                        "\"{new_name}\" is already another {} tag; to join the two, run: ficarchive tags merge \"{}:{}\" \"{}:{new_name}\"",
                        detail.kind, detail.kind, detail.name, detail.kind
                    )));
                }
                sqlx::query("UPDATE tags SET canonical_id = NULL WHERE id = $1").bind(id).execute(&mut *tx).await?;
                id
            }
        };
        merge_group(&mut tx, group, renamed).await?;
        sqlx::query("UPDATE tags SET decided_by = 'archivist' WHERE id = $1").bind(renamed).execute(&mut *tx).await?;
        let works = group_works(&mut tx, renamed).await?;
        self.works_retagged(&mut tx, &works).await?;
        tx.commit().await?;
        Ok(works)
    }

    /// Works whose canonical tags changed are modified works: their stamp moves and search
    /// learns of them in the same transaction.
    async fn works_retagged(&self, conn: &mut AnyConnection, works: &[i64]) -> Result<()> {
        for &id in works {
            sqlx::query("UPDATE works SET modified_at = $1 WHERE id = $2").bind(crate::now()).bind(id).execute(&mut *conn).await?;
            crate::search::work_changed(conn, self.dialect, id, None).await?;
        }
        Ok(())
    }
}

fn check_same_kind(a: &TagDetail, b: &TagDetail) -> Result<()> {
    if a.kind == b.kind {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!(
            "\"{}\" is a {} tag and \"{}\" a {} tag; only tags of one kind can be joined",
            a.name, a.kind, b.name, b.kind
        )))
    }
}

/// Points every row of group `source` at `target` and moves the group's parent links.
async fn merge_group(conn: &mut AnyConnection, source: i64, target: i64) -> Result<()> {
    sqlx::query("UPDATE tags SET canonical_id = $1, decided_by = 'archivist' WHERE id = $2 OR canonical_id = $2")
        .bind(target)
        .bind(source)
        .execute(&mut *conn)
        .await?;
    for (moved, kept) in [("tag_id", "parent_id"), ("parent_id", "tag_id")] {
        // Audited: both column names are literals of this function.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO tag_parents ({moved}, {kept}) SELECT $1, {kept} FROM tag_parents WHERE {moved} = $2 AND {kept} <> $1 \
             ON CONFLICT (tag_id, parent_id) DO NOTHING"
        )))
        .bind(target)
        .bind(source)
        .execute(&mut *conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM tag_parents WHERE {moved} = $1"))).bind(source).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn group_works(conn: &mut AnyConnection, group: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT wt.work_id FROM work_tags wt JOIN tags t ON t.id = wt.tag_id WHERE COALESCE(t.canonical_id, t.id) = $1 ORDER BY wt.work_id",
    )
    .bind(group)
    .fetch_all(&mut *conn)
    .await?)
}
