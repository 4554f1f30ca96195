// mockllm inspector: polls /_mockllm/journal?since_seq=N about once a second and renders what it gets.
// Every value from the journal is a user's prompt or a fixture's text, so it is only ever put in the page
// with textContent (never innerHTML): a prompt containing markup must show as text, not run.
"use strict";

(function () {
  const API = "/_mockllm";
  const POLL_MS = 1000;
  const MAX_ROWS = 2000;

  const state = {
    lastSeq: 0,
    epoch: null,
    entries: new Map(), // seq -> journal entry
    selected: null,
    live: true,
    filter: "",
    timer: null,
    token: null,
    pendingSelect: null, // a seq from the URL (#seq=12): selected once it has loaded
  };
  readHash();

  const $ = (id) => document.getElementById(id);

  // The URL fragment (never sent to the server, so never in its logs) may carry the admin token and a
  // request to open: /_mockllm/ui#token=SECRET&seq=12. The token moves to sessionStorage at once.
  function readHash() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    const token = params.get("token");
    if (token) {
      try { sessionStorage.setItem("mockllm-admin-token", token); } catch (e) { /* storage may be off */ }
      params.delete("token");
      const rest = params.toString();
      history.replaceState(null, "", window.location.pathname + window.location.search + (rest ? "#" + rest : ""));
    }
    try { state.token = token || sessionStorage.getItem("mockllm-admin-token"); } catch (e) { state.token = token; }
    const seq = Number(params.get("seq"));
    state.pendingSelect = Number.isInteger(seq) && seq > 0 ? seq : null;
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else if (key.startsWith("data-")) node.setAttribute(key, value);
        else node[key] = value;
      }
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  async function api(path, options) {
    const headers = Object.assign({}, (options && options.headers) || {});
    if (state.token) headers["x-mockllm-admin-token"] = state.token;
    const response = await fetch(API + path, Object.assign({}, options, { headers, cache: "no-store" }));
    if (response.status === 401) {
      showBanner("This server's admin API needs its token.", true);
      throw new Error("unauthorized");
    }
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function showBanner(text, askToken) {
    $("banner").hidden = false;
    $("banner-text").textContent = text;
    $("token-form").hidden = !askToken;
  }

  function hideBanner() {
    $("banner").hidden = true;
  }

  // ----- formatting -------------------------------------------------------------------------------

  const fmtInt = (n) => Number(n || 0).toLocaleString("en-US");
  const fmtCost = (usd) => {
    const value = Number(usd || 0);
    if (value === 0) return "$0.00";
    if (value < 0.01) return "$" + String(Number(value.toPrecision(2)));
    return "$" + value.toFixed(4);
  };
  const fmtTime = (unix) => {
    const d = new Date(unix * 1000);
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  };
  const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) + " ms";

  function textOf(content) {
    if (typeof content === "string") return content;
    if (Array.isArray(content)) {
      return content
        .map((part) => {
          if (!part || typeof part !== "object") return "";
          if (typeof part.text === "string") return part.text;
          if (part.type === "image_url") return "[image]";
          if (part.type === "input_audio") return "[audio]";
          return `[${part.type || "part"}]`;
        })
        .join("\n");
    }
    if (content === null || content === undefined) return "";
    return JSON.stringify(content);
  }

  // Chat requests carry their messages; other APIs' (Responses) have the server's chat-shaped view in info.
  function requestMessages(entry) {
    return (entry.request && entry.request.messages) || (entry.info && entry.info.messages) || [];
  }

  function lastUser(entry) {
    const messages = requestMessages(entry);
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i] && messages[i].role === "user") return textOf(messages[i].content);
    }
    return "";
  }

  function statusClass(status) {
    if (status >= 500) return "s5xx";
    if (status >= 400) return "s4xx";
    return "s2xx";
  }

  function answeredBy(entry) {
    switch (entry.outcome) {
      case "fixture": return ["fixture", entry.source || ""];
      case "generator": return ["generator", entry.near_misses && entry.near_misses.length ? "no fixture matched" : ""];
      case "invalid": return ["invalid", "rejected"];
      default: return [entry.outcome || "", entry.source || (entry.error && entry.error.code) || ""];
    }
  }

  function searchable(entry) {
    return [entry.model, entry.source, entry.outcome, String(entry.status), entry.fault, entry.session, lastUser(entry)]
      .filter(Boolean)
      .join(" ")
      .toLowerCase();
  }

  // ----- rendering ------------------------------------------------------------------------------

  function row(entry, fresh) {
    const [kind, what] = answeredBy(entry);
    const tokens = entry.usage ? entry.usage.total_tokens : null;
    const tr = el("tr", {
      className: fresh ? "fresh" : "",
      "data-seq": String(entry.seq),
      "data-model": entry.model || "",
      "data-source": entry.source || "",
      "data-status": String(entry.status),
    }, [
      el("td", { className: "num col-seq", text: String(entry.seq) }),
      el("td", { className: "col-time", text: fmtTime(entry.time) }),
      el("td", { className: "col-model", text: entry.model || "—" }),
      el("td", { className: "col-source", title: what }, [
        el("span", { className: "kind " + kind, text: kind }),
        el("span", { className: "what", text: what }),
      ]),
      el("td", { className: "col-status" }, [
        el("span", { className: "badge " + statusClass(entry.status), text: String(entry.status) }),
      ]),
      el("td", { className: "col-fault" }, [entry.fault ? el("span", { className: "badge fault", text: entry.fault }) : "—"]),
      el("td", { className: "num col-tokens", text: tokens === null ? "—" : fmtInt(tokens) }),
      el("td", { className: "num col-cost", text: entry.usage ? fmtCost(entry.cost_usd) : "—" }),
      el("td", { className: "num col-latency", text: fmtMs(entry.latency_ms || 0) }),
    ]);
    tr.addEventListener("click", () => select(entry.seq));
    if (state.selected === entry.seq) tr.classList.add("selected");
    return tr;
  }

  function visible(entry) {
    return !state.filter || searchable(entry).includes(state.filter);
  }

  function renderAll() {
    const rows = $("rows");
    rows.replaceChildren();
    const ordered = [...state.entries.values()].sort((a, b) => b.seq - a.seq);
    for (const entry of ordered) if (visible(entry)) rows.append(row(entry, false));
    $("empty").hidden = state.entries.size > 0;
  }

  function addEntries(entries) {
    const rows = $("rows");
    for (const entry of entries) {
      state.entries.set(entry.seq, entry);
      if (visible(entry)) rows.prepend(row(entry, true));
    }
    while (state.entries.size > MAX_ROWS) {
      const oldest = Math.min(...state.entries.keys());
      state.entries.delete(oldest);
      const tr = rows.querySelector(`tr[data-seq="${oldest}"]`);
      if (tr) tr.remove();
    }
    $("empty").hidden = state.entries.size > 0;
  }

  function renderTotals(totals) {
    $("total-requests").textContent = fmtInt(totals.requests);
    $("total-errors").textContent = fmtInt(totals.errors);
    $("total-faults").textContent = fmtInt(totals.faults);
    $("total-prompt").textContent = fmtInt(totals.prompt_tokens);
    $("total-completion").textContent = fmtInt(totals.completion_tokens);
    $("total-cost").textContent = fmtCost(totals.cost_usd);
  }

  function kv(pairs) {
    const dl = el("dl", { className: "kv" });
    for (const [key, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      dl.append(el("dt", { text: key }), el("dd", { text: String(value) }));
    }
    return dl;
  }

  function select(seq) {
    state.selected = seq;
    for (const tr of document.querySelectorAll("#rows tr.selected")) tr.classList.remove("selected");
    const tr = document.querySelector(`#rows tr[data-seq="${seq}"]`);
    if (tr) tr.classList.add("selected");
    renderDetail(state.entries.get(seq));
  }

  function renderDetail(entry) {
    const detail = $("detail");
    detail.replaceChildren();
    if (!entry) {
      detail.append(el("p", { className: "empty", text: "Select a request to see what was sent, what answered it and why." }));
      return;
    }
    const [kind, what] = answeredBy(entry);
    const usage = entry.usage || {};
    detail.append(
      el("h2", { text: `#${entry.seq} ${entry.method} ${entry.path}` }),
      kv([
        ["Time", new Date(entry.time * 1000).toISOString()],
        ["Model", entry.model],
        ["Status", entry.status],
        ["Answered by", `${kind}${what ? ": " + what : ""}`],
        ["Fault", entry.fault],
        ["Stream", entry.stream ? "yes" : "no"],
        ["Session", entry.session],
        ["API key", entry.api_key],
        ["Tokens", entry.usage ? `${fmtInt(usage.prompt_tokens)} prompt + ${fmtInt(usage.completion_tokens)} completion` : null],
        ["Cost", entry.usage ? fmtCost(entry.cost_usd) : null],
        ["Latency", fmtMs(entry.latency_ms || 0)],
      ]),
    );

    if (entry.near_misses && entry.near_misses.length) {
      detail.append(el("h3", { text: "Why no fixture matched (nearest first)" }));
      for (const miss of entry.near_misses) {
        detail.append(el("div", { className: "miss" }, [
          el("b", { text: miss.fixture }),
          el("div", { text: (miss.failures || []).join("; ") }),
        ]));
      }
    }

    if (entry.error) {
      detail.append(el("h3", { text: "Error" }), kv([
        ["Message", entry.error.message],
        ["Type", entry.error.type],
        ["Code", entry.error.code],
        ["Param", entry.error.param],
      ]));
    }

    const messages = requestMessages(entry);
    const system = entry.request && entry.request.system;  // the Messages API's top-level system prompt
    if (system !== undefined && system !== null) {
      detail.append(el("div", { className: "msg system" }, [
        el("div", { className: "role", text: "system" }),
        el("div", { className: "text", text: textOf(system) }),
      ]));
    }
    if (messages.length) {
      detail.append(el("h3", { text: `Request: ${messages.length} message(s)` }));
      for (const message of messages) {
        const role = (message && message.role) || "?";
        detail.append(el("div", { className: "msg " + role }, [
          el("div", { className: "role", text: role }),
          el("div", { className: "text", text: textOf(message && message.content) || (message && message.tool_calls ? "[tool calls]" : "") }),
        ]));
      }
    }

    detail.append(el("h3", { text: "Response" }));
    const response = entry.response;
    if (response && Array.isArray(response.choices)) {
      for (const choice of response.choices) {
        const message = choice.message || {};
        const calls = (message.tool_calls || []).map((c) => `${c.function && c.function.name}(${c.function && c.function.arguments})`);
        detail.append(el("div", { className: "msg assistant" }, [
          el("div", { className: "role", text: `assistant · finish_reason ${choice.finish_reason}` }),
          el("div", { className: "text", text: [message.content || message.refusal || "", ...calls].filter(Boolean).join("\n") }),
        ]));
      }
    } else if (response && response.type === "message" && Array.isArray(response.content)) {
      // Anthropic's message: thinking, text and tool_use blocks.
      const parts = response.content.map((block) => {
        if (block.type === "text") return block.text;
        if (block.type === "thinking") return `[thinking] ${block.thinking}`;
        if (block.type === "tool_use") return `${block.name}(${JSON.stringify(block.input)})`;
        return `[${block.type}]`;
      });
      detail.append(el("div", { className: "msg assistant" }, [
        el("div", { className: "role", text: `assistant · stop_reason ${response.stop_reason}` }),
        el("div", { className: "text", text: parts.join("\n") }),
      ]));
    } else if (response && Array.isArray(response.output)) {
      // A Responses-API answer: one line per output item (message text, function call, reasoning summary).
      for (const item of response.output) {
        let text = "";
        if (item.type === "message") {
          text = (item.content || []).map((p) => p.text || p.refusal || "").join("");
        } else if (item.type === "function_call") {
          text = `${item.name}(${item.arguments})`;
        } else if (item.type === "reasoning") {
          text = (item.summary || []).map((p) => p.text).join("\n") || "[hidden reasoning]";
        }
        detail.append(el("div", { className: "msg assistant" }, [
          el("div", { className: "role", text: `${item.type} · ${item.status || response.status}` }),
          el("div", { className: "text", text }),
        ]));
      }
    } else if (response && typeof response.chunks === "number") {
      const sent = response.sent === null || response.sent === undefined ? response.chunks : response.sent;
      const cut = response.cut === undefined ? sent < response.chunks : response.cut;
      detail.append(el("p", { text: `Streamed: ${response.chunks} event(s) planned, ${sent} sent${cut ? " (cut short: the text below is what the client received)" : ""}.` }));
      for (const said of response.streamed || []) {
        const parts = [];
        if (said.reasoning_content) parts.push(`[reasoning] ${said.reasoning_content}`);
        if (said.content !== undefined && said.content !== null) parts.push(said.content);
        if (said.refusal) parts.push(`[refusal] ${said.refusal}`);
        detail.append(el("div", { className: "msg assistant streamed" }, [
          el("div", { className: "role", text: `assistant · choice ${said.index} · streamed${cut ? " until the cut" : ""}` }),
          el("div", { className: "text", text: parts.join("\n") || "(no text)" }),
        ]));
      }
    } else {
      detail.append(el("p", { className: "muted", text: entry.error ? "No answer body: an error was sent." : "No answer recorded." }));
    }

    const headers = (entry.info && entry.info.headers) || {};
    if (Object.keys(headers).length) {
      detail.append(el("h3", { text: "Headers (x-mockllm-*, x-stainless-*)" }), kv(Object.entries(headers)));
    }

    detail.append(el("details", {}, [
      el("summary", { text: "Raw journal entry" }),
      el("pre", { className: "raw", text: JSON.stringify(entry, null, 2) }),
    ]));
  }

  // ----- polling --------------------------------------------------------------------------------

  async function poll() {
    try {
      const page = await api(`/journal?since_seq=${state.lastSeq}&limit=500`);
      hideBanner();
      if (state.epoch !== null && page.epoch !== state.epoch) {
        // The journal was cleared or the server reset: start over.
        state.entries.clear();
        state.lastSeq = 0;
        state.selected = null;
        renderAll();
        renderDetail(null);
        state.epoch = page.epoch;
        return poll();
      }
      state.epoch = page.epoch;
      if (page.data.length) {
        addEntries(page.data);
        state.lastSeq = Math.max(state.lastSeq, ...page.data.map((e) => e.seq));
      }
      renderTotals(page.totals);
      if (state.pendingSelect !== null && state.entries.has(state.pendingSelect)) {
        select(state.pendingSelect);
        state.pendingSelect = null;
      }
      if (page.has_more) return poll();
    } catch (error) {
      if (String(error.message) !== "unauthorized") showBanner("Cannot reach the mockllm server: " + error.message, false);
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    if (!state.live) return;
    state.timer = setTimeout(async () => {
      await poll();
      schedule();
    }, POLL_MS);
  }

  async function loadInfo() {
    try {
      const config = await api("/config");
      const host = window.location.host;
      $("server-info").textContent = `v${config.version} · ${config.profile} · seed ${config.seed}${config.strict ? " · strict" : ""} · ${host}`;
      $("base-url").textContent = `${window.location.origin}/v1`;
    } catch (error) {
      $("server-info").textContent = "server info unavailable";
    }
  }

  function setLive(live) {
    state.live = live;
    $("toggle-live").classList.toggle("on", live);
    $("live-label").textContent = live ? "Live" : "Paused";
    if (live) poll().then(schedule);
    else clearTimeout(state.timer);
  }

  window.addEventListener("hashchange", () => {
    readHash();
    if (state.pendingSelect !== null && state.entries.has(state.pendingSelect)) {
      select(state.pendingSelect);
      state.pendingSelect = null;
    }
  });
  $("toggle-live").addEventListener("click", () => setLive(!state.live));
  $("clear").addEventListener("click", async () => {
    try {
      await api("/journal", { method: "DELETE" });
      await poll();
    } catch (error) { /* the banner says why */ }
  });
  $("filter").addEventListener("input", (event) => {
    state.filter = event.target.value.trim().toLowerCase();
    renderAll();
  });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token-input").value;
    try { sessionStorage.setItem("mockllm-admin-token", state.token); } catch (e) { /* ignore */ }
    hideBanner();
    loadInfo();
    poll();
  });

  loadInfo();
  setLive(true);
})();
