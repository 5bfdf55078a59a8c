// The sandbox phone: asks the desk to sign what Twilio would send, posts it to the
// real inbound webhook, then polls the conversation for replies.
(function () {
  const phone = document.querySelector(".phone");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const thread = document.getElementById("thread");
  const error = document.getElementById("error");
  const field = (id) => document.getElementById(id);
  let lastId = 0;

  function show(msg) {
    const li = document.createElement("li");
    li.className = msg.direction;
    li.dataset.id = msg.id;
    li.textContent = msg.body;
    const meta = document.createElement("small");
    meta.textContent = msg.direction === "inbound" ? "tú" : msg.author + " · " + msg.status;
    li.appendChild(meta);
    thread.appendChild(li);
    thread.scrollTop = thread.scrollHeight;
  }

  async function poll() {
    const query = new URLSearchParams({ channel: field("channel").value, phone: field("phone").value, after: lastId });
    try {
      const response = await fetch(phone.dataset.messagesUrl + "?" + query);
      if (response.ok) {
        for (const msg of (await response.json()).messages) { show(msg); lastId = msg.id; }
      }
    } finally {
      setTimeout(poll, 1000);
    }
  }

  function restart() { thread.innerHTML = ""; lastId = 0; }
  field("channel").addEventListener("change", restart);
  field("phone").addEventListener("change", restart);

  field("compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = field("body").value;
    const signed = await fetch(phone.dataset.signUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ channel: field("channel").value, phone: field("phone").value, body }),
    });
    const data = await signed.json();
    if (!signed.ok) { error.textContent = data.message; return; }
    // Form-encoded and signed, exactly as Twilio posts it.
    const sent = await fetch(data.url, {
      method: "POST",
      headers: { "X-Twilio-Signature": data.signature },
      body: new URLSearchParams(data.params),
    });
    if (!sent.ok) { error.textContent = "El webhook respondió " + sent.status; return; }
    field("body").value = "";
  });

  poll();
})();
