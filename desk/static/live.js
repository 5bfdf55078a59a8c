/* Live updates for the queue and case pages (docs/live-updates.md).
 *
 * A page with [data-live-queue] or [data-live-case="<id>"] listens to /live/events
 * (server-sent events: only kinds and ids). On a change it fetches itself again and
 * swaps the parts that changed: the transcript, the case's head, actions, notes and
 * side panel, the queue. A part the agent is working in (focus inside, or a field
 * changed and not sent) is left alone: typed text and focus are never lost.
 *
 * If the stream drops, #live-status says so while it retries; once back, the page
 * refreshes once so that nothing missed meanwhile stays stale.
 *
 * Load it with:
 *   <script src="{{ url_for('static', filename='live.js') }}" defer
 *           data-events="{{ url_for('live.events') }}"
 *           data-offline-text="{{ _('Sin conexión en vivo: reintentando…') }}"></script>
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var root = document.querySelector("[data-live-case], [data-live-queue]");
  if (!root || typeof window.EventSource !== "function" || typeof window.fetch !== "function") {
    return;
  }

  var MIN_RETRY_MS = 2000;
  var MAX_RETRY_MS = 30000;
  var DEBOUNCE_MS = 250;
  // At most one refresh per this long: a busy desk's queue changes many times a
  // second, and each refresh is a page the server renders.
  var CASE_GAP_MS = 1000;
  var QUEUE_GAP_MS = 5000;
  // Every queue page hears of a case change at the same moment: spread their
  // refreshes, or the server renders them all at once.
  var QUEUE_SPREAD_MS = 2000;
  // The case page's parts, in the order they are compared. The composer is swapped
  // only when untouched, and only when its shape changed (the WhatsApp window opened
  // or closed): the time left in its text changes on every render, and composer.js
  // counts it down by itself.
  var BY_SHAPE = { composer: true };
  var CASE_PARTS = [
    ".case-head",
    "#transcript",
    "#composer",
    ".case-actions",
    ".notes .note-list",
    ".case-side > section"
  ];

  var setting = function (name, fallback) {
    return (script && script.getAttribute(name)) || fallback;
  };
  var caseId = root.getAttribute("data-live-case");
  var rootSelector = caseId !== null ? "[data-live-case]" : "[data-live-queue]";
  var eventsUrl = setting("data-events", "/live/events");
  var offlineText = setting("data-offline-text", "Sin conexión en vivo: reintentando…");
  var banner = document.getElementById("live-status");

  addStylesheet();

  // --- the stream -------------------------------------------------------------------

  var source = null;
  var cursor = root.getAttribute("data-live-cursor"); // how far this page is up to date
  var troubled = false; // the stream failed since it last said hello
  var retryMs = MIN_RETRY_MS;
  var retryTimer = null;
  var leaving = false;

  function streamUrl() {
    var params = [];
    if (caseId !== null) params.push("case=" + encodeURIComponent(caseId));
    if (cursor) params.push("since=" + encodeURIComponent(cursor));
    return eventsUrl + (params.length ? (eventsUrl.indexOf("?") < 0 ? "?" : "&") + params.join("&") : "");
  }

  function connect() {
    retryTimer = null;
    var es = new EventSource(streamUrl());
    source = es;
    es.addEventListener("hello", function (event) {
      var data = parse(event.data);
      // After an outage, or without a cursor of the page's own, catch up once.
      if (troubled || !cursor) refreshSoon(0);
      troubled = false;
      retryMs = MIN_RETRY_MS;
      if (data.cursor) cursor = data.cursor;
      setOffline(false);
    });
    es.addEventListener("change", function () {
      refreshSoon(DEBOUNCE_MS + (caseId !== null ? 0 : Math.random() * QUEUE_SPREAD_MS));
    });
    es.addEventListener("stale", function () {
      refreshSoon(0);
    });
    // The server recycles its streams every few minutes: reopen at once, from where
    // this one ended, without alarming anyone.
    es.addEventListener("reconnect", function (event) {
      var data = parse(event.data);
      if (data.cursor) cursor = data.cursor;
      es.close();
      if (es === source) connect();
    });
    es.addEventListener("error", function () {
      es.close(); // retry on our own schedule, with the latest cursor
      if (leaving || es !== source) return; // this page is going away, or a stale stream
      setOffline(true);
      if (!troubled) {
        troubled = true;
        // Signed out meanwhile? The page itself then leads to the login.
        refreshSoon(0);
      }
      if (retryTimer === null) retryTimer = window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    });
  }

  function setOffline(offline) {
    if (!banner) return;
    if (offline) banner.textContent = offlineText;
    banner.hidden = !offline;
  }

  function parse(text) {
    try {
      return JSON.parse(text) || {};
    } catch (error) {
      return {};
    }
  }

  // --- refreshing the page ------------------------------------------------------------

  var refreshTimer = null;
  var fetching = false;
  var fetchAgain = false;
  var lastRefresh = 0;
  var gapMs = caseId !== null ? CASE_GAP_MS : QUEUE_GAP_MS;

  var hiddenChange = false;

  function refreshSoon(delay) {
    if (document.hidden) {
      // A tab in the background costs the server nothing until it is looked at.
      hiddenChange = true;
      return;
    }
    if (refreshTimer !== null) return;
    var wait = Math.max(delay, lastRefresh + gapMs - Date.now());
    refreshTimer = window.setTimeout(refresh, wait);
  }

  function refresh() {
    refreshTimer = null;
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    lastRefresh = Date.now();
    window
      .fetch(window.location.href, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/html", "X-Live-Refresh": "1" }
      })
      .then(function (response) {
        var landed = new URL(response.url, window.location.href);
        if (landed.pathname !== window.location.pathname || [401, 403, 404].indexOf(response.status) >= 0) {
          // Signed out, no longer allowed, or the case is gone: show the real page.
          window.location.reload();
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) update(new DOMParser().parseFromString(html, "text/html"));
      })
      .catch(function () {
        // Unreachable: the stream's own error shows the banner and retries.
      })
      .then(function () {
        fetching = false;
        if (fetchAgain) {
          fetchAgain = false;
          refreshSoon(0);
        }
      });
  }

  function update(doc) {
    var fresh = doc.querySelector(rootSelector);
    if (!fresh) return;
    var now = parts(root);
    var next = parts(fresh);
    var changed = [];
    var sameShape = Object.keys(now).join() === Object.keys(next).join();
    if (!sameShape && !busy(root)) {
      swap(root, fresh);
      root = document.querySelector(rootSelector);
      changed.push(root);
    } else {
      Object.keys(now).forEach(function (key) {
        var mine = now[key];
        var theirs = next[key];
        if (!theirs) {
          // Gone from the page (the case closed meanwhile): what the agent is
          // typing stays, but it can no longer be sent from here.
          if (busy(mine)) disableSubmits(mine);
          else mine.remove();
          return;
        }
        if (signature(mine) === signature(theirs)) {
          // Same shape (the composer): what the server says through data-* attributes
          // (when the WhatsApp window closes) still comes in, typed text untouched.
          if (BY_SHAPE[mine.id] && syncData(mine, theirs)) changed.push(mine);
          return;
        }
        if (busy(mine)) {
          if (BY_SHAPE[mine.id] && syncData(mine, theirs)) changed.push(mine);
          return;
        }
        changed.push(swap(mine, theirs));
      });
    }
    if (changed.length) {
      document.dispatchEvent(new CustomEvent("live:updated", { detail: { parts: changed } }));
    }
  }

  // key -> element: the parts marked data-live-region, else the case page's known
  // parts, else (the queue) the root's own children.
  function parts(container) {
    var found = {};
    var marked = container.querySelectorAll("[data-live-region]");
    if (marked.length) {
      add(found, "region", marked);
    } else if (container.hasAttribute("data-live-case")) {
      CASE_PARTS.forEach(function (selector) {
        add(found, selector, container.querySelectorAll(selector));
      });
    } else {
      add(found, "child", container.children);
    }
    return found;
  }

  function add(found, prefix, elements) {
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      found[prefix + ":" + (element.id || element.tagName + ":" + i)] = element;
    }
  }

  // The markup without what changes on every render (CSRF tokens); for some parts
  // only their shape: the ids of what they hold.
  function signature(element) {
    if (BY_SHAPE[element.id]) {
      return Array.prototype.map.call(element.querySelectorAll("[id]"), function (node) {
        return node.id;
      }).join(" ");
    }
    var copy = element.cloneNode(true);
    var tokens = copy.querySelectorAll("input[name='csrf_token']");
    for (var i = 0; i < tokens.length; i++) tokens[i].removeAttribute("value");
    return copy.outerHTML;
  }

  // Copies the data-* attributes of ``theirs`` and of its elements with an id onto
  // their counterparts in ``mine``; returns whether any changed.
  function syncData(mine, theirs) {
    var changed = false;
    var pairs = [[mine, theirs]];
    Array.prototype.forEach.call(theirs.querySelectorAll("[id]"), function (node) {
      var counterpart = mine.querySelector("#" + CSS.escape(node.id));
      if (counterpart) pairs.push([counterpart, node]);
    });
    pairs.forEach(function (pair) {
      var target = pair[0];
      var source = pair[1];
      Array.prototype.forEach.call(target.attributes, function (attribute) {
        if (attribute.name.indexOf("data-") === 0 && !source.hasAttribute(attribute.name)) {
          target.removeAttribute(attribute.name);
          changed = true;
        }
      });
      Array.prototype.forEach.call(source.attributes, function (attribute) {
        if (attribute.name.indexOf("data-") === 0 && target.getAttribute(attribute.name) !== attribute.value) {
          target.setAttribute(attribute.name, attribute.value);
          changed = true;
        }
      });
    });
    return changed;
  }

  // Focus inside, or a field changed and not sent.
  function busy(element) {
    var active = document.activeElement;
    if (active && active !== document.body && element.contains(active)) return true;
    var fields = element.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "hidden") continue;
      if (field.tagName === "SELECT") {
        if (selectChanged(field)) return true;
      } else if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) return true;
      } else if (field.value !== field.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // A list's default is the option marked selected (the last one, as browsers do),
  // else the first.
  function selectChanged(select) {
    var options = select.options;
    var i;
    if (select.multiple) {
      for (i = 0; i < options.length; i++) {
        if (options[i].selected !== options[i].defaultSelected) return true;
      }
      return false;
    }
    var initial = 0;
    for (i = 0; i < options.length; i++) {
      if (options[i].defaultSelected) initial = i;
    }
    return options.length > 0 && select.selectedIndex !== initial;
  }

  function swap(mine, theirs) {
    if (mine.id === "transcript") return mergeTranscript(mine, theirs);
    var copy = document.importNode(theirs, true);
    mine.replaceWith(copy);
    return copy;
  }

  // Messages are added and updated in place, so that the transcript's aria-live
  // announces what is new instead of the whole conversation again.
  function mergeTranscript(mine, theirs) {
    var items = Array.prototype.slice.call(theirs.children);
    if (!items.every(function (item) { return item.id; })) {
      mine.replaceChildren.apply(mine, items.map(function (item) {
        return document.importNode(item, true);
      }));
      return mine;
    }
    var previous = null;
    for (var i = 0; i < theirs.children.length; i++) {
      var item = theirs.children[i];
      var existing = item.id ? document.getElementById(item.id) : null;
      var copy = document.importNode(item, true);
      if (existing && existing.parentNode === mine) {
        if (existing.outerHTML !== item.outerHTML) existing.replaceWith(copy);
        else copy = existing;
      } else if (previous) {
        previous.after(copy);
      } else {
        mine.prepend(copy);
      }
      previous = copy;
    }
    var keep = {};
    for (var k = 0; k < theirs.children.length; k++) keep[theirs.children[k].id] = true;
    Array.prototype.slice.call(mine.children).forEach(function (item) {
      if (!item.id || !keep[item.id]) item.remove();
    });
    return mine;
  }

  function disableSubmits(element) {
    var buttons = element.querySelectorAll("button, input[type='submit']");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
  }

  function addStylesheet() {
    if (!script || !script.src || document.querySelector("link[data-live-css]")) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = script.src.replace(/live\.js(\?.*)?$/, "live.css");
    link.setAttribute("data-live-css", "");
    document.head.appendChild(link);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && hiddenChange) {
      hiddenChange = false;
      refreshSoon(0);
    }
  });
  window.addEventListener("beforeunload", function () {
    leaving = true;
  });
  window.addEventListener("pageshow", function (event) {
    leaving = false;
    if (event.persisted && retryTimer === null) {
      // Back from the browser's page cache: the stream was closed meanwhile.
      troubled = true;
      connect();
    }
  });
  window.addEventListener("pagehide", function () {
    if (source) source.close();
  });
  connect();
})();
