//! The search query language and the shapes a search goes through: [`SearchRequest`] in,
//! [`SearchResults`] out, and the [`SearchDoc`] every backend indexes.
//!
//! The language (`ficarchive search --help` shows it to users):
//!
//! - words: `lighthouse keeper` (all words must match, anywhere);
//! - phrases: `"the last ferry"`;
//! - `OR` (or `|`), `AND` (optional), `NOT` (or a leading `-`), parentheses;
//! - field prefixes: `title:`, `author:`, `summary:`, `notes:`, `text:`, `tag:`, `fandom:`,
//!   `relationship:`, `character:`, `series:`, on a word, a phrase or a parenthesised group.
//!
//! Operators are upper case: a lower-case `or` is a word. An unknown prefix made of letters
//! (`colour:blue`) is an error that says how to search for the text itself; a prefix with
//! other characters (`12:30`) is text.
//!
//! Architecture invariant: pure. A parsed query is a tree of values; backends turn it into
//! their own query objects, never into SQL text, so no input can become SQL.

use ficarchive_wrangle::TagKind;

pub const MAX_QUERY_CHARS: usize = 1000;
const MAX_DEPTH: usize = 32;
const MAX_CLAUSES: usize = 64;

/// Where a word or phrase must occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Title, authors, summary, notes, tags, series and the story text.
    Any,
    Title,
    Author,
    Summary,
    Notes,
    /// The story text itself.
    Text,
    /// Any tag (canonical names).
    Tags,
    Fandom,
    Relationship,
    Character,
    Series,
}

impl Field {
    pub const NAMED: [(&'static str, Field); 15] = [
        ("title", Field::Title),
        ("author", Field::Author),
        ("authors", Field::Author),
        ("by", Field::Author),
        ("summary", Field::Summary),
        ("notes", Field::Notes),
        ("text", Field::Text),
        ("tag", Field::Tags),
        ("tags", Field::Tags),
        ("fandom", Field::Fandom),
        ("relationship", Field::Relationship),
        ("pairing", Field::Relationship),
        ("ship", Field::Relationship),
        ("character", Field::Character),
        ("series", Field::Series),
    ];

    pub fn from_name(name: &str) -> Option<Field> {
        let lower = name.to_ascii_lowercase();
        Field::NAMED.iter().find(|(n, _)| *n == lower).map(|(_, f)| *f)
    }
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// The empty query: every work.
    All,
    /// A word as typed. Backends split it into tokens with their analyser; several tokens
    /// (`hurt/comfort`) must then occur together, as a phrase.
    Word {
        field: Field,
        text: String,
    },
    Phrase {
        field: Field,
        text: String,
    },
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
}

impl Query {
    /// The words and phrases that must or may match (not those under a NOT), for relevance
    /// and highlighting.
    pub fn positive_terms(&self) -> Vec<(Field, &str, bool)> {
        let mut out = Vec::new();
        fn walk<'a>(q: &'a Query, out: &mut Vec<(Field, &'a str, bool)>) {
            match q {
                Query::All | Query::Not(_) => {}
                Query::Word { field, text } => out.push((*field, text, false)),
                Query::Phrase { field, text } => out.push((*field, text, true)),
                Query::And(items) | Query::Or(items) => items.iter().for_each(|i| walk(i, out)),
            }
        }
        walk(self, &mut out);
        out
    }
}

/// A query that cannot be read, with the column (1-based, in characters) of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read the query at column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for QueryError {}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Field(Field),
    Open,
    Close,
    And,
    Or,
    Not,
}

fn error(column: usize, message: impl Into<String>) -> QueryError {
    QueryError { column, message: message.into() }
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '"' | '\u{201c}' | '\u{201d}')
}

fn tokenize(input: &str) -> Result<Vec<(Token, usize)>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push((Token::Open, column));
            i += 1;
        } else if c == ')' {
            tokens.push((Token::Close, column));
            i += 1;
        } else if c == '"' || c == '\u{201c}' || c == '\u{201d}' {
            let end = chars[i + 1..].iter().position(|&c| c == '"' || c == '\u{201c}' || c == '\u{201d}');
            let Some(end) = end else { return Err(error(column, "this quotation mark is never closed")) };
            let text: String = chars[i + 1..i + 1 + end].iter().collect();
            tokens.push((Token::Quoted(text), column));
            i += end + 2;
        } else if c == '-'
            && i + 1 < chars.len()
            && (is_word_char(chars[i + 1]) || chars[i + 1] == '"' || chars[i + 1] == '(')
            && chars[i + 1] != '-'
        {
            tokens.push((Token::Not, column));
            i += 1;
        } else if c == '|' && chars.get(i + 1).is_none_or(|c| c.is_whitespace() || *c == '|') {
            tokens.push((Token::Or, column));
            i += if chars.get(i + 1) == Some(&'|') { 2 } else { 1 };
        } else {
            let start = i;
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.as_str() {
                "OR" => tokens.push((Token::Or, column)),
                "AND" | "&&" => tokens.push((Token::And, column)),
                "NOT" => tokens.push((Token::Not, column)),
                _ => match word.split_once(':') {
                    Some((prefix, rest)) if !prefix.is_empty() && prefix.chars().all(char::is_alphabetic) => {
                        let Some(field) = Field::from_name(prefix) else {
                            let names: Vec<&str> = Field::NAMED.iter().map(|(n, _)| *n).collect();
                            return Err(error(
                                column,
                                format!(
                                    "`{prefix}:` is not a field (fields: {}); to search for the text itself, put it in quotes: \"{word}\"",
                                    names.join(", ")
                                ),
                            ));
                        };
                        tokens.push((Token::Field(field), column));
                        if !rest.is_empty() {
                            tokens.push((Token::Word(rest.to_string()), column + prefix.chars().count() + 1));
                        } else if i >= chars.len() || chars[i].is_whitespace() {
                            return Err(error(column, format!("nothing follows `{prefix}:`")));
                        }
                    }
                    _ => tokens.push((Token::Word(word), column)),
                },
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    end_column: usize,
    clauses: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end_column, |(_, c)| *c)
    }

    fn or(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut items = vec![self.and(depth)?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            if matches!(self.peek(), None | Some(Token::Close | Token::Or)) {
                return Err(error(self.column(), "nothing after OR"));
            }
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 { items.pop().unwrap_or(Query::All) } else { Query::Or(items) })
    }

    fn and(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut items = vec![self.unary(depth)?];
        loop {
            match self.peek() {
                None | Some(Token::Close | Token::Or) => break,
                Some(Token::And) => {
                    self.at += 1;
                    if matches!(self.peek(), None | Some(Token::Close | Token::Or | Token::And)) {
                        return Err(error(self.column(), "nothing after AND"));
                    }
                }
                _ => {}
            }
            items.push(self.unary(depth)?);
        }
        Ok(if items.len() == 1 { items.pop().unwrap_or(Query::All) } else { Query::And(items) })
    }

    fn unary(&mut self, depth: usize) -> Result<Query, QueryError> {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            if matches!(self.peek(), None | Some(Token::Close | Token::Or | Token::And)) {
                return Err(error(self.column(), "nothing after NOT"));
            }
            return Ok(Query::Not(Box::new(self.unary(depth)?)));
        }
        self.primary(Field::Any, depth)
    }

    fn primary(&mut self, field: Field, depth: usize) -> Result<Query, QueryError> {
        if depth > MAX_DEPTH {
            return Err(error(self.column(), format!("more than {MAX_DEPTH} nested groups")));
        }
        let column = self.column();
        let Some((token, _)) = self.tokens.get(self.at).cloned() else {
            return Err(error(column, "the query ends too early"));
        };
        self.at += 1;
        let leaf = |q: Query, clauses: &mut usize| {
            *clauses += 1;
            if *clauses > MAX_CLAUSES { Err(error(column, format!("more than {MAX_CLAUSES} words and phrases"))) } else { Ok(q) }
        };
        match token {
            Token::Word(text) => leaf(Query::Word { field, text }, &mut self.clauses),
            Token::Quoted(text) => {
                if text.trim().is_empty() {
                    return Err(error(column, "empty quotation marks"));
                }
                leaf(Query::Phrase { field, text }, &mut self.clauses)
            }
            Token::Field(inner) => {
                if field != Field::Any {
                    return Err(error(column, "a field prefix inside another field prefix"));
                }
                if self.peek() == Some(&Token::Not) {
                    return Err(error(self.column(), "put NOT before the field: NOT title:word"));
                }
                self.primary(inner, depth + 1)
            }
            Token::Open => {
                if self.peek() == Some(&Token::Close) {
                    return Err(error(column, "empty parentheses"));
                }
                let inner = if field == Field::Any { self.or(depth + 1)? } else { self.with_field(field, depth + 1)? };
                if self.peek() != Some(&Token::Close) {
                    return Err(error(column, "this parenthesis is never closed"));
                }
                self.at += 1;
                Ok(inner)
            }
            Token::Close => Err(error(column, "a closing parenthesis without an opening one")),
            Token::Or | Token::And => Err(error(column, "an operator with nothing before it")),
            Token::Not => Err(error(column, "misplaced NOT")),
        }
    }

    /// `title:(a OR b)`: the group's words and phrases all take the field.
    fn with_field(&mut self, field: Field, depth: usize) -> Result<Query, QueryError> {
        let query = self.or(depth)?;
        fn set(q: Query, field: Field) -> Query {
            match q {
                Query::Word { text, .. } => Query::Word { field, text },
                Query::Phrase { text, .. } => Query::Phrase { field, text },
                Query::And(items) => Query::And(items.into_iter().map(|i| set(i, field)).collect()),
                Query::Or(items) => Query::Or(items.into_iter().map(|i| set(i, field)).collect()),
                Query::Not(inner) => Query::Not(Box::new(set(*inner, field))),
                Query::All => Query::All,
            }
        }
        Ok(set(query, field))
    }
}

/// Reads a query. Blank input is [`Query::All`].
pub fn parse_query(input: &str) -> Result<Query, QueryError> {
    let length = input.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(error(MAX_QUERY_CHARS + 1, format!("the query is longer than {MAX_QUERY_CHARS} characters")));
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Ok(Query::All);
    }
    let mut parser = Parser { tokens, at: 0, end_column: length + 1, clauses: 0 };
    let query = parser.or(0)?;
    if let Some((token, column)) = parser.tokens.get(parser.at) {
        let message = if *token == Token::Close { "a closing parenthesis without an opening one" } else { "unexpected text" };
        return Err(error(*column, message));
    }
    Ok(query)
}

/// A tag filter: a canonical tag of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    pub kind: TagKind,
    pub name: String,
}

/// A calendar date as `yyyymmdd` (a month or year alone uses 00 for the missing parts).
pub type DateKey = u32;

/// Reads `2024`, `2024-03` or `2024-03-09` (as the importer writes dates) into a [`DateKey`].
pub fn date_key(text: &str) -> Option<DateKey> {
    let mut parts = text.trim().splitn(3, '-');
    let year: u32 = parts.next()?.parse().ok().filter(|y| (1000..=9999).contains(y))?;
    let month: u32 = match parts.next() {
        Some(m) => m.parse().ok().filter(|m| (1..=12).contains(m))?,
        None => 0,
    };
    let day: u32 = match parts.next() {
        Some(d) => d.get(..2).unwrap_or(d).parse().ok().filter(|d| (1..=31).contains(d))?,
        None => 0,
    };
    Some(year * 10_000 + month * 100 + day)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Every included tag must be on a work, except ratings: a work has one rating, so several
    /// included ratings mean any of them.
    pub include: Vec<TagFilter>,
    /// A work with any excluded tag is left out.
    pub exclude: Vec<TagFilter>,
    pub complete: Option<bool>,
    pub language: Option<String>,
    pub words_min: Option<u64>,
    pub words_max: Option<u64>,
    pub published_from: Option<DateKey>,
    pub published_to: Option<DateKey>,
    pub updated_from: Option<DateKey>,
    pub updated_to: Option<DateKey>,
    pub series: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Relevance,
    Updated,
    Published,
    Words,
    Title,
    Author,
}

impl SortKey {
    pub const ALL: [SortKey; 6] =
        [SortKey::Relevance, SortKey::Updated, SortKey::Published, SortKey::Words, SortKey::Title, SortKey::Author];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Relevance => "relevance",
            SortKey::Updated => "updated",
            SortKey::Published => "published",
            SortKey::Words => "words",
            SortKey::Title => "title",
            SortKey::Author => "author",
        }
    }

    pub fn from_name(name: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Newest, longest and best first; titles and authors A to Z.
    pub fn default_descending(self) -> bool {
        !matches!(self, SortKey::Title | SortKey::Author)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: Query,
    pub filters: Filters,
    pub sort: SortKey,
    pub descending: bool,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

pub const MAX_PER_PAGE: u32 = 200;

impl SearchRequest {
    pub fn new(query: Query) -> SearchRequest {
        SearchRequest { query, filters: Filters::default(), sort: SortKey::Relevance, descending: true, page: 1, per_page: 20 }
    }

    /// The number of hits to skip, with the page size bounded.
    pub fn offset(&self) -> usize {
        (self.page.max(1) as usize - 1) * self.limit()
    }

    pub fn limit(&self) -> usize {
        self.per_page.clamp(1, MAX_PER_PAGE) as usize
    }
}

/// A piece of a snippet: text, highlighted where it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub highlighted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub work_id: i64,
    pub title: String,
    pub authors: Vec<String>,
    pub words: u64,
    /// Where the query matched in the story text, when it did.
    pub snippet: Vec<Fragment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    pub name: String,
    pub count: u64,
}

/// Counts over all matching works (not only the page shown), for every value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    /// A tag kind (`fandom` ...), or `complete` (`complete`, `in progress`, `unknown`) or
    /// `language`.
    pub name: String,
    /// Most works first, then by name.
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Vec<Facet>,
}

/// The facet names, in display order.
pub const FACETS: [&str; 9] = ["fandom", "rating", "warning", "category", "relationship", "character", "freeform", "complete", "language"];

/// The label of a completion facet value.
pub fn completion_label(complete: Option<bool>) -> &'static str {
    match complete {
        Some(true) => "complete",
        Some(false) => "in progress",
        None => "unknown",
    }
}

/// A work as the search backends see it: text, canonical tags and the values filters and sorts
/// use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchDoc {
    pub id: i64,
    pub title: String,
    pub authors: Vec<String>,
    pub summary: String,
    /// The work's notes and every chapter's notes and end notes.
    pub notes: String,
    /// The story text of every chapter, chapters separated by blank lines.
    pub text: String,
    /// Canonical tags, rating included.
    pub tags: Vec<(TagKind, String)>,
    pub series: Vec<String>,
    pub complete: Option<bool>,
    pub language: Option<String>,
    pub words: u64,
    pub published: Option<DateKey>,
    pub updated: Option<DateKey>,
    /// `works.modified_at`: lets `check` see an index entry older than the work.
    pub modified: i64,
}

/// Sorts facet values: most works first, then by name.
pub fn sort_facet_values(values: &mut [FacetValue]) {
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
}

#[cfg(test)]
mod tests;
