//! Lines: the one shape every source is reduced to before story parsing.
//!
//! A plain-text file, a Markdown file and the story part of an HTML page all become a list of
//! [`Line`]s: the visible text of one line, its inline formatting, and whether it starts a new
//! paragraph. Header blocks, chapter headings, scene breaks, notes and navigation are then found
//! by one pipeline (`story.rs`) whatever the source format was.

use ficarchive_model::document::inlines_text;
use ficarchive_model::{Block, Inline};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineStyle {
    #[default]
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
    /// The line's formatting. Empty for a line that is plain text (and for a blank line):
    /// then `text` is the whole content, held once.
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
        Line { text: clean_text(text), inlines: Vec::new(), para_start, style: LineStyle::Plain, quote: false, emphasised: false }
    }

    pub fn rule() -> Line {
        Line { text: String::new(), inlines: Vec::new(), para_start: true, style: LineStyle::Rule, quote: false, emphasised: false }
    }

    pub fn from_inlines(inlines: Vec<Inline>, para_start: bool, style: LineStyle, quote: bool) -> Line {
        let inlines = trim_inlines(inlines);
        let text = match inlines.as_slice() {
            [Inline::Text(t)] => clean_text(t),
            _ => clean_text(&inlines_text(&inlines)),
        };
        let emphasised =
            !text.is_empty() && inlines.len() == 1 && matches!(inlines[0], Inline::Strong(_) | Inline::Emphasis(_) | Inline::Underline(_));
        // Unformatted text is held once, in `text`.
        let inlines = if inlines.iter().all(|i| matches!(i, Inline::Text(_))) { Vec::new() } else { inlines };
        Line { text, inlines, para_start, style, quote, emphasised }
    }

    pub fn is_blank(&self) -> bool {
        self.text.is_empty() && self.style != LineStyle::Rule
    }
}

/// Collapses runs of whitespace (including no-break spaces and zero-width spaces) to one
/// space and trims. The text of a line is what matching works on.
pub fn clean_text(s: &str) -> String {
    // Byte loop: copies runs of ordinary bytes whole and decodes a character only at
    // the few lead bytes that can start a Unicode space (U+0085, U+00A0, U+1680,
    // U+2000..U+205F, U+3000, U+FEFF). This is the hottest function of the importer.
    let bytes = s.as_bytes();
    if is_clean(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let space_len = match b {
            b' ' | b'\t'..=b'\r' => 1,
            0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF => {
                let c = s[i..].chars().next().unwrap_or('x');
                if c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}' { c.len_utf8() } else { 0 }
            }
            _ => 0,
        };
        if space_len == 0 {
            if run_start == i && pending_space {
                out.push(' ');
                pending_space = false;
            }
            i += 1;
            continue;
        }
        out.push_str(&s[run_start..i]);
        pending_space = !out.is_empty();
        i += space_len;
        run_start = i;
    }
    if run_start < bytes.len() {
        if pending_space {
            out.push(' ');
        }
        out.push_str(&s[run_start..]);
    }
    out
}

/// True when `clean_text` would return its input unchanged: no space at either end, no two
/// spaces in a row, no other whitespace. Most lines of most files are like this, and
/// checking is much cheaper than rebuilding. Works on 32-byte chunks without early exits
/// so that the compiler can vectorise it; a chunk holding a lead byte of a Unicode space
/// (U+0085, U+00A0, U+1680, U+2000..U+205F, U+3000, U+FEFF) is checked character by character.
fn is_clean(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    const CHUNK: usize = 32;
    let mut previous_space = false;
    let mut offset = 0;
    while offset < bytes.len() {
        let (ascii_bad, maybe_unicode_space, last_space) = if let Some(chunk) = bytes.get(offset..offset + CHUNK) {
            let chunk: &[u8; CHUNK] = chunk.try_into().expect("a slice of CHUNK bytes");
            scan_chunk(chunk, previous_space)
        } else {
            let mut tail = [b'x'; CHUNK];
            let rest = &bytes[offset..];
            tail[..rest.len()].copy_from_slice(rest);
            let (bad, unicode, _) = scan_chunk(&tail, previous_space);
            (bad, unicode, false)
        };
        if ascii_bad {
            return false;
        }
        if maybe_unicode_space {
            // Characters may straddle the chunk's end: look at whole characters from the
            // chunk's first character boundary.
            let start = (offset..bytes.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(bytes.len());
            let end = (offset + CHUNK + 3).min(bytes.len());
            let end = (end..=bytes.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(bytes.len());
            if s[start..end].chars().any(|c| c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}') {
                return false;
            }
        }
        previous_space = last_space;
        offset += CHUNK;
    }
    true
}

/// One chunk of [`is_clean`]: (an ASCII whitespace other than a single space found, a lead
/// byte of a possible Unicode space found, the chunk ends with a space). Branch-free so that
/// it compiles to vector instructions.
#[inline]
// Indexing with a constant range is what lets the compiler unroll and vectorise these loops.
#[allow(clippy::needless_range_loop)]
fn scan_chunk(chunk: &[u8; 32], previous_space: bool) -> (bool, bool, bool) {
    let mut controls = 0u8;
    let mut leads = 0u8;
    let mut doubles = u8::from(previous_space & (chunk[0] == b' '));
    for k in 0..32 {
        let b = chunk[k];
        controls |= u8::from(b.wrapping_sub(b'\t') < 5);
        leads |= u8::from((b == 0xC2) | (b == 0xE1) | (b == 0xE2) | (b == 0xE3) | (b == 0xEF));
    }
    for k in 0..31 {
        doubles |= u8::from((chunk[k] == b' ') & (chunk[k + 1] == b' '));
    }
    (controls | doubles != 0, leads != 0, chunk[31] == b' ')
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
/// decoded; a line holding only spaces or no-break spaces is a blank line. In a text whose
/// paragraphs are marked by indenting their first line rather than by blank lines (old
/// typewritten and mailing-list texts), an indented line starts a paragraph.
pub fn from_plain_text(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    // Which lines are indented, and the counts that decide whether indentation marks
    // paragraphs (see `paragraphs_by_indent`), gathered in the one pass.
    let mut indented_lines: Vec<bool> = Vec::new();
    let mut blocks = 0usize;
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
        blocks += usize::from(para_start);
        indented_lines.push(is_indented(raw));
        lines.push(Line::plain(raw, para_start));
        para_start = false;
    }
    let indented = indented_lines.iter().filter(|i| **i).count();
    if paragraphs_by_indent(lines.len(), indented, blocks) {
        for (line, indented) in lines.iter_mut().zip(indented_lines) {
            line.para_start |= indented;
        }
    }
    lines
}

/// Words in some lines, as the pipeline's size thresholds count them (white-space
/// separated; the word-count rule of the record is `ficarchive_model::words`).
pub fn word_count(lines: &[Line]) -> usize {
    lines.iter().map(|l| l.text.split_whitespace().count()).sum()
}

fn is_indented(raw: &str) -> bool {
    raw.starts_with('\t') || raw.starts_with("  ") || raw.starts_with('\u{3000}')
}

/// Whether a text marks paragraphs by indentation: at least ten lines, runs of eight lines or
/// more between blank lines on average, and between one line in twenty and four in five
/// indented (all indented is a quoted or centred text, not paragraphs).
fn paragraphs_by_indent(lines: usize, indented: usize, blocks: usize) -> bool {
    lines >= 10 && lines >= blocks * 8 && indented * 20 >= lines && indented * 5 <= lines * 4
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
    to_blocks_with_breaks(lines, |_| false)
}

/// Lines to blocks, where a line for which `is_break` holds is a scene break as well as a
/// drawn rule. (Taking the test as a function spares copying every line to mark them.)
pub fn to_blocks_with_breaks(lines: &[Line], is_break: impl Fn(&Line) -> bool) -> Vec<Block> {
    let is_rule = |l: &Line| l.style == LineStyle::Rule || is_break(l);
    let mut blocks: Vec<Block> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if is_rule(line) {
            blocks.push(Block::SceneBreak);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() && !lines[j].para_start && lines[j].style == line.style && lines[j].quote == line.quote && !is_rule(&lines[j])
        {
            j += 1;
        }
        let para = &lines[i..j];
        let hard_wrapped = looks_hard_wrapped(para);
        let inlines = if para.iter().all(|l| l.inlines.is_empty()) {
            plain_paragraph(para, hard_wrapped)
        } else {
            let mut inlines = Vec::new();
            for (k, l) in para.iter().enumerate() {
                if k > 0 {
                    if hard_wrapped {
                        inlines.push(Inline::Text(" ".into()));
                    } else {
                        inlines.push(Inline::LineBreak);
                    }
                }
                if l.inlines.is_empty() {
                    inlines.push(Inline::Text(l.text.clone()));
                } else {
                    inlines.extend(l.inlines.iter().cloned());
                }
            }
            trim_inlines(inlines)
        };
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

/// A paragraph of plain lines (already whitespace-clean, never blank): one text, its lines
/// joined by spaces when hard-wrapped, by line breaks otherwise.
fn plain_paragraph(para: &[Line], hard_wrapped: bool) -> Vec<Inline> {
    if hard_wrapped {
        let mut text = String::with_capacity(para.iter().map(|l| l.text.len() + 1).sum());
        for l in para {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&l.text);
        }
        return vec![Inline::Text(text)];
    }
    let mut inlines = Vec::with_capacity(para.len() * 2);
    for l in para {
        if !inlines.is_empty() {
            inlines.push(Inline::LineBreak);
        }
        inlines.push(Inline::Text(l.text.clone()));
    }
    inlines
}

fn looks_hard_wrapped(para: &[Line]) -> bool {
    if para.len() < 2 {
        return false;
    }
    let len = |l: &Line| l.text.chars().count();
    let body = &para[..para.len() - 1];
    let max = body.iter().map(len).max().unwrap_or(0);
    let min = body.iter().map(len).min().unwrap_or(0);
    (55..=100).contains(&max) && min + 25 >= max && para.last().map_or(0, len) <= max + 5
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
    fn indented_first_lines_start_paragraphs_when_blank_lines_do_not() {
        let para = "    The tide went out past the second bar and the third, until the\nold wreck stood up out of the mud like the ribs of something dead.\n";
        let text = para.repeat(6);
        let starts = from_plain_text(&text).iter().filter(|l| l.para_start).count();
        assert_eq!(starts, 6);
        // With blank lines between paragraphs, indentation means nothing more.
        let spaced = format!("{para}\n").repeat(6);
        assert_eq!(from_plain_text(&spaced).iter().filter(|l| l.para_start).count(), 6);
        // A text that is all indented (a quoted block, a poem) is not split line by line.
        let poem = "    one line of the poem\n".repeat(12);
        assert_eq!(from_plain_text(&poem).iter().filter(|l| l.para_start).count(), 1);
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

    /// The byte loop in `clean_text` must agree with the obvious per-character definition.
    fn clean_text_reference(s: &str) -> String {
        s.split(|c: char| c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
    }

    proptest::proptest! {
        #[test]
        fn clean_text_matches_reference(s in "([ \t\n\r\u{0B}\u{0C}\u{85}\u{A0}\u{1680}\u{2000}-\u{200B}\u{2028}\u{202F}\u{3000}\u{FEFF}]|[a-z]|[é漢\u{20AC}\u{2010}\u{E000}]){0,200}") {
            proptest::prop_assert_eq!(clean_text(&s), clean_text_reference(&s));
        }
    }
}
