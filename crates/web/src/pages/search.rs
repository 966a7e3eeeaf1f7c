//! The search page: free text, every filter of `ficarchive search`, include and exclude
//! checkboxes with facet counts, sorts and pagination. The works list (`/works`) and tag
//! pages are the same page with a sort or a tag filter fixed.

use super::{Blurb, Pagination};
use crate::layout::Page;
use crate::prefs::Prefs;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use ficarchive_query::{FACETS, Filters, Fragment, MAX_PER_PAGE, SearchRequest, SearchResults, SortKey, TagFilter, date_key, parse_query};
use ficarchive_store::{TagKind, TagLink, TagRef, WorkCard};
use std::collections::HashMap;
use std::sync::Arc;

/// The most values one facet lists on the page; the rest are reachable by typing a tag.
const FACET_VALUES_SHOWN: usize = 100;
/// Deep pages cost the index more and nobody reads them; past this, refine the search.
const MAX_PAGE: u32 = 5000;
/// At most this many include and exclude filters together.
const MAX_TAG_FILTERS: usize = 64;

/// The form's fields as the reader sent them (shown again in the form).
#[derive(Default, Clone)]
pub struct Form {
    pub q: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub complete: String,
    pub language: String,
    pub words_min: String,
    pub words_max: String,
    pub published_from: String,
    pub published_to: String,
    pub updated_from: String,
    pub updated_to: String,
    pub series: String,
    pub sort: String,
    pub order: String,
    pub per_page: String,
    pub page: u32,
}

impl Form {
    pub fn parse(raw: Option<&str>) -> Result<Form, WebError> {
        let mut form = Form { page: 1, ..Form::default() };
        for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.trim().to_string();
            match key.as_ref() {
                "q" => form.q = value,
                "include" if !value.is_empty() => form.include.push(value),
                "exclude" if !value.is_empty() => form.exclude.push(value),
                "complete" => form.complete = value,
                "language" => form.language = value,
                "words_min" => form.words_min = value,
                "words_max" => form.words_max = value,
                "published_from" => form.published_from = value,
                "published_to" => form.published_to = value,
                "updated_from" => form.updated_from = value,
                "updated_to" => form.updated_to = value,
                "series" => form.series = value,
                "sort" => form.sort = value,
                "order" => form.order = value,
                "per_page" => form.per_page = value,
                "page" => {
                    form.page = value
                        .parse()
                        .ok()
                        .filter(|p| (1..=MAX_PAGE).contains(p))
                        .ok_or_else(|| WebError::BadRequest(format!("`page` is a number from 1 to {MAX_PAGE}.")))?
                }
                _ => {}
            }
        }
        if form.include.len() + form.exclude.len() > MAX_TAG_FILTERS {
            return Err(WebError::BadRequest(format!("At most {MAX_TAG_FILTERS} tags can be included or excluded at once.")));
        }
        Ok(form)
    }

    /// The search this form asks for; a malformed field is a 400 that names it.
    pub fn request(&self, default_sort: SortKey) -> Result<SearchRequest, WebError> {
        let query = parse_query(&self.q).map_err(|e| WebError::BadRequest(format!("The search words could not be read: {e}.")))?;
        let number = |name: &str, text: &str| -> Result<Option<u64>, WebError> {
            if text.is_empty() {
                return Ok(None);
            }
            text.replace(',', "").parse().map(Some).map_err(|_| WebError::BadRequest(format!("`{name}` must be a whole number.")))
        };
        let date = |name: &str, text: &str| -> Result<Option<u32>, WebError> {
            if text.is_empty() {
                return Ok(None);
            }
            date_key(text).map(Some).ok_or_else(|| WebError::BadRequest(format!("`{name}` must be a date: YYYY, YYYY-MM or YYYY-MM-DD.")))
        };
        let tag = |text: &String| TagRef::parse(text).filter();
        let complete = match self.complete.as_str() {
            "" | "any" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err(WebError::BadRequest("`complete` is `yes`, `no` or `any`.".into())),
        };
        let sort = match self.sort.as_str() {
            "" => default_sort,
            name => SortKey::from_name(name).ok_or_else(|| WebError::BadRequest(format!("Unknown sort `{name}`.")))?,
        };
        let descending = match self.order.as_str() {
            "" => sort.default_descending(),
            "desc" => true,
            "asc" => false,
            _ => return Err(WebError::BadRequest("`order` is `asc` or `desc`.".into())),
        };
        let per_page = match number("per_page", &self.per_page)? {
            None => 20,
            Some(n) if (1..=u64::from(MAX_PER_PAGE)).contains(&n) => n as u32,
            Some(_) => return Err(WebError::BadRequest(format!("`per_page` is a number from 1 to {MAX_PER_PAGE}."))),
        };
        let filters = Filters {
            include: self.include.iter().map(tag).filter(|t| !t.name.is_empty()).collect(),
            exclude: self.exclude.iter().map(tag).filter(|t| !t.name.is_empty()).collect(),
            complete,
            language: Some(self.language.clone()).filter(|l| !l.is_empty()),
            words_min: number("words_min", &self.words_min)?,
            words_max: number("words_max", &self.words_max)?,
            published_from: date("published_from", &self.published_from)?,
            published_to: date("published_to", &self.published_to)?,
            updated_from: date("updated_from", &self.updated_from)?,
            updated_to: date("updated_to", &self.updated_to)?,
            series: Some(self.series.clone()).filter(|s| !s.is_empty()),
        };
        Ok(SearchRequest { query, filters, sort, descending, page: self.page, per_page })
    }

    /// The query string of this form at another page.
    pub fn query_string(&self, page: u32) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let single = [
            ("q", &self.q),
            ("complete", &self.complete),
            ("language", &self.language),
            ("words_min", &self.words_min),
            ("words_max", &self.words_max),
            ("published_from", &self.published_from),
            ("published_to", &self.published_to),
            ("updated_from", &self.updated_from),
            ("updated_to", &self.updated_to),
            ("series", &self.series),
            ("sort", &self.sort),
            ("order", &self.order),
            ("per_page", &self.per_page),
        ];
        for (key, value) in single {
            if !value.is_empty() {
                out.append_pair(key, value);
            }
        }
        for value in &self.include {
            out.append_pair("include", value);
        }
        for value in &self.exclude {
            out.append_pair("exclude", value);
        }
        if page > 1 {
            out.append_pair("page", &page.to_string());
        }
        out.finish()
    }
}

/// One facet value with its two checkboxes.
pub struct FacetOption {
    pub name: String,
    pub count: u64,
    /// The form field and value it sets (`include` with `fandom:Name`, or `complete` with
    /// `yes`); excluding is offered for tags only.
    pub field: &'static str,
    pub value: String,
    pub included: bool,
    pub excluded: bool,
    pub excludable: bool,
}

pub struct FacetGroup {
    pub key: &'static str,
    pub label: &'static str,
    pub options: Vec<FacetOption>,
    pub hidden: usize,
}

pub struct SortOption {
    pub value: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Page,
    heading: String,
    /// For a tag page: the tag's other spellings and parents.
    about: Vec<String>,
    action: String,
    form: Form,
    total: String,
    results: Vec<Blurb>,
    facets: Vec<FacetGroup>,
    sorts: Vec<SortOption>,
    descending: bool,
    pagination: Pagination,
}

fn facet_label(name: &str) -> &'static str {
    match TagKind::from_name(name) {
        Some(kind) => super::tag_label(kind),
        None if name == "complete" => "Completion",
        None => "Language",
    }
}

fn facet_groups(form: &Form, facets: &[ficarchive_query::Facet], fixed: Option<&TagLink>) -> Vec<FacetGroup> {
    let mut groups = Vec::new();
    for name in FACETS {
        let Some(facet) = facets.iter().find(|f| f.name == name) else { continue };
        let key: &'static str = name;
        let mut options: Vec<FacetOption> = Vec::new();
        for value in &facet.values {
            let (field, form_value, included, excludable) = match key {
                "complete" => {
                    let v = match value.name.as_str() {
                        "complete" => "yes",
                        "in progress" => "no",
                        _ => continue,
                    };
                    ("complete", v.to_string(), form.complete == v, false)
                }
                "language" => ("language", value.name.clone(), form.language == value.name, false),
                kind => {
                    if fixed.is_some_and(|t| t.kind.as_str() == kind && t.name == value.name) {
                        continue;
                    }
                    let v = format!("{kind}:{}", value.name);
                    let included = form.include.iter().any(|i| same_tag(i, &v));
                    ("include", v, included, true)
                }
            };
            let excluded = excludable && form.exclude.iter().any(|e| same_tag(e, &form_value));
            options.push(FacetOption {
                name: value.name.clone(),
                count: value.count,
                field,
                value: form_value,
                included,
                excluded,
                excludable,
            });
        }
        // Chosen values always stay visible, whatever their count.
        let total = options.len();
        let shown: Vec<FacetOption> =
            options.into_iter().enumerate().filter(|(i, o)| *i < FACET_VALUES_SHOWN || o.included || o.excluded).map(|(_, o)| o).collect();
        if !shown.is_empty() {
            groups.push(FacetGroup { key, label: facet_label(key), hidden: total - shown.len(), options: shown });
        }
    }
    // Excluded tags no longer appear among the results' facets; keep them in the form.
    for value in &form.exclude {
        if !groups.iter().flat_map(|g| &g.options).any(|o| o.excluded && same_tag(&o.value, value)) {
            let TagFilter { kind, name } = TagRef::parse(value).filter();
            let option = FacetOption {
                value: format!("{}:{name}", kind.as_str()),
                name,
                count: 0,
                field: "include",
                included: false,
                excluded: true,
                excludable: true,
            };
            match groups.iter_mut().find(|g| g.key == kind.as_str()) {
                Some(group) => group.options.push(option),
                None => groups.push(FacetGroup { key: kind.as_str(), label: super::tag_label(kind), options: vec![option], hidden: 0 }),
            }
        }
    }
    groups
}

/// `fandom:Buffy` and `Fandom: buffy` are the same filter.
fn same_tag(a: &str, b: &str) -> bool {
    let (a, b) = (TagRef::parse(a).filter(), TagRef::parse(b).filter());
    a.kind == b.kind && a.name.to_lowercase() == b.name.to_lowercase()
}

/// What a results page is about besides the form.
pub struct Scope<'a> {
    pub heading: String,
    pub about: Vec<String>,
    pub action: String,
    pub default_sort: SortKey,
    pub fixed: Option<&'a TagLink>,
}

/// Runs a search and loads the cards of its page of works, each with its snippet, in result
/// order. A filter naming a tag the archive does not have is a bad request that says so.
pub async fn find(app: &AppState, request: &SearchRequest) -> Result<(SearchResults, Vec<(WorkCard, Vec<Fragment>)>), WebError> {
    let mut results = match app.searcher.search(&app.archive, request).await {
        Err(ficarchive_search::SearchError::Store(ficarchive_store::StoreError::NotFound(message))) => {
            return Err(WebError::BadRequest(format!("{message}. Remove that filter and search again.")));
        }
        other => other?,
    };
    let ids: Vec<i64> = results.hits.iter().map(|h| h.work_id).collect();
    let mut snippets: HashMap<i64, Vec<Fragment>> = results.hits.drain(..).map(|h| (h.work_id, h.snippet)).collect();
    let cards = app.archive.work_cards(&ids).await?;
    let found = cards
        .into_iter()
        .map(|card| {
            let snippet = snippets.remove(&card.id).unwrap_or_default();
            (card, snippet)
        })
        .collect();
    Ok((results, found))
}

pub async fn results_page(app: &AppState, prefs: &Prefs, raw_query: Option<&str>, scope: Scope<'_>) -> Result<Response, WebError> {
    let form = Form::parse(raw_query)?;
    let mut request = form.request(scope.default_sort)?;
    if let Some(tag) = scope.fixed {
        request.filters.include.push(TagFilter { kind: tag.kind, name: tag.name.clone() });
    }
    let (results, found) = find(app, &request).await?;
    let blurbs = found.iter().map(|(card, snippet)| Blurb::new(card, snippet)).collect();
    let action = scope.action.clone();
    let link = |p: u32| match form.query_string(p) {
        q if q.is_empty() => action.clone(),
        q => format!("{action}?{q}"),
    };
    let pagination = Pagination::new(request.page, results.total, request.limit() as u32, link);
    let sorts = SortKey::ALL.iter().map(|k| SortOption { value: k.as_str(), selected: *k == request.sort }).collect();
    let mut frame = Page::new(app, prefs, &scope.heading).at(link(request.page));
    frame.prev = pagination.previous.clone();
    frame.next = pagination.next.clone();
    crate::html(SearchPage {
        page: frame,
        heading: scope.heading,
        about: scope.about,
        action: scope.action,
        facets: facet_groups(&form, &results.facets, scope.fixed),
        total: super::count_of(results.total, "work found", "works found"),
        results: blurbs,
        sorts,
        descending: request.descending,
        form,
        pagination,
    })
}

pub async fn show(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery, headers: HeaderMap) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let scope =
        Scope { heading: "Search".into(), about: Vec::new(), action: "/search".into(), default_sort: SortKey::Relevance, fixed: None };
    results_page(&app, &prefs, raw.as_deref(), scope).await
}

/// `/works`: every work, newest updates first, with the same filters.
pub async fn all_works(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery, headers: HeaderMap) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let scope = Scope { heading: "Works".into(), about: Vec::new(), action: "/works".into(), default_sort: SortKey::Updated, fixed: None };
    results_page(&app, &prefs, raw.as_deref(), scope).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_round_trips_through_its_query_string() {
        let raw = "q=lighthouse+%22old+keeper%22&include=fandom%3ABuffy&include=character%3ADru&exclude=warning%3AMajor+Character+Death&complete=yes&words_min=1%2C000&sort=words&order=asc&page=3";
        let form = Form::parse(Some(raw)).unwrap();
        assert_eq!(form.include, ["fandom:Buffy", "character:Dru"]);
        let again = Form::parse(Some(&form.query_string(3))).unwrap();
        assert_eq!(again.query_string(3), form.query_string(3));
        let request = form.request(SortKey::Relevance).unwrap();
        assert_eq!(request.filters.words_min, Some(1000));
        assert_eq!(request.filters.complete, Some(true));
        assert_eq!(request.filters.exclude, [TagFilter { kind: TagKind::Warning, name: "Major Character Death".into() }]);
        assert_eq!((request.sort, request.descending, request.page), (SortKey::Words, false, 3));
    }

    #[test]
    fn malformed_fields_are_named_in_the_error() {
        let message = |raw: &str| match Form::parse(Some(raw)).and_then(|f| f.request(SortKey::Relevance)) {
            Err(WebError::BadRequest(m)) => m,
            other => panic!("expected a bad request, got {:?}", other.map(|r| r.page)),
        };
        assert!(message("words_min=many").contains("words_min"));
        assert!(message("published_from=yesterday").contains("published_from"));
        assert!(message("page=0").contains("page"));
        assert!(message("page=99999999999").contains("page"));
        assert!(message("sort=random").contains("random"));
        assert!(message("q=%22unclosed").contains("search words"));
        let many: String = (0..65).map(|i| format!("include=t{i}&")).collect();
        assert!(message(&many).contains("64"));
    }
}
