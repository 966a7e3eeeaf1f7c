//! Lines: the one shape every source is reduced to before story parsing.
//!
//! A plain-text file, a Markdown file and the story part of an HTML page all become a list of
//! [`Line`]s: the visible text of one line, its inline formatting, and whether it starts a new
//! paragraph. Header blocks, chapter headings, scene breaks, notes and navigation are then found
//! by one pipeline (`story.rs`) whatever the source format was.

use ficarchive_model::document::inlines_text;
use ficarchive_model::{Block, Inline};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    Plain,
    /// A heading (`<h2>`, `# Title`), with its level.
    Heading(u8),
    /// A drawn rule (`<hr>`, Markdown `---`): a scene break when it sits inside the text.
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Visible text, whitespace collapsed and trimmed; no-break spaces count as spaces.
    pub text: String,
    pub inlines: Vec<Inline>,
    /// True when this line starts a new paragraph (a blank line or a block element before it).
    pub para_start: bool,
    pub style: LineStyle,
    /// Inside a block quote.
    pub quote: bool,
    /// The whole line is bold or italic (a common way to set off headings and scene titles).
    pub emphasised: bool,
}

impl Line {
    pub fn plain(text: &str, para_start: bool) -> Line {
        let text = clean_text(text);
        let inlines = if text.is_empty() { Vec::new() } else { vec![Inline::Text(text.clone())] };
        Line { text, inlines, para_start, style: LineStyle::Plain, quote: false, emphasised: false }
    }

    pub fn rule() -> Line {
        Line {
            text: String::new(),
            inlines: Vec::new(),
            para_start: true,
            style: LineStyle::Rule,
            quote: false,
            emphasised: false,
        }
    }

    pub fn from_inlines(inlines: Vec<Inline>, para_start: bool, style: LineStyle, quote: bool) -> Line {
        let inlines = trim_inlines(inlines);
        let text = clean_text(&inlines_text(&inlines));
        let emphasised = !text.is_empty()
            && inlines.len() == 1
            && matches!(inlines[0], Inline::Strong(_) | Inline::Emphasis(_) | Inline::Underline(_));
        Line { text, inlines, para_start, style, quote, emphasised }
    }

    pub fn is_blank(&self) -> bool {
        self.text.is_empty() && self.style != LineStyle::Rule
    }
}

/// Collapses runs of whitespace (including no-break spaces and zero-width spaces) to one
/// space and trims. The text of a line is what matching works on.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}' {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Removes leading and trailing whitespace from a run of inlines, and merges adjacent text.
fn trim_inlines(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut merged: Vec<Inline> = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match (merged.last_mut(), inline) {
            (Some(Inline::Text(prev)), Inline::Text(t)) => prev.push_str(&t),
            (_, Inline::Text(t)) if t.is_empty() => {}
            (_, other) => merged.push(other),
        }
    }
    // Trim edges of the first and last text pieces, dropping ones that become empty.
    while let Some(Inline::Text(t)) = merged.first_mut() {
        let trimmed = t.trim_start_matches(is_space);
        if trimmed.is_empty() {
            merged.remove(0);
        } else {
            *t = trimmed.to_string();
            break;
        }
    }
    while let Some(Inline::Text(t)) = merged.last_mut() {
        let trimmed = t.trim_end_matches(is_space);
        if trimmed.is_empty() {
            merged.pop();
        } else {
            t.truncate(trimmed.len());
            break;
        }
    }
    while matches!(merged.first(), Some(Inline::LineBreak)) {
        merged.remove(0);
    }
    while matches!(merged.last(), Some(Inline::LineBreak)) {
        merged.pop();
    }
    merged
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}'
}

/// Plain text to lines. HTML entities written into a `.txt` file (`&amp;`, `&#8217;`) are
/// decoded; a line holding only spaces or no-break spaces is a blank line.
pub fn from_plain_text(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut para_start = true;
    for raw in text.split('\n') {
        let decoded;
        let raw = if raw.contains('&') && raw.contains(';') {
            decoded = htmlize::unescape(raw);
            decoded.as_ref()
        } else {
            raw
        };
        if raw.trim_matches(is_space).is_empty() {
            para_start = true;
            continue;
        }
        lines.push(Line::plain(raw, para_start));
        para_start = false;
    }
    lines
}

/// Markdown to lines, through pulldown-cmark. Soft line breaks join lines, as Markdown means;
/// thematic breaks are rules; headings keep their level.
pub fn from_markdown(text: &str) -> Vec<Line> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut b = LineBuilder::default();
    let mut quote_depth = 0usize;
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Paragraph | Tag::Item) => b.block_boundary(),
            Event::End(TagEnd::Paragraph | TagEnd::Item) => b.block_boundary(),
            Event::Start(Tag::Heading { level, .. }) => {
                b.block_boundary();
                b.style = LineStyle::Heading(level as u8);
            }
            Event::End(TagEnd::Heading(_)) => b.block_boundary(),
            Event::Start(Tag::BlockQuote(_)) => {
                b.block_boundary();
                quote_depth += 1;
                b.quote = true;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                b.block_boundary();
                quote_depth = quote_depth.saturating_sub(1);
                b.quote = quote_depth > 0;
            }
            Event::Start(Tag::Emphasis) => b.open(InlineKind::Emphasis),
            Event::Start(Tag::Strong) => b.open(InlineKind::Strong),
            Event::Start(Tag::Strikethrough) => b.open(InlineKind::Strike),
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => b.close(),
            Event::Start(Tag::CodeBlock(_)) => b.block_boundary(),
            Event::End(TagEnd::CodeBlock) => b.block_boundary(),
            Event::Text(t) | Event::Code(t) => {
                // Code blocks keep their own lines.
                let mut first = true;
                for piece in t.split('\n') {
                    if !first {
                        b.line_break();
                    }
                    b.text(piece);
                    first = false;
                }
            }
            Event::InlineHtml(h) | Event::Html(h) => {
                if h.trim_start().to_ascii_lowercase().starts_with("<br") {
                    b.line_break();
                } else if h.trim_start().to_ascii_lowercase().starts_with("<hr") {
                    b.rule();
                }
            }
            Event::SoftBreak => b.text(" "),
            Event::HardBreak => b.line_break(),
            Event::Rule => b.rule(),
            _ => {}
        }
    }
    b.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineKind {
    Emphasis,
    Strong,
    Strike,
    Underline,
}

/// Bounds the nesting of inline formatting we keep; deeper formatting keeps its text only.
const MAX_INLINE_DEPTH: usize = 16;

/// Accumulates inline content into lines. Used by the Markdown and HTML readers, so that
/// paragraph, line-break and formatting rules are the same for both.
#[derive(Default)]
pub struct LineBuilder {
    lines: Vec<Line>,
    /// Open formatting frames; frame 0 is the line itself.
    frames: Vec<(Option<InlineKind>, Vec<Inline>)>,
    /// Formatting kinds skipped because of the depth bound (so `close` stays balanced).
    skipped: usize,
    next_para_start: bool,
    pub style: LineStyle,
    pub quote: bool,
    /// Consecutive line breaks seen with nothing between them.
    pending_breaks: usize,
}

impl Default for LineStyle {
    fn default() -> Self {
        LineStyle::Plain
    }
}

impl LineBuilder {
    fn ensure_root(&mut self) {
        if self.frames.is_empty() {
            self.frames.push((None, Vec::new()));
        }
    }

    pub fn text(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        self.ensure_root();
        if !t.trim_matches(is_space).is_empty() {
            self.flush_pending_breaks();
        }
        let top = self.frames.last_mut().expect("root frame");
        match top.1.last_mut() {
            Some(Inline::Text(prev)) => prev.push_str(t),
            _ => top.1.push(Inline::Text(t.to_string())),
        }
    }

    pub fn open(&mut self, kind: InlineKind) {
        self.ensure_root();
        if self.frames.len() > MAX_INLINE_DEPTH {
            self.skipped += 1;
            return;
        }
        self.frames.push((Some(kind), Vec::new()));
    }

    pub fn close(&mut self) {
        if self.skipped > 0 {
            self.skipped -= 1;
            return;
        }
        if self.frames.len() <= 1 {
            return;
        }
        let (kind, content) = self.frames.pop().expect("checked length");
        let parent = &mut self.frames.last_mut().expect("root frame").1;
        if let Some(kind) = kind
            && !content.is_empty()
        {
            parent.push(wrap(kind, content));
        }
    }

    /// A `<br>`: ends the line inside the paragraph. Two in a row end the paragraph, as old
    /// pages wrote paragraphs; four or more draw a scene break.
    pub fn line_break(&mut self) {
        self.pending_breaks += 1;
    }

    fn flush_pending_breaks(&mut self) {
        let n = std::mem::take(&mut self.pending_breaks);
        if n == 0 {
            return;
        }
        let has_content = self.current_has_content();
        if n >= 4 && has_content {
            self.end_line(true);
            self.lines.push(Line::rule());
            self.next_para_start = true;
        } else if n >= 2 {
            self.end_line(true);
        } else if has_content {
            self.end_line(false);
        }
    }

    fn current_has_content(&self) -> bool {
        self.frames.iter().any(|(_, c)| c.iter().any(|i| !matches!(i, Inline::Text(t) if t.trim_matches(is_space).is_empty())))
    }

    /// A block element starts or ends: the current line ends and the next starts a paragraph.
    pub fn block_boundary(&mut self) {
        self.pending_breaks = 0;
        self.end_line(true);
        self.style = LineStyle::Plain;
    }

    pub fn rule(&mut self) {
        self.block_boundary();
        self.lines.push(Line::rule());
        self.next_para_start = true;
    }

    /// Ends the current line. Formatting open across the break continues on the next line.
    fn end_line(&mut self, next_is_para: bool) {
        if self.frames.is_empty() {
            self.next_para_start |= next_is_para;
            return;
        }
        let kinds: Vec<Option<InlineKind>> = self.frames.iter().map(|(k, _)| *k).collect();
        let mut frames = std::mem::take(&mut self.frames);
        while frames.len() > 1 {
            let (kind, content) = frames.pop().expect("len > 1");
            if let Some(kind) = kind
                && !content.is_empty()
            {
                frames.last_mut().expect("root").1.push(wrap(kind, content));
            }
        }
        let inlines = frames.pop().map(|(_, c)| c).unwrap_or_default();
        let line = Line::from_inlines(inlines, self.next_para_start || self.lines.is_empty(), self.style, self.quote);
        if line.text.is_empty() {
            self.next_para_start |= next_is_para || line.para_start;
        } else {
            self.lines.push(line);
            self.next_para_start = next_is_para;
        }
        self.frames = kinds.into_iter().map(|k| (k, Vec::new())).collect();
    }

    pub fn finish(mut self) -> Vec<Line> {
        self.pending_breaks = 0;
        self.end_line(true);
        self.lines
    }
}

fn wrap(kind: InlineKind, content: Vec<Inline>) -> Inline {
    match kind {
        InlineKind::Emphasis => Inline::Emphasis(content),
        InlineKind::Strong => Inline::Strong(content),
        InlineKind::Strike => Inline::Strike(content),
        InlineKind::Underline => Inline::Underline(content),
    }
}

/// Lines back to blocks: lines of one paragraph join with line breaks, rules become scene
/// breaks, quoted lines gather into block quotes.
///
/// Plain text is often hard-wrapped at about 72 columns: a paragraph whose lines all run close
/// to one width is joined with spaces instead of line breaks.
pub fn to_blocks(lines: &[Line]) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.style == LineStyle::Rule {
            blocks.push(Block::SceneBreak);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len()
            && !lines[j].para_start
            && lines[j].style == line.style
            && lines[j].quote == line.quote
            && lines[j].style != LineStyle::Rule
        {
            j += 1;
        }
        let para = &lines[i..j];
        let hard_wrapped = looks_hard_wrapped(para);
        let mut inlines = Vec::new();
        for (k, l) in para.iter().enumerate() {
            if k > 0 {
                if hard_wrapped {
                    inlines.push(Inline::Text(" ".into()));
                } else {
                    inlines.push(Inline::LineBreak);
                }
            }
            inlines.extend(l.inlines.iter().cloned());
        }
        let inlines = trim_inlines(inlines);
        let block = match line.style {
            LineStyle::Heading(level) => Block::Heading { level, content: inlines },
            _ => Block::Paragraph(inlines),
        };
        if line.quote {
            if let Some(Block::Quote(inner)) = blocks.last_mut()
                && i > 0
                && lines[i - 1].quote
            {
                inner.push(block);
            } else {
                blocks.push(Block::Quote(vec![block]));
            }
        } else {
            blocks.push(block);
        }
        i = j;
    }
    blocks
}

fn looks_hard_wrapped(para: &[Line]) -> bool {
    if para.len() < 2 {
        return false;
    }
    let lens: Vec<usize> = para.iter().map(|l| l.text.chars().count()).collect();
    let body = &lens[..lens.len() - 1];
    let max = *body.iter().max().unwrap_or(&0);
    let min = *body.iter().min().unwrap_or(&0);
    (55..=100).contains(&max) && min + 25 >= max && *lens.last().unwrap_or(&0) <= max + 5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_splits_paragraphs_on_blank_and_nbsp_lines() {
        let lines = from_plain_text("One line.\n\u{a0}\nTwo &amp; three.\nfour");
        let texts: Vec<_> = lines.iter().map(|l| (l.text.as_str(), l.para_start)).collect();
        assert_eq!(texts, vec![("One line.", true), ("Two & three.", true), ("four", false)]);
    }

    #[test]
    fn hard_wrapped_paragraphs_join_with_spaces() {
        let text = "It was the kind of night when the wind came down off the hills and\n\
                    rattled every window in the town, and nobody in the house could sleep\n\
                    for it.";
        let blocks = to_blocks(&from_plain_text(text));
        assert_eq!(blocks.len(), 1);
        let Block::Paragraph(inl) = &blocks[0] else { panic!() };
        assert!(!inl.contains(&Inline::LineBreak));
    }

    #[test]
    fn markdown_keeps_emphasis_headings_and_rules() {
        let lines = from_markdown("# Prologue\n\nShe *ran*.\n\n---\n\n**Bold line**\n");
        assert_eq!(lines[0].style, LineStyle::Heading(1));
        assert_eq!(lines[1].text, "She ran.");
        assert_eq!(lines[2].style, LineStyle::Rule);
        assert!(lines[3].emphasised);
    }
}
