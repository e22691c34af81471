// Hit navigator of the document view: Prev/Next step through the marked hits (keys: n, p).
// Without this script the same links jump to the first and last hit, and "Jump to" lists them all.
(function () {
  "use strict";
  var marks = Array.prototype.slice.call(document.querySelectorAll(".text mark[id^='hit-']"));
  var prev = document.getElementById("hit-prev");
  var next = document.getElementById("hit-next");
  var pos = document.getElementById("hit-pos");
  if (!marks.length || !prev || !next || !pos) { return; }
  var current = -1;

  function indexOfHash() {
    var m = /^#hit-(\d+)$/.exec(window.location.hash);
    return m ? Math.min(marks.length, Math.max(1, parseInt(m[1], 10))) - 1 : -1;
  }

  function show(i) {
    if (current >= 0) { marks[current].classList.remove("current"); }
    current = (i + marks.length) % marks.length;
    var mark = marks[current];
    mark.classList.add("current");
    mark.setAttribute("tabindex", "-1");
    mark.scrollIntoView({block: "center"});
    mark.focus({preventScroll: true});
    pos.textContent = "hit " + (current + 1) + " of " + marks.length;
    // Replace, not push: stepping through hits should not fill the back button's history.
    history.replaceState(null, "", "#" + mark.id);
  }

  prev.addEventListener("click", function (e) { e.preventDefault(); show(current < 0 ? marks.length - 1 : current - 1); });
  next.addEventListener("click", function (e) { e.preventDefault(); show(current + 1); });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.altKey || e.ctrlKey || e.metaKey || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (e.key === "n") { e.preventDefault(); show(current + 1); }
    if (e.key === "p") { e.preventDefault(); show(current < 0 ? marks.length - 1 : current - 1); }
  });
  window.addEventListener("hashchange", function () { var i = indexOfHash(); if (i >= 0) { show(i); } });
  var start = indexOfHash();
  if (start >= 0) { show(start); }
  prev.setAttribute("title", "Previous hit (p)");
  next.setAttribute("title", "Next hit (n)");
}());
