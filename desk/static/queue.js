// The queue from the keyboard: j / k move between cases, Enter opens one (it is a
// link), / jumps to the search box. Keys typed into a field are left alone.
(function () {
  "use strict";
  var links = [];
  var search = document.getElementById("q");

  // Live updates (live.js) replace the table: the links are read again each time.
  function collect() {
    links = Array.prototype.slice.call(document.querySelectorAll("#queue-table a.folio"));
  }
  collect();
  document.addEventListener("live:updated", collect);

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }

  function select(index) {
    if (!links.length) return;
    var next = Math.max(0, Math.min(links.length - 1, index));
    links.forEach(function (link, i) {
      link.closest("tr").classList.toggle("current", i === next);
    });
    links[next].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var current = links.indexOf(document.activeElement);
    if (event.key === "j") {
      event.preventDefault();
      select(current + 1);
    } else if (event.key === "k") {
      event.preventDefault();
      select(current < 0 ? 0 : current - 1);
    } else if (event.key === "/" && search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });
})();
