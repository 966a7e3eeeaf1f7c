// Browser checks of the web reader, in real headless Chromium:
//   node check.mjs BASE_URL ARTIFACT_DIR
// BASE_URL serves the demo archive (`ficarchive demo`). Walks a reader's paths (home to a
// chapter, through chapters by link and arrow key, to the entire work; a search with a filter
// and an exclusion; a theme and font change that persists; the chapter menu with JavaScript
// off), runs axe-core on every page type (in every theme for reading pages), validates every
// page type's HTML with the Nu HTML checker, and saves a screenshot of each page type.
// Exits non-zero with a list of failures.

import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const [base, artifacts] = process.argv.slice(2);
if (!base || !artifacts) {
  console.error("usage: node check.mjs BASE_URL ARTIFACT_DIR");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const here = dirname(fileURLToPath(import.meta.url));
const failures = [];
const fail = (what) => { failures.push(what); console.error("FAIL: " + what); };
const expect = (ok, what) => { if (!ok) fail(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"],
});

// Page types, each visited once: name → URL (filled in while walking).
const pageTypes = new Map();

async function axe(page, name) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]).analyze();
  for (const v of result.violations) {
    fail(`axe on ${name}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }
}

async function shoot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  // The 404 and 400 page types are visited on purpose; their status is not an error here.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (404|400)/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  // Home to a work, through its chapters, to the entire work.
  await page.goto(base + "/");
  pageTypes.set("home", page.url());
  expect(await page.locator("h1").first().textContent() !== "", "home has a heading");
  await page.getByRole("link", { name: "The Cartographer's Apprentice" }).first().click();
  const workUrl = page.url();
  pageTypes.set("work", workUrl);
  expect(/\/works\/\d+$/.test(workUrl), `a work link opens the work page (${workUrl})`);
  expect((await page.locator("h2.chapter-title").allTextContents()).join("|") === "Chapter 1: Blank Spaces", "the work opens on chapter 1");
  await page.getByRole("link", { name: "Next chapter" }).first().click();
  expect(page.url().endsWith("/chapters/2"), "Next chapter goes to chapter 2");
  pageTypes.set("chapter", page.url());
  // The arrow keys are handled by app.js, loaded with `defer`: press only once the page has
  // loaded (the click above returns when the URL changes, which can be before that).
  await page.waitForLoadState("load");
  await page.keyboard.press("ArrowRight");
  await page.waitForURL(/\/chapters\/3$/);
  expect(await page.getByText("By spring the north wall").isVisible(), "the right arrow key opens chapter 3");
  await page.keyboard.press("ArrowLeft");
  await page.waitForURL(/\/chapters\/2$/);
  await page.getByRole("link", { name: "Entire work" }).first().click();
  expect(await page.getByText("The Ministry's Office").isVisible() && await page.getByText("By spring the north wall").isVisible(),
    "the entire work shows every chapter");
  pageTypes.set("entire-work", page.url());
  await page.goto(workUrl);
  expect(await page.getByText("By spring the north wall").isVisible(), "the entire-work choice is remembered");
  await page.getByRole("link", { name: "Chapter by chapter" }).first().click();
  expect(!(await page.getByText("By spring the north wall").isVisible()), "chapter by chapter again");

  // Series and author pages from a work's links.
  await page.goto(base + "/");
  await page.getByRole("link", { name: "Crossing the Tidewater" }).first().click();
  await page.getByRole("link", { name: "Nightfall Roads" }).first().click();
  pageTypes.set("series", page.url());
  expect((await page.locator(".blurb").count()) === 2, "the series lists both parts");
  await page.getByRole("link", { name: "Marrow Lark" }).first().click();
  pageTypes.set("author", page.url());

  // Tag index and a tag page.
  await page.goto(base + "/tags");
  pageTypes.set("tag-index", page.url());
  await page.getByRole("link", { name: "Buffy the Vampire Slayer" }).first().click();
  pageTypes.set("tag", page.url());
  expect((await page.locator(".blurb").count()) === 2, "the Buffy tag page lists two works");

  // A search with words, a filter and an exclusion, through the form.
  await page.goto(base + "/search");
  await page.fill("#search-q", "the");
  await page.getByRole("button", { name: "Search", exact: true }).last().click();
  const before = await page.locator(".blurb").count();
  expect(before >= 5, `a common word finds most works (${before})`);
  await page.getByLabel("exclude Buffy the Vampire Slayer").check();
  await page.getByLabel(/^Teen And Up Audiences/).check().catch(() => {});
  await page.getByRole("button", { name: "Apply filters" }).click();
  const url = new URL(page.url());
  expect(url.searchParams.getAll("exclude").includes("fandom:Buffy the Vampire Slayer"), "the exclusion is in the address");
  expect(!(await page.getByText("The Salt Road").isVisible()), "excluded works are gone");
  expect(await page.getByText("The Cartographer's Apprentice").first().isVisible(), "the filter keeps the teen-rated work");
  expect(await page.getByLabel("exclude Buffy the Vampire Slayer").isChecked(), "the exclusion stays checked");
  pageTypes.set("search", page.url());

  // Reading settings: dark theme and sans-serif, kept across pages.
  await page.goto(workUrl);
  await page.getByRole("link", { name: "Reading settings" }).first().click();
  pageTypes.set("preferences", page.url());
  await page.getByLabel("Dark").check();
  await page.getByLabel("Sans-serif").check();
  await page.getByRole("button", { name: "Save" }).click();
  expect(page.url() === workUrl, `saving returns to the work (${page.url()})`);
  const classes = await page.evaluate(() => document.documentElement.className);
  expect(classes.includes("theme-dark") && classes.includes("font-sans"), `settings apply (${classes})`);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background === "rgb(21, 23, 26)", `the dark theme is dark (${background})`);
  await page.goto(base + "/search?q=tea");
  expect((await page.evaluate(() => document.documentElement.className)).includes("theme-dark"), "the theme persists on other pages");
  for (const theme of ["Dark", "Sepia", "Light"]) {
    await page.goto(pageTypes.get("preferences"));
    await page.getByLabel(theme, { exact: true }).check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.goto(pageTypes.get("chapter"));
    await axe(page, `chapter (${theme} theme)`);
    await shoot(page, `chapter-${theme.toLowerCase()}`);
  }
  // Back to the defaults for the rest.
  await page.goto(pageTypes.get("preferences"));
  await page.getByLabel("Follow my system").check();
  await page.getByLabel("Serif", { exact: true }).check();
  await page.getByRole("button", { name: "Save" }).click();

  pageTypes.set("not-found", base + "/works/999999");
  pageTypes.set("bad-request", base + "/search?page=0");

  // Every page type: axe, a screenshot, and its HTML source for the validator.
  const sources = mkdtempSync(join(tmpdir(), "ficarchive-vnu-"));
  for (const [name, address] of pageTypes) {
    await page.goto(address);
    await axe(page, name);
    await shoot(page, name);
    const response = await fetch(address);
    writeFileSync(join(sources, `${name}.html`), await response.text());
  }

  // A phone-sized screen gets the one-column layout.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const small = await phone.newPage();
  await small.goto(pageTypes.get("search"));
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
  await shoot(small, "search-phone");
  await small.goto(pageTypes.get("chapter"));
  await shoot(small, "chapter-phone");

  // Without JavaScript: the chapter menu and the settings form still work.
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(workUrl);
  await plain.selectOption("#chapter-select", "3");
  await plain.getByRole("button", { name: "Go" }).click();
  expect(plain.url().endsWith("/chapters/3"), `the chapter menu works without JavaScript (${plain.url()})`);
  await plain.getByRole("link", { name: "Reading settings" }).first().click();
  await plain.getByLabel("Sepia").check();
  await plain.getByRole("button", { name: "Save" }).click();
  expect((await plain.evaluate(() => document.documentElement.className)).includes("theme-sepia"), "settings work without JavaScript");

  expect(consoleErrors.length === 0, `no console errors (${consoleErrors.join("; ")})`);

  // The Nu HTML checker over every page type's source.
  const vnu = join(here, "node_modules", "vnu-jar", "build", "dist", "vnu.jar");
  try {
    execFileSync("java", ["-jar", vnu, "--errors-only", "--format", "json", sources], { stdio: ["ignore", "pipe", "pipe"] });
    console.log(`vnu: ${pageTypes.size} page types, no errors`);
  } catch (e) {
    const report = JSON.parse(String(e.stderr || "{}") || "{}");
    for (const m of report.messages || []) fail(`vnu: ${m.url.split("/").pop()}:${m.lastLine}: ${m.message}`);
    if (!report.messages) fail(`vnu could not run: ${e.message}`);
  }
} catch (e) {
  fail(`the walk stopped: ${e.stack || e}`);
} finally {
  await browser.close();
}

console.log(`screenshots in ${artifacts}`);
if (failures.length) {
  console.error(`${failures.length} browser checks failed`);
  process.exit(1);
}
console.log("browser checks passed: walk, axe on every page type, vnu, screenshots");
