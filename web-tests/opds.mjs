// Walks the OPDS catalog of a running ficarchive with a real OPDS client library (Readium's
// r2-opds-js, which parses OPDS 1 Atom and converts it to the OPDS 2 model apps use): from the
// root through every navigation feed, every acquisition feed and its next pages, the facets,
// both search forms, down to downloading every EPUB and cover. Downloads are saved in OUT_DIR
// for the Rust test to check with epubcheck.
//
// Usage: node opds.mjs BASE_URL OUT_DIR. Prints a summary; exits 1 on the first failure.
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(import.meta.url);
require("reflect-metadata");
const { DOMParser } = require("@xmldom/xmldom");
const { XML } = require("r2-utils-js/dist/es8-es2017/src/_utils/xml-js-mapper");
const { OPDS } = require("r2-opds-js/dist/es8-es2017/src/opds/opds1/opds");
const { convertOpds1ToOpds2 } = require("r2-opds-js/dist/es8-es2017/src/opds/converter");
const { initGlobalConverters_OPDS, initGlobalConverters_GENERIC } = require("r2-opds-js/dist/es8-es2017/src/opds/init-globals");
initGlobalConverters_GENERIC();
initGlobalConverters_OPDS();

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node opds.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation";
const ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition";
const fail = (message) => {
  console.error(`OPDS check failed: ${message}`);
  process.exit(1);
};
const check = (condition, message) => condition || fail(message);
const absolute = (href, from) => new URL(href, from).toString();

async function get(url) {
  // No Accept-Encoding: some e-reader apps never ask for compression, and must not need it.
  const response = await fetch(url, { headers: { "accept-encoding": "identity" } });
  check(response.ok, `${url} answered ${response.status}`);
  return response;
}

const feeds = new Map(); // url -> OPDS 2 model
async function feed(url, kind) {
  if (feeds.has(url)) return feeds.get(url);
  const response = await get(url);
  const type = response.headers.get("content-type");
  check(type === kind, `${url} is served as ${type}, expected ${kind}`);
  const xml = await response.text();
  const dom = new DOMParser({ onError: (level, msg) => fail(`${url} is not well-formed XML (${level}): ${msg}`) }).parseFromString(xml, "application/xml");
  check(dom.documentElement.localName === "feed", `${url} is not an Atom feed`);
  const model = convertOpds1ToOpds2(XML.deserialize(dom, OPDS));
  check(model.Metadata && model.Metadata.Title, `${url} has no title`);
  const self = (model.Links || []).find((l) => l.Rel.includes("self"));
  check(self, `${url} has no self link`);
  check((model.Links || []).some((l) => l.Rel.includes("start") && l.Href1 === "/opds"), `${url} has no start link to the root`);
  feeds.set(url, model);
  return model;
}

const ids = new Set();
const downloads = new Set();
let publications = 0;

async function acquisition(url, depth = 0) {
  const model = await feed(url, ACQUISITION);
  for (const pub of model.Publications || []) {
    publications++;
    const m = pub.Metadata;
    check(m.Title, `an entry of ${url} has no title`);
    check(/^urn:uuid:[0-9a-f-]{36}$/.test(m.Identifier), `${m.Title}: id ${m.Identifier} is not a urn:uuid`);
    ids.add(`${m.Identifier} ${m.Title}`);
    check(m.Author && m.Author.length > 0, `${m.Title} has no author`);
    check(m.Description && m.Description.includes("Words:"), `${m.Title}: the content text lacks the work's facts`);
    const rels = (pub.Images || []).flatMap((i) => i.Rel);
    check(rels.includes("http://opds-spec.org/image") && rels.includes("http://opds-spec.org/image/thumbnail"), `${m.Title}: the cover is not under both image relations`);
    const epub = (pub.Links || []).find((l) => l.TypeLink === "application/epub+zip" && l.Rel.includes("http://opds-spec.org/acquisition/open-access"));
    check(epub, `${m.Title} has no EPUB acquisition link`);
    downloads.add(absolute(epub.Href1, url));
    downloads.add(absolute(pub.Images[0].Href1, url));
  }
  const next = (model.Links || []).find((l) => l.Rel.includes("next"));
  if (next && depth < 50) await acquisition(absolute(next.Href1, url), depth + 1);
  return model;
}

async function navigation(url) {
  const model = await feed(url, NAVIGATION);
  check((model.Navigation || []).length > 0, `${url} lists nothing`);
  for (const link of model.Navigation) {
    const target = absolute(link.Href1, url);
    if (link.TypeLink === NAVIGATION) await navigation(target);
    else if (link.TypeLink === ACQUISITION) await acquisition(target);
    else fail(`${url}: ${link.Title} links to ${link.TypeLink}`);
  }
  return model;
}

const root = await navigation(`${base}/opds`);
for (const title of ["Recently updated", "Fandoms", "Ratings", "Complete works", "Series", "Authors"]) {
  check(root.Navigation.some((n) => n.Title === title), `the root has no "${title}" entry`);
}

// Facets on an acquisition feed, and following one of them.
const works = await feed(`${base}/opds/works`, ACQUISITION);
const facetGroups = (works.Facets || []).map((f) => f.Metadata.Title);
for (const group of ["Fandoms", "Rating", "Completion"]) {
  check(facetGroups.includes(group), `/opds/works has no ${group} facets (has ${facetGroups.join(", ")})`);
}
const fandomFacet = works.Facets.find((f) => f.Metadata.Title === "Fandoms").Links[0];
check(fandomFacet.Properties && fandomFacet.Properties.NumberOfItems > 0, "a fandom facet has no count");
const faceted = await acquisition(absolute(fandomFacet.Href1, `${base}/opds/works`));
check(faceted.Publications.length === fandomFacet.Properties.NumberOfItems, `the ${fandomFacet.Title} facet says ${fandomFacet.Properties.NumberOfItems} works and lists ${faceted.Publications.length}`);

// Search, both ways.
const direct = root.Links.find((l) => l.Rel.includes("search") && l.TypeLink === ACQUISITION);
check(direct && direct.Href1.includes("{searchTerms}"), "no direct Atom search link with {searchTerms}");
const byDirect = await acquisition(absolute(direct.Href1.replace("{searchTerms}", encodeURIComponent("lighthouse")), `${base}/opds`));
check(byDirect.Publications.length > 0, "a direct search for lighthouse found nothing");
const described = root.Links.find((l) => l.Rel.includes("search") && l.TypeLink === "application/opensearchdescription+xml");
check(described, "no OpenSearch description link");
const description = await (await get(absolute(described.Href1, `${base}/opds`))).text();
const template = /template="([^"]+)"/.exec(description);
check(template && /type="application\/atom\+xml;profile=opds-catalog;kind=acquisition"/.test(description), "the OpenSearch description has no acquisition Url");
const bySearch = await acquisition(template[1].replaceAll("&amp;", "&").replace("{searchTerms}", encodeURIComponent("lighthouse")));
check(bySearch.Publications.length === byDirect.Publications.length, "the two search forms disagree");

// Down to the files.
let saved = 0;
for (const url of downloads) {
  const response = await get(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (url.endsWith(".epub")) {
    check(response.headers.get("content-type") === "application/epub+zip", `${url} is served as ${response.headers.get("content-type")}`);
    check(bytes.subarray(30, 38).toString() === "mimetype", `${url} is not an EPUB`);
    writeFileSync(join(outDir, `opds-${++saved}.epub`), bytes);
  } else {
    check(bytes.toString().includes("<svg"), `${url} is not an SVG cover`);
  }
}
check(saved > 0, "no EPUB was reached");
console.log(`OPDS: ${feeds.size} feeds, ${publications} entries (${ids.size} distinct works), ${saved} EPUBs downloaded`);
