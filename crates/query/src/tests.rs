use super::*;
use proptest::prelude::*;

fn word(text: &str) -> Query {
    Query::Word { field: Field::Any, text: text.into() }
}

fn parse(s: &str) -> Query {
    parse_query(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn column_of_error(s: &str) -> (usize, String) {
    let e = parse_query(s).expect_err(s);
    (e.column, e.message)
}

#[test]
fn words_are_anded_and_or_binds_looser() {
    assert_eq!(parse("ferry lamp"), Query::And(vec![word("ferry"), word("lamp")]));
    assert_eq!(parse("ferry AND lamp"), parse("ferry lamp"));
    assert_eq!(parse("a b OR c"), Query::Or(vec![Query::And(vec![word("a"), word("b")]), word("c")]));
    assert_eq!(parse("a | c"), parse("a OR c"));
    assert_eq!(parse("  "), Query::All);
}

#[test]
fn lower_case_operators_are_words() {
    assert_eq!(parse("salt and pepper"), Query::And(vec![word("salt"), word("and"), word("pepper")]));
}

#[test]
fn not_and_minus_exclude() {
    assert_eq!(parse("ferry -storm"), Query::And(vec![word("ferry"), Query::Not(Box::new(word("storm")))]));
    assert_eq!(parse("ferry NOT storm"), parse("ferry -storm"));
    assert_eq!(parse("-\"dark night\""), Query::Not(Box::new(Query::Phrase { field: Field::Any, text: "dark night".into() })));
    // A hyphen inside a word is part of it.
    assert_eq!(parse("slow-burn"), word("slow-burn"));
}

#[test]
fn phrases_and_fields() {
    assert_eq!(parse("title:ferry"), Query::Word { field: Field::Title, text: "ferry".into() });
    assert_eq!(parse("author:\"Quill Marsh\""), Query::Phrase { field: Field::Author, text: "Quill Marsh".into() });
    assert_eq!(
        parse("fandom:(buffy OR angel)"),
        Query::Or(vec![
            Query::Word { field: Field::Fandom, text: "buffy".into() },
            Query::Word { field: Field::Fandom, text: "angel".into() }
        ])
    );
    assert_eq!(parse("\u{201c}curly quotes\u{201d}"), Query::Phrase { field: Field::Any, text: "curly quotes".into() });
    // A prefix that is not letters only is text: times, ratios.
    assert_eq!(parse("12:30"), word("12:30"));
}

#[test]
fn malformed_queries_say_where() {
    assert_eq!(column_of_error("ferry \"last boat").0, 7);
    assert_eq!(column_of_error("(ferry OR lamp").0, 1);
    assert_eq!(column_of_error("ferry)").0, 6);
    assert_eq!(column_of_error("ferry OR").1, "nothing after OR");
    assert_eq!(column_of_error("ferry NOT").1, "nothing after NOT");
    assert_eq!(column_of_error("()").1, "empty parentheses");
    assert_eq!(column_of_error("\"\"").1, "empty quotation marks");
    let (column, message) = column_of_error("ferry colour:blue");
    assert_eq!(column, 7);
    assert!(message.contains("\"colour:blue\""), "{message}");
    assert!(parse_query(&"x ".repeat(600)).unwrap_err().message.contains("longer than"));
    assert!(parse_query(&"a ".repeat(65)).unwrap_err().message.contains("more than 64"));
    assert!(parse_query(&format!("{}a{}", "(".repeat(40), ")".repeat(40))).unwrap_err().message.contains("nested"));
}

#[test]
fn sql_and_syntax_characters_stay_text() {
    let q = parse("'; DROP TABLE works; --");
    assert_eq!(q, Query::And(vec![word("';"), word("DROP"), word("TABLE"), word("works;"), word("--")]));
}

#[test]
fn dates_read_as_keys() {
    assert_eq!(date_key("2024-03-09"), Some(20240309));
    assert_eq!(date_key("2024-03"), Some(20240300));
    assert_eq!(date_key("2024"), Some(20240000));
    assert_eq!(date_key("2024-13-01"), None);
    assert_eq!(date_key("yesterday"), None);
}

#[test]
fn pages_are_bounded() {
    let mut r = SearchRequest::new(Query::All);
    r.page = 3;
    r.per_page = 10;
    assert_eq!((r.offset(), r.limit()), (20, 10));
    r.per_page = 100_000;
    r.page = 0;
    assert_eq!((r.offset(), r.limit()), (0, MAX_PER_PAGE as usize));
}

proptest! {
    #[test]
    fn any_input_parses_or_fails_with_a_column_inside_it(s in "\\PC{0,80}") {
        if let Err(e) = parse_query(&s) {
            prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{e} for {s:?}");
        }
    }

    #[test]
    fn operator_soup_never_panics(s in "[a-z\"()|: -]{0,40}|(AND |OR |NOT |title:|\\(|\\)|\"|x ){0,12}") {
        let _ = parse_query(&s);
    }
}
