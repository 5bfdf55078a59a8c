// The agent's composer (desk/replies/templates/replies/composer.html). The page works
// without this file; with it:
// - "/" and a few letters in the reply (or the search field beside it) list canned
//   replies already filled for the case: arrows to move, Enter to insert at the
//   cursor, Escape to close;
// - a live counter: SMS segments (a straight port of desk/replies/window.py's
//   sms_segments, same tables; tests/desk/replies/test_sms_segments.py runs both on
//   the same strings) or WhatsApp's 1,600 characters;
// - the WhatsApp window counting down, and the composer switching to templates when
//   it closes;
// - the chosen template's fields only, and a live preview of the final text.
// Sentences come from the page (data-fmt-*), translated on the server.
(function () {
  "use strict";

  // --- shared with desk/replies/window.py ---------------------------------------------

  const GSM_BASIC = new Set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
  );
  const GSM_EXTENDED = new Set("^{}\\[~]|€\f");
  const GSM_LIMITS = [160, 153];
  const UCS2_LIMITS = [70, 67];

  // How Twilio splits `text` for SMS: see sms_segments in desk/replies/window.py.
  function smsSegments(text) {
    const chars = Array.from(text); // code points, as Python iterates a str
    const gsm = chars.every((ch) => GSM_BASIC.has(ch) || GSM_EXTENDED.has(ch));
    let sizes, limits, encoding;
    if (gsm) {
      sizes = chars.map((ch) => (GSM_EXTENDED.has(ch) ? 2 : 1));
      limits = GSM_LIMITS;
      encoding = "GSM-7";
    } else {
      sizes = chars.map((ch) => (ch.codePointAt(0) > 0xffff ? 2 : 1));
      limits = UCS2_LIMITS;
      encoding = "UCS-2";
    }
    const [single, multi] = limits;
    const units = sizes.reduce((sum, size) => sum + size, 0);
    if (units <= single) {
      return { encoding, units, count: units ? 1 : 0, per_segment: single, remaining: single - units };
    }
    let count = 1;
    let used = 0;
    for (const size of sizes) {
      if (used + size > multi) {
        count += 1;
        used = 0;
      }
      used += size;
    }
    return { encoding, units, count, per_segment: multi, remaining: multi - used };
  }

  // "%(name)d" and "%(name)s" (and "%(name)02d") filled from `values`, as gettext does.
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)(0?\d*)([ds])/g, (match, name, width, kind) => {
      if (!(name in values)) return match;
      const text = String(values[name]);
      return kind === "d" && width ? text.padStart(Number(width), "0") : text;
    });
  }

  // See time_left in desk/replies/window.py.
  function timeLeft(milliseconds, formats) {
    const minutes = Math.floor(Math.floor(milliseconds / 1000) / 60);
    if (minutes < 1) return formats.underMinute;
    const hours = Math.floor(minutes / 60);
    if (hours) return fmt(formats.hours, { hours, minutes: minutes % 60 });
    return fmt(formats.minutes, { minutes });
  }

  // See template_preview in desk/replies/rendering.py.
  function fillTemplate(body, names, values, typed) {
    return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (match, number) => {
      const position = Number(number);
      if (position < 1 || position > names.length) return match;
      const name = names[position - 1];
      return values[name] || (typed[name] || "").trim() || "[" + name + "]";
    });
  }

  // The "/shortcut" being typed just before the caret: {start, query}, or null.
  function slashQuery(text, caret) {
    const match = /(^|\s)\/([\p{L}\p{N}-]*)$/u.exec(text.slice(0, caret));
    if (!match) return null;
    return { start: caret - match[2].length - 1, query: match[2] };
  }

  const shared = { smsSegments, fmt, timeLeft, fillTemplate, slashQuery, GSM_BASIC, GSM_EXTENDED };
  if (typeof module === "object" && module.exports) {
    module.exports = shared; // tests run these with node
  }
  if (typeof document === "undefined") return;

  // --- the page ---------------------------------------------------------------------------

  // Live updates (live.js) may replace the composer when WhatsApp's window opens or
  // closes: the new one is set up like the first, the old one is gone with its listeners.
  let current = null;

  function setUp() {
    const composer = document.getElementById("composer");
    if (!composer || composer === current) return;
    current = composer;
    const formats = {};
    for (const [key, value] of Object.entries(composer.dataset)) {
      if (key.startsWith("fmt")) {
        const name = key.slice(3);
        formats[name.charAt(0).toLowerCase() + name.slice(1)] = value;
      }
    }
    const body = document.getElementById("body");
    const textForm = document.getElementById("reply-text");

    // Counter -------------------------------------------------------------------------------

    const counter = document.getElementById("body-counter");
    const ucs2Hint = document.getElementById("ucs2-hint");
    const segmentsStatus = document.getElementById("segments-status");
    const maxBody = Number(composer.dataset.maxBody || 1600);
    let announced = "";

    function count() {
      if (!counter || !body) return;
      const text = body.value;
      const length = Array.from(text).length;
      if (composer.dataset.channel === "sms") {
        const segments = smsSegments(text);
        counter.textContent = fmt(formats.sms, segments);
        counter.dataset.units = segments.units;
        counter.dataset.segments = segments.count;
        counter.dataset.encoding = segments.encoding;
        counter.dataset.remaining = segments.remaining;
        if (ucs2Hint) ucs2Hint.hidden = segments.encoding !== "UCS-2";
        // Only a change of segments or encoding is read out, not every keystroke.
        const summary = segments.count + " SMS (" + segments.encoding + ")";
        if (segmentsStatus && summary !== announced) {
          announced = summary;
          segmentsStatus.textContent = counter.textContent;
        }
      } else {
        counter.textContent = fmt(formats.chars, { length, max: maxBody });
      }
      counter.classList.toggle("over", length > maxBody);
    }

    if (textForm && body) {
      body.addEventListener("input", count);
      announced = counter ? counter.dataset.segments + " SMS (" + counter.dataset.encoding + ")" : "";
      count();
    }

    // Canned replies ------------------------------------------------------------------------

    const canned = document.getElementById("canned");
    const bodyWrap = document.getElementById("body-wrap");
    const search = document.getElementById("canned-search");
    const list = document.getElementById("canned-list");
    const status = document.getElementById("canned-status");
    let items = [];
    let active = -1;
    let source = null; // the element the list belongs to: the search field or the reply
    let slash = null; // {start, query} while "/…" is typed in the reply
    let saved = null; // where the reply's caret was when the agent went to the search field
    let sequence = 0;
    let timer = null;

    function close() {
      if (!list) return;
      list.hidden = true;
      list.replaceChildren();
      items = [];
      active = -1;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      body.removeAttribute("aria-activedescendant");
      source = null;
    }

    function highlight(index) {
      active = index;
      Array.from(list.children).forEach((option, position) => {
        const on = position === index;
        option.setAttribute("aria-selected", on ? "true" : "false");
        option.classList.toggle("active", on);
        if (on) option.scrollIntoView({ block: "nearest" });
      });
      if (source && index >= 0) source.setAttribute("aria-activedescendant", "canned-opt-" + index);
    }

    function show(found, owner) {
      items = found;
      source = owner;
      // Under whichever field the agent is typing in, never over the text.
      const home = owner === body ? bodyWrap || canned : canned;
      if (list.parentElement !== home) home.appendChild(list);
      list.replaceChildren();
      found.forEach((reply, index) => {
        const option = document.createElement("li");
        option.id = "canned-opt-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const title = document.createElement("span");
        title.className = "canned-title";
        title.textContent = "/" + reply.shortcut + " · " + reply.title;
        const text = document.createElement("span");
        text.className = "canned-text";
        text.textContent = reply.text;
        option.append(title, text);
        // mousedown would take the focus from the reply (and its caret) first.
        option.addEventListener("mousedown", (event) => event.preventDefault());
        option.addEventListener("click", () => choose(index));
        list.appendChild(option);
      });
      list.hidden = found.length === 0;
      search.setAttribute("aria-expanded", found.length && owner === search ? "true" : "false");
      status.textContent = found.length ? fmt(formats.results, { count: found.length }) : formats.noResults;
      if (found.length) highlight(0);
    }

    function lookUp(query, owner) {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++sequence;
        const url = new URL(composer.dataset.cannedUrl, window.location.href);
        url.searchParams.set("q", query);
        try {
          const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (!response.ok || mine !== sequence) return;
          const found = (await response.json()).replies;
          if (mine === sequence) show(found, owner);
        } catch (error) {
          if (mine === sequence) close(); // offline: the agent types the answer instead
        }
      }, 120);
    }

    function insert(text, start, end) {
      body.setRangeText(text, start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function choose(index) {
      const reply = items[index];
      if (!reply) return;
      if (source === body && slash) {
        insert(reply.text, slash.start, body.selectionStart);
      } else {
        const at = saved || { start: body.value.length, end: body.value.length };
        search.value = "";
        insert(reply.text, at.start, at.end);
      }
      slash = null;
      saved = null;
      close();
    }

    // Arrows, Enter and Escape while the list is open; true when the key was ours.
    function navigate(event) {
      if (list.hidden || !items.length) return false;
      if (event.key === "ArrowDown") highlight((active + 1) % items.length);
      else if (event.key === "ArrowUp") highlight((active - 1 + items.length) % items.length);
      else if (event.key === "Home") highlight(0);
      else if (event.key === "End") highlight(items.length - 1);
      else if (event.key === "Enter") choose(active < 0 ? 0 : active);
      else if (event.key === "Escape") close();
      else return false;
      event.preventDefault();
      return true;
    }

    if (canned && search && list && body && composer.dataset.cannedUrl) {
      canned.hidden = false;

      body.addEventListener("input", () => {
        slash = slashQuery(body.value, body.selectionStart);
        if (slash) lookUp(slash.query, body);
        else if (source === body) close();
      });
      body.addEventListener("keydown", (event) => {
        if (source === body) navigate(event);
      });
      body.addEventListener("blur", () => {
        saved = { start: body.selectionStart, end: body.selectionEnd };
        if (source === body) close();
      });

      search.addEventListener("input", () => {
        if (search.value.trim()) lookUp(search.value, search);
        else close();
      });
      search.addEventListener("keydown", (event) => {
        if (navigate(event)) return;
        if (event.key === "ArrowDown") {
          event.preventDefault();
          lookUp(search.value, search);
        } else if (event.key === "Enter") {
          event.preventDefault(); // never submit the reply from the search field
        } else if (event.key === "Escape" && search.value) {
          event.preventDefault();
          search.value = "";
        }
      });
      search.addEventListener("blur", () => {
        if (source === search) setTimeout(() => { if (document.activeElement !== search) close(); }, 0);
      });
    }

    // The WhatsApp window -------------------------------------------------------------------

    const windowState = document.getElementById("window-state");
    const optional = document.getElementById("templates-optional");
    // Read at every tick: a citizen's message moves it (live.js updates the attribute).
    const closesAt = () => (composer.dataset.closesAt ? Date.parse(composer.dataset.closesAt) : NaN);

    function windowClosed() {
      windowState.setAttribute("role", "alert"); // before the text, so that it is read out
      windowState.className = "window window-closed";
      windowState.textContent = formats.closed;
      if (textForm) {
        // The text stays to copy; the server would refuse it (409) anyway.
        body.readOnly = true;
        textForm.querySelectorAll("button, input[type=checkbox]").forEach((el) => { el.disabled = true; });
        if (canned) canned.hidden = true;
        close();
      }
      if (optional) optional.open = true;
    }

    if (windowState && textForm && !Number.isNaN(closesAt())) {
      const tick = () => {
        if (composer !== current) return; // replaced by live.js: its successor ticks
        const left = closesAt() - Date.now();
        if (left <= 0) {
          windowClosed();
          return;
        }
        const closesLabel = windowState.dataset.closes || "";
        windowState.textContent = fmt(formats.left, { left: timeLeft(left, formats), closes: closesLabel });
        setTimeout(tick, Math.min(30000, left));
      };
      tick();
    }

    // Templates -----------------------------------------------------------------------------

    const templateForm = document.getElementById("reply-template");
    if (templateForm) {
      const choices = Array.from(templateForm.querySelectorAll(".template-choice"));

      const preview = (fields) => {
        const typed = {};
        fields.querySelectorAll("input[data-name]").forEach((input) => { typed[input.dataset.name] = input.value; });
        const output = fields.querySelector(".preview");
        output.textContent = fillTemplate(
          fields.dataset.templateBody,
          JSON.parse(fields.dataset.names),
          JSON.parse(fields.dataset.values),
          typed
        );
      };

      const select = () => {
        for (const choice of choices) {
          const radio = choice.querySelector("input[type=radio]");
          const fields = choice.querySelector(".template-fields");
          fields.hidden = !radio.checked;
          // Only the chosen template's fields are sent and required.
          fields.querySelectorAll("input").forEach((input) => {
            input.disabled = !radio.checked;
            input.required = radio.checked;
          });
          if (radio.checked) preview(fields);
        }
      };

      templateForm.addEventListener("change", (event) => {
        if (event.target.name === "template_id") select();
      });
      templateForm.addEventListener("input", (event) => {
        const fields = event.target.closest(".template-fields");
        if (fields) preview(fields);
      });
      select();
    }
  }

  setUp();
  document.addEventListener("live:updated", setUp);
})();
