//! The story document model: what survives of a chapter's markup.
//!
//! Story text is held as a few block and inline kinds instead of raw HTML, so that every later
//! consumer (the web reader, EPUB and text export) renders from a closed set of safe shapes:
//! there is no attribute, script or URL in here to sanitise.

/// A sequence of blocks: a chapter body, or a note.
///
/// Stored as compact JSON (`{"p":[{"t":"text"},{"em":[...]}]}`): short variant names keep
/// the archive small, and the shape is the same everywhere a document is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Document {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    #[serde(rename = "p")]
    Paragraph(Vec<Inline>),
    /// A heading inside the text (a scene title, a date line the author set apart).
    #[serde(rename = "h")]
    Heading {
        #[serde(rename = "l")]
        level: u8,
        #[serde(rename = "c")]
        content: Vec<Inline>,
    },
    #[serde(rename = "q")]
    Quote(Vec<Block>),
    /// A scene break, however the source drew it (`~ ~ ~`, `oOo`, `<hr>`, ...).
    #[serde(rename = "hr")]
    SceneBreak,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Inline {
    #[serde(rename = "t")]
    Text(String),
    #[serde(rename = "em")]
    Emphasis(Vec<Inline>),
    #[serde(rename = "b")]
    Strong(Vec<Inline>),
    #[serde(rename = "s")]
    Strike(Vec<Inline>),
    #[serde(rename = "u")]
    Underline(Vec<Inline>),
    #[serde(rename = "br")]
    LineBreak,
}

impl Document {
    pub fn new(blocks: Vec<Block>) -> Self {
        Document { blocks }
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Plain text as the work record shows it: paragraphs separated by one blank line, a
    /// scene break as `* * *`, emphasis dropped.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            push_block_text(block, &mut out);
        }
        out
    }
}

fn push_block_text(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph(inlines) | Block::Heading { content: inlines, .. } => {
            let start = out.len();
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            let text_start = out.len();
            push_inlines_text(inlines, out);
            if out[text_start..].trim().is_empty() {
                out.truncate(start);
            }
        }
        Block::Quote(blocks) => {
            for b in blocks {
                push_block_text(b, out);
            }
        }
        Block::SceneBreak => {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str("* * *");
        }
    }
}

/// Appends the text of inlines, a line break as `\n`.
pub fn push_inlines_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(t),
            Inline::LineBreak => out.push('\n'),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) | Inline::Underline(c) => push_inlines_text(c, out),
        }
    }
}

pub fn inlines_text(inlines: &[Inline]) -> String {
    let mut s = String::new();
    push_inlines_text(inlines, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_separates_paragraphs_and_marks_scene_breaks() {
        let doc = Document::new(vec![
            Block::Paragraph(vec![Inline::Text("One ".into()), Inline::Emphasis(vec![Inline::Text("two".into())])]),
            Block::SceneBreak,
            Block::Paragraph(vec![Inline::Text("a".into()), Inline::LineBreak, Inline::Text("b".into())]),
        ]);
        assert_eq!(doc.plain_text(), "One two\n\n* * *\n\na\nb");
    }
}
