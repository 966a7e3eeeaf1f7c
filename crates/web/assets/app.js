// Left and right arrow keys follow the page's <link rel="prev"> and <link rel="next">:
// previous and next chapter on reading pages, previous and next page on lists. Everything
// else on the site works without this file.
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) return;
  var rel = event.key === "ArrowLeft" ? "prev" : event.key === "ArrowRight" ? "next" : null;
  if (!rel) return;
  var link = document.querySelector('link[rel="' + rel + '"]');
  if (link && link.href) {
    event.preventDefault();
    window.location.href = link.href;
  }
});
