// The simulator's chat page: one person's Messenger conversation with the page, live.
// Reads /_sim/conversations/{psid}/stream (Server-Sent Events) and acts through the /_sim/ API:
// every message, quick-reply tap, button tap, reaction, reply, menu or ice-breaker tap, command
// and receipt becomes a signed webhook event.
"use strict";

const REACTIONS = ["\u2764\ufe0f", "\ud83d\ude06", "\ud83d\ude2e", "\ud83d\ude22", "\ud83d\ude20", "\ud83d\udc4d"];
const COLOURS = ["#e4405f", "#f77737", "#2d88ff", "#45bd62", "#a033ff", "#f02849", "#1b74e4"];
const $ = (id) => document.getElementById(id);

const state = {
  psid: null,
  source: null,
  snapshot: null,
  pending: [], // messages on their way to the webhook: {id, text}
  hiddenChipsFor: null, // the page message whose quick replies were just tapped
  delivering: false,
  reading: false,
  typingTimer: null,
  replyTo: null, // the item the next message quotes
};

// ----------------------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function safeUrl(url) {
  // Only the simulator's own files and http(s) links: never javascript: or data: URLs.
  if (typeof url !== "string") return null;
  if (url.startsWith("/_sim/") || /^https?:\/\//i.test(url)) return url;
  return null;
}

function colourOf(text) {
  let hash = 0;
  for (const ch of String(text)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return COLOURS[hash % COLOURS.length];
}

function initials(name) {
  const words = String(name || "?").trim().split(/\s+/);
  return ((words[0] || "?")[0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}

function avatar(name, extraClass = "") {
  return el("div", { class: `avatar ${extraClass}`, style: `background:${colourOf(name)}`, "aria-hidden": "true" }, initials(name));
}

function sizeText(bytes) {
  if (bytes === undefined || bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function clock(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
}

// A time, with its day when that is not the simulator's today ("Tue 8 Dec 00:14").
function when(epochSeconds, nowSeconds) {
  const date = new Date(epochSeconds * 1000);
  if (date.toDateString() === new Date(nowSeconds * 1000).toDateString()) return clock(epochSeconds);
  const day = date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
  return `${day} ${clock(epochSeconds)}`;
}

// What the person's 24-hour window is: none before they first write (as Home Assistant sees it).
function windowStatus(user, nowSeconds) {
  if (!user.window_open) return "closed";
  if (!user.wrote) return "no window yet";
  return `open until ${when(user.window_closes_at, nowSeconds)}`;
}

function duration(seconds) {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours ? `${hours} h ${minutes} min` : `${minutes} min`;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
  return data;
}

// ----------------------------------------------------------------------------- actions

function userPath(action) {
  return `/_sim/users/${encodeURIComponent(state.psid)}/${action}`;
}

async function act(action, body, shownText) {
  const pending = { id: `pending-${Date.now()}-${Math.random()}`, text: shownText };
  if (shownText) state.pending.push(pending);
  render();
  try {
    await api("POST", userPath(action), body);
  } catch (err) {
    showError(`Could not send: ${err.message}`);
  } finally {
    state.pending = state.pending.filter((p) => p !== pending);
    render();
  }
}

function say(text) {
  if (!text.trim() || !state.psid) return;
  const command = commandNamed(text.trim());
  if (state.replyTo) {
    const mid = state.replyTo.mid;
    setReplyTo(null);
    act("reply", { mid, text }, text);
  } else if (command) {
    act("command", { name: command.name }, text.trim());
  } else {
    act("say", { text }, text);
  }
}

function commandNamed(text) {
  const commands = (state.snapshot && state.snapshot.profile.commands) || [];
  return text.startsWith("/") ? commands.find((c) => `/${c.name}` === text) : undefined;
}

function setReplyTo(item) {
  state.replyTo = item;
  const bar = $("reply-bar");
  bar.hidden = !item;
  if (item) {
    const who = item.from === "page" ? state.snapshot.page.name : "yourself";
    $("reply-text").textContent = `Replying to ${who}: ${item.text || `[${item.kind}]`}`;
    $("text").focus();
  }
}

function tapMenuItem(item) {
  toggleMenu(false);
  if (item.type === "web_url") {
    if (safeUrl(item.url)) window.open(safeUrl(item.url), "_blank", "noopener");
    return;
  }
  act("menu", { title: item.title }, item.title);
}

function chooseCommand(command) {
  $("text").value = "";
  renderCommands();
  act("command", { name: command.name }, `/${command.name}`);
}

function tapQuickReply(item, reply) {
  state.hiddenChipsFor = item.id; // Messenger hides the chips as soon as one is tapped
  const title = reply.title || reply.payload || "";
  act("quick_reply", { title, payload: reply.payload ?? title }, title);
}

function tapPostback(button) {
  act("postback", { title: button.title, payload: button.payload }, button.title);
}

function react(item, emoji) {
  act("react", { mid: item.mid, emoji });
}

async function acknowledge() {
  // The person's Messenger: a delivery receipt for whatever arrived, a read receipt when seen.
  const snap = state.snapshot;
  if (!snap || !state.psid) return;
  const pagesItems = snap.items.filter((item) => item.from === "page");
  if (!state.delivering && pagesItems.some((item) => item.status === "sent")) {
    state.delivering = true;
    try { await api("POST", userPath("delivered")); } catch (err) { showError(err.message); }
    finally { state.delivering = false; }
  }
  const visible = document.visibilityState === "visible";
  if (!state.reading && visible && $("auto-read").checked && pagesItems.some((item) => item.status !== "read")) {
    state.reading = true;
    try { await api("POST", userPath("read")); } catch (err) { showError(err.message); }
    finally { state.reading = false; }
  }
}

function showError(text) {
  const box = $("messages");
  box.append(el("div", { class: "status-line failed", role: "alert" }, text));
  box.scrollTop = box.scrollHeight;
}

// ----------------------------------------------------------------------------- rendering

function renderPeople(snap) {
  const list = $("people");
  list.replaceChildren();
  for (const user of snap.users) {
    const current = user.psid === state.psid;
    const button = el("button", {
      class: "person", type: "button", "aria-current": current ? "true" : "false",
      "data-psid": user.psid, onclick: () => select(user.psid),
    },
    avatar(user.name),
    el("span", { class: "who" },
      el("div", { class: "name" }, user.name),
      el("div", { class: "last" }, user.last || "No messages yet"),
      el("div", { class: `window ${user.window_open && user.wrote ? "open" : "closed"}`, "data-testid": "window-status" },
        windowStatus(user, snap.now)),
      el("div", { class: "psid" }, `PSID ${user.psid}`)),
    user.unread && !current ? el("span", { class: "badge", title: "unread" }, user.unread) : null);
    list.append(el("li", {}, button));
  }
  const hook = $("webhook");
  const check = snap.verification;
  hook.className = "webhook " + (check ? (check.ok ? "ok" : "bad") : "");
  if (!snap.webhook_url) hook.textContent = "Webhook: no URL (start with --webhook-url)";
  else if (!check) hook.textContent = "Webhook: not verified yet";
  else if (check.ok) hook.textContent = "Webhook verified";
  else hook.textContent = `Webhook not verified (${check.status ? "HTTP " + check.status : "no answer"})`;
  hook.title = snap.webhook_url || "";
}

function renderHeader(snap) {
  $("page-name").textContent = snap.page.name;
  const pageAvatar = $("page-avatar");
  pageAvatar.textContent = initials(snap.page.name);
  pageAvatar.style.background = colourOf(snap.page.name);
  const subtitle = $("subtitle");
  subtitle.replaceChildren(`You are ${snap.user.name} \u00b7 `);
  if (snap.window_closes_in > 0 && !snap.user.wrote) {
    subtitle.append(el("span", { class: "closed" }, "no 24-hour window yet: write to open it"));
  } else if (snap.window_closes_in > 0) {
    subtitle.append(`24-hour window open, ${duration(snap.window_closes_in)} left`);
  } else {
    subtitle.append(el("span", { class: "closed" }, "24-hour window closed: write to open it"));
  }
  document.title = `${snap.user.name} \u2194 ${snap.page.name} \u00b7 Messenger simulator`;
}

function buttonNode(button) {
  if (button.type === "web_url" && safeUrl(button.url)) {
    return el("a", { class: "button", href: safeUrl(button.url), target: "_blank", rel: "noopener" }, button.title);
  }
  if (button.type === "phone_number") {
    return el("a", { class: "button", href: `tel:${button.payload || ""}` }, button.title);
  }
  if (button.type === "postback") {
    return el("button", { class: "button", type: "button", onclick: () => tapPostback(button) }, button.title);
  }
  return el("button", { class: "button", type: "button", disabled: true, title: button.type || "" }, button.title || button.type);
}

function mediaNode(item) {
  const url = safeUrl(item.url);
  if (!url) return el("div", { class: "bubble" }, `[${item.media_type}${item.attachment_id ? " " + item.attachment_id : ""}]`);
  if (item.media_type === "image") {
    return el("a", { class: "media", href: url, target: "_blank", rel: "noopener" },
      el("img", { src: url, alt: item.filename || "image" }));
  }
  if (item.media_type === "video") return el("div", { class: "media" }, el("video", { src: url, controls: true }));
  if (item.media_type === "audio") return el("div", { class: "media" }, el("audio", { src: url, controls: true }));
  return el("div", { class: "bubble" },
    el("a", { class: "file", href: url, target: "_blank", rel: "noopener" },
      el("span", {}, item.filename || "file", el("br"), el("span", { class: "size" }, sizeText(item.size)))));
}

function pictureNode(url, alt) {
  const safe = safeUrl(url);
  return safe ? el("img", { src: safe, alt, loading: "lazy" }) : el("span", { class: "missing" }, "[image]");
}

function albumNode(item) {
  return el("div", { class: "album", "data-testid": "album", "data-count": item.images.length },
    ...item.images.map((image, index) => pictureNode(image.url, `picture ${index + 1}`)));
}

function tapGridImage(item, index) {
  const image = item.images[index];
  const action = image.action;
  if (!action) return;
  if (action.type === "web_url" && safeUrl(action.url)) {
    window.open(safeUrl(action.url), "_blank", "noopener");
    return;
  }
  act("grid_tap", { mid: item.mid, index }, action.text);
}

function gridNode(item) {
  const order = item.images.map((image, index) => ({ image, index }))
    .sort((a, b) => Number(b.image.hero) - Number(a.image.hero));
  const cells = order.map(({ image, index }) => {
    const tappable = image.action && (image.action.type === "postback" || safeUrl(image.action.url));
    const label = image.action ? (image.action.text || image.action.url || "") : "";
    return el(tappable ? "button" : "div", {
      class: `grid-cell${image.hero ? " hero" : ""}`, type: tappable ? "button" : null,
      title: label, "aria-label": label || `picture ${index + 1}`, "data-testid": "grid-cell",
      onclick: tappable ? () => tapGridImage(item, index) : null,
    }, pictureNode(image.url, label || `picture ${index + 1}`),
    label ? el("span", { class: "grid-label" }, label) : null);
  });
  return el("div", { class: "card grid-card", "data-testid": "grid" },
    el("div", { class: `image-grid n${item.images.length}` }, ...cells),
    item.title ? el("div", { class: "card-title" }, item.title) : null,
    item.subtitle ? el("div", { class: "card-subtitle" }, item.subtitle) : null,
    ...item.buttons.map(buttonNode));
}

function contentNode(item) {
  switch (item.kind) {
    case "media":
      return mediaNode(item);
    case "album":
      return albumNode(item);
    case "grid":
      return gridNode(item);
    case "buttons":
      return el("div", { class: "card" }, el("div", { class: "card-text" }, item.text || ""), ...item.buttons.map(buttonNode));
    case "generic":
      return el("div", { class: "carousel" }, ...item.elements.map((element) => el("div", { class: "card" },
        safeUrl(element.image_url) ? el("img", { src: safeUrl(element.image_url), alt: "" }) : null,
        el("div", { class: "card-title" }, element.title || ""),
        element.subtitle ? el("div", { class: "card-subtitle" }, element.subtitle) : null,
        ...element.buttons.map(buttonNode))));
    case "utility":
      return el("div", { class: "card utility", "data-testid": "utility-card" },
        item.header ? el("div", { class: "card-title" }, item.header) : null,
        el("div", { class: "card-text" }, item.text || ""),
        ...item.buttons.map(buttonNode),
        el("span", { class: "utility-label", "data-testid": "utility-label" }, "Utility"));
    case "template":
    case "unknown":
      return el("div", { class: "bubble raw" }, JSON.stringify(item.raw, null, 1));
    case "sticker":
      return el("div", { class: "bubble" }, item.sticker_id === 369239263222822 ? "(like)" : `[sticker ${item.sticker_id}]`);
    default:
      return el("div", { class: "bubble" }, item.text ?? "");
  }
}

const RECEIPTS = {
  sent: ["\u25cb", "Sent to you; your Messenger has not acknowledged it yet"],
  delivered: ["\u2713", "Delivery receipt sent to the webhook"],
  read: ["\u2713\u2713", "Read receipt sent to the webhook"],
};

function quoteNode(item) {
  const quote = item.quote;
  if (!quote) return null;
  const who = quote.from === "page" ? state.snapshot.page.name : quote.from === "user" ? state.snapshot.user.name : "a message";
  return el("div", { class: "quote", "data-testid": "quote", "data-mid": quote.mid },
    el("span", { class: "quote-who" }, `Replying to ${who}`),
    el("span", { class: "quote-text" }, quote.text || "[message]"));
}

function replyButton(item) {
  if (!item.mid) return null;
  return el("button", {
    class: "reply-button", type: "button", title: "Reply", "aria-label": "Reply", "data-testid": "reply-button",
    onclick: () => setReplyTo(item),
  }, "\u21a9");
}

function pageRow(item) {
  const [mark, title] = RECEIPTS[item.status] || ["", ""];
  const bubble = contentNode(item);
  if (item.reaction) {
    bubble.append(el("span", { class: "reaction", title: "your reaction" }, item.reaction));
  }
  const when = new Date(item.time * 1000).toLocaleTimeString();
  const reactButton = item.mid ? el("button", {
    class: "react-button", type: "button", title: "React", "aria-label": "React", "data-testid": "react-button",
    onclick: (event) => openReactions(event, item),
  }, "\u263a") : null;
  return el("div", {
    class: "row page", "data-id": item.id, "data-status": item.status, "data-mid": item.mid || null,
    title: `${when} \u00b7 ${item.messaging_type || ""}${item.tag ? " " + item.tag : ""}`,
  },
  avatar(state.snapshot.page.name, "mini-avatar"),
  el("div", { class: "stack" }, quoteNode(item), bubble),
  el("span", { class: `receipt ${item.status}`, title, "aria-label": item.status }, mark),
  reactButton,
  replyButton(item));
}

function userAttachmentNode(attachment) {
  const url = safeUrl(attachment.url);
  if (!url) return el("span", {}, `[${attachment.type}]`);
  if (attachment.type === "image") return el("img", { class: "sent-picture", src: url, alt: "your picture" });
  if (attachment.type === "audio") return el("audio", { class: "voice-note", src: url, controls: true, "data-testid": "voice-note" });
  if (attachment.type === "video") return el("video", { src: url, controls: true });
  return el("a", { class: "file", href: url, target: "_blank", rel: "noopener" }, "file");
}

function userRow(item) {
  const text = item.text ?? "";
  const bubble = el("div", { class: "bubble" }, text);
  for (const attachment of item.attachments || []) bubble.append(userAttachmentNode(attachment));
  if (item.kind !== "message" && item.payload) {
    bubble.append(el("span", { class: "payload" }, `${item.kind === "postback" ? "button" : "quick reply"} \u00b7 ${item.payload}`));
  }
  if (item.reaction) {
    bubble.append(el("span", { class: "reaction page-reaction", title: "the page's reaction", "data-testid": "page-reaction" }, item.reaction));
  }
  const stack = el("div", { class: "stack" }, quoteNode(item), bubble);
  if (item.status === "failed") {
    const why = item.webhook_status ? `Home Assistant answered ${item.webhook_status}` : "no answer from the webhook";
    const answer = item.webhook_answer ? `: ${item.webhook_answer}` : "";
    stack.append(el("div", { class: "status-line failed", role: "alert" }, `Not delivered (${why}${answer})`));
  }
  return el("div", {
    class: `row user${item.status === "failed" ? " failed" : ""}`, "data-id": item.id, "data-status": item.status,
    "data-mid": item.mid || null, title: new Date(item.time * 1000).toLocaleTimeString(),
  }, replyButton(item), stack);
}

function openReactions(event, item) {
  event.stopPropagation();
  closeReactions();
  const menu = el("div", { class: "react-menu", id: "react-menu", role: "menu", "data-testid": "react-menu" },
    ...REACTIONS.map((emoji) => el("button", {
      type: "button", role: "menuitem", "data-testid": "react-option",
      onclick: () => { closeReactions(); react(item, emoji); },
    }, emoji)));
  const box = event.currentTarget.getBoundingClientRect();
  menu.style.left = `${box.left}px`;
  menu.style.top = `${box.top - 44}px`;
  document.body.append(menu);
}

function closeReactions() {
  const menu = $("react-menu");
  if (menu) menu.remove();
}

function renderMessages(snap) {
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.replaceChildren();
  const rows = [];
  for (const item of snap.items) rows.push({ from: item.from, node: item.from === "page" ? pageRow(item) : userRow(item) });
  for (const pending of state.pending) {
    rows.push({
      from: "user",
      node: el("div", { class: "row user pending", "data-status": "sending" },
        el("div", { class: "stack" }, el("div", { class: "bubble" }, pending.text))),
    });
  }
  if (snap.typing_for) {
    rows.push({
      from: "page",
      node: el("div", { class: "row page typing", "aria-label": "typing" },
        avatar(snap.page.name, "mini-avatar"),
        el("div", { class: "bubble" }, el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }))),
    });
  }
  rows.forEach((row, index) => {
    if (index === 0 || rows[index - 1].from !== row.from) row.node.classList.add("first-of-group");
    if (index === rows.length - 1 || rows[index + 1].from !== row.from) row.node.classList.add("last-of-group");
    box.append(row.node);
  });
  const lastUser = [...snap.items].reverse().find((item) => item.from === "user");
  if (lastUser && lastUser.status !== "failed" && !state.pending.length) {
    const node = box.querySelector(`[data-id="${CSS.escape(lastUser.id)}"] .stack`);
    if (node) node.append(el("div", { class: "status-line" }, lastUser.status === "seen" ? "Seen" : "Sent"));
  }
  if (!rows.length) box.append(emptyNode(snap));
  if (nearBottom || state.pending.length) box.scrollTop = box.scrollHeight;
  clearTimeout(state.typingTimer);
  if (snap.typing_for) state.typingTimer = setTimeout(() => { snap.typing_for = null; render(); }, snap.typing_for * 1000);
}

function emptyNode(snap) {
  const profile = snap.profile;
  return el("div", { class: "empty" },
    el("p", {}, `No messages between ${snap.user.name} and ${snap.page.name} yet.`),
    profile.ice_breakers.length ? el("div", { class: "ice-breakers" },
      ...profile.ice_breakers.map((question) => el("button", {
        class: "chip", type: "button", "data-testid": "ice-breaker",
        onclick: () => act("ice_breaker", { question }, question),
      }, question))) : null,
    profile.get_started ? el("button", {
      class: "get-started", type: "button", "data-testid": "get-started",
      onclick: () => act("get_started", {}, "Get Started"),
    }, "Get Started") : null,
    el("p", {}, "Say hi, or ask the page for your Messenger ID:"),
    el("div", { class: "suggestions" },
      el("button", { class: "chip", type: "button", onclick: () => say("get my id") }, "get my id"),
      el("button", { class: "chip", type: "button", onclick: () => say("hi") }, "hi")));
}

function renderMenu(snap) {
  const items = snap.profile.menu;
  const button = $("menu-button");
  button.hidden = !items.length;
  const panel = $("menu-panel");
  panel.replaceChildren(...items.map((item) => el("button", {
    class: "menu-item", type: "button", role: "menuitem", "data-testid": "menu-item",
    "data-type": item.type, onclick: () => tapMenuItem(item),
  }, item.title, item.type === "web_url" ? el("span", { class: "menu-link" }, " \u2197") : null)));
  if (!items.length) toggleMenu(false);
}

function toggleMenu(open) {
  const panel = $("menu-panel");
  panel.hidden = !open;
  $("menu-button").setAttribute("aria-expanded", open ? "true" : "false");
}

function renderCommands() {
  const list = $("command-list");
  const typed = $("text").value;
  const commands = (state.snapshot && state.snapshot.profile.commands) || [];
  const shown = typed.startsWith("/") ? commands.filter((c) => `/${c.name}`.startsWith(typed.split(" ")[0])) : [];
  list.hidden = !shown.length;
  list.replaceChildren(...shown.map((command) => el("button", {
    class: "command-item", type: "button", role: "option", "data-testid": "command-item",
    onclick: () => chooseCommand(command),
  }, el("span", { class: "command-name" }, `/${command.name}`), el("span", { class: "command-description" }, command.description))));
}

function renderQuickReplies(snap) {
  const row = $("quick-replies");
  row.replaceChildren();
  const last = snap.items[snap.items.length - 1];
  if (!last || last.from !== "page" || state.hiddenChipsFor === last.id || state.pending.length) return;
  for (const reply of snap.quick_replies) {
    let title = reply.title;
    if (reply.content_type === "user_phone_number") title = snap.user.phone || "+1 555 0100";
    if (reply.content_type === "user_email") title = `${snap.user.name.toLowerCase().replace(/\W+/g, ".")}@example.com`;
    const chosen = reply.content_type && reply.content_type !== "text" ? { title, payload: title } : reply;
    row.append(el("button", { class: "chip", type: "button", onclick: () => tapQuickReply(last, chosen) },
      safeUrl(reply.image_url) ? el("img", { src: safeUrl(reply.image_url), alt: "" }) : null, title));
  }
}

function render() {
  const snap = state.snapshot;
  if (!snap) return;
  renderPeople(snap);
  renderHeader(snap);
  renderMessages(snap);
  renderQuickReplies(snap);
  renderMenu(snap);
  renderCommands();
}

// ----------------------------------------------------------------------------- wiring

function select(psid) {
  if (state.source) state.source.close();
  state.psid = psid;
  state.snapshot = null;
  state.pending = [];
  state.hiddenChipsFor = null;
  setReplyTo(null);
  if (location.hash !== `#${psid}`) history.replaceState(null, "", `#${psid}`);
  const source = new EventSource(`/_sim/conversations/${encodeURIComponent(psid)}/stream`);
  source.onmessage = (event) => {
    if (state.psid !== psid) return;
    state.snapshot = JSON.parse(event.data);
    const last = state.snapshot.items[state.snapshot.items.length - 1];
    if (state.hiddenChipsFor && (!last || last.id !== state.hiddenChipsFor)) state.hiddenChipsFor = null;
    render();
    acknowledge();
  };
  source.onerror = () => { $("subtitle").textContent = "Reconnecting to the simulator..."; };
  state.source = source;
  $("text").focus();
}

// ----------------------------------------------------------------------------- photos and voice

function kindOf(file) {
  const type = (file.type || "").split("/")[0];
  return ["image", "audio", "video"].includes(type) ? type : "file";
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function sendFile(file, kind = kindOf(file)) {
  if (!state.psid || !file) return;
  const data = await base64Of(file);
  const shown = kind === "audio" ? "[voice note]" : `[${kind}]`;
  act("attachment", { type: kind, content_type: file.type || "application/octet-stream", data, name: file.name || kind }, shown);
}

const recording = { recorder: null, chunks: [] };

async function toggleRecording() {
  const button = $("record-button");
  if (recording.recorder) {
    recording.recorder.stop();
    return;
  }
  let stream;
  try {
    // The sound as the microphone gives it (no gain control or noise suppression in between).
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  } catch (err) {
    showError(`No microphone: ${err.message}`);
    return;
  }
  const type = ["audio/mp4", "audio/webm"].find((t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t)) || "";
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  recording.recorder = recorder;
  recording.chunks = [];
  recorder.ondataavailable = (event) => { if (event.data.size) recording.chunks.push(event.data); };
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(recording.chunks, { type: recorder.mimeType || "audio/webm" });
    recording.recorder = null;
    button.classList.remove("recording");
    button.setAttribute("aria-pressed", "false");
    const ext = blob.type.includes("mp4") ? "mp4" : "webm";
    sendFile(new File([blob], `audioclip.${ext}`, { type: blob.type.split(";")[0] }), "audio");
  };
  recorder.start();
  button.classList.add("recording");
  button.setAttribute("aria-pressed", "true");
}

async function start() {
  $("attach-input").addEventListener("change", (event) => {
    for (const file of event.target.files) sendFile(file);
    event.target.value = "";
  });
  $("attach-button").addEventListener("click", () => $("attach-input").click());
  $("record-button").addEventListener("click", toggleRecording);
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    say(input.value);
    input.value = "";
  });
  $("add-person").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("new-name").value.trim();
    if (!name) return;
    let psid = String(1 + Math.floor(Math.random() * 9));
    while (psid.length < 16) psid += String(Math.floor(Math.random() * 10));
    const page = state.snapshot ? state.snapshot.page.page_id : undefined;
    try {
      await api("POST", "/_sim/users", { psid, name, page_id: page });
      $("new-name").value = "";
      select(psid);
    } catch (err) { showError(err.message); }
  });
  $("text").addEventListener("input", renderCommands);
  $("reply-cancel").addEventListener("click", () => setReplyTo(null));
  $("menu-button").addEventListener("click", (event) => {
    event.stopPropagation();
    toggleMenu($("menu-panel").hidden);
  });
  document.addEventListener("click", (event) => {
    if (!$("menu-panel").contains(event.target)) toggleMenu(false);
  });
  document.addEventListener("visibilitychange", acknowledge);
  $("auto-read").addEventListener("change", acknowledge);
  document.addEventListener("click", closeReactions);
  const people = (await api("GET", "/_sim/conversations")).data;
  const wanted = decodeURIComponent(location.hash.slice(1));
  const chosen = people.find((user) => user.psid === wanted) || people[0];
  if (chosen) select(chosen.psid);
  else $("subtitle").textContent = "The simulator has no people: add one on the left.";
}

window.addEventListener("hashchange", () => {
  const psid = decodeURIComponent(location.hash.slice(1));
  if (psid && psid !== state.psid) select(psid);
});
start();
