/**
 * Browser code, part 1: DOM and number helpers, the small SVG plots, and the live
 * feed (EventSource: a snapshot, then one update per server tick). Plain ES2019 in
 * a string (no template literals inside, so no escaping), run by any phone browser;
 * `app-js.ts` wraps the parts in one function scope. Text reaches the DOM only as
 * textContent, never as HTML, so a device's error message cannot inject markup.
 */
// biome-ignore lint/complexity/noUselessStringRaw: raw, so any escape in the browser code reaches the browser as written.
export const CLIENT_CORE = String.raw`
var SVG_NS = 'http://www.w3.org/2000/svg';
var UNITS = { Cel: '°C', '1': '', '%': '%' };

function $(id) { return document.getElementById(id); }

function h(tag, attrs, children) {
  var el = document.createElement(tag);
  setAttrs(el, attrs);
  (children || []).forEach(function (c) {
    if (c !== null && c !== undefined) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  });
  return el;
}

function s(tag, attrs) {
  var el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  return el;
}

function setAttrs(el, attrs) {
  Object.keys(attrs || {}).forEach(function (k) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  });
}

function unit(u) { return Object.prototype.hasOwnProperty.call(UNITS, u) ? UNITS[u] : u; }

/** Decimals shown: a reading's precision, not float noise. */
function digits(v) {
  var a = Math.abs(v);
  return a >= 1000 || Number.isInteger(v) ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3;
}

function num(v) {
  if (v === null || v === undefined) return '—';
  return v.toFixed(digits(v));
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' kB';
  return (n / 1048576).toFixed(1) + ' MB';
}

function clock(t) {
  if (!t) return '—';
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

function duration(ms) {
  var sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 90) return sec + ' s';
  if (sec < 5400) return Math.round(sec / 60) + ' min';
  if (sec < 172800) return (sec / 3600).toFixed(1) + ' h';
  return Math.round(sec / 86400) + ' d';
}

function ago(t, now) { return t ? duration(now - t) + ' ago' : 'never'; }

/** Keeps one point per bucket (the latest) and only the plotted window, as the server does. */
function addPoint(series, t, v) {
  var last = series[series.length - 1];
  if (last && Math.floor(last[0] / state.bucketMs) === Math.floor(t / state.bucketMs)) series[series.length - 1] = [t, v];
  else series.push([t, v]);
  while (series.length && series[0][0] < t - state.windowMs) series.shift();
}

/**
 * A line over the plotted window, gaps where samples were bad. A channel that only
 * ever reads 0 or 1 (a door switch) is drawn in steps: a slope would show a door
 * half open. Returns the min, max and time span drawn, for the label under it.
 */
function drawSpark(svg, series, now) {
  var W = 300, H = 48, PAD = 4;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  svg.setAttribute('preserveAspectRatio', 'none');
  var values = series.filter(function (p) { return p[1] !== null; }).map(function (p) { return p[1]; });
  svg.appendChild(s('line', { class: 'spark-base', x1: 0, x2: W, y1: H - 1, y2: H - 1 }));
  if (values.length === 0) return null;
  var min = Math.min.apply(null, values), max = Math.max.apply(null, values);
  var steps = values.every(function (v) { return v === 0 || v === 1; });
  // Never magnify changes below what the number shows (ten of its last digit): noise under it draws flat.
  // A 0/1 channel uses the full height, so open and shut are as far apart as they can be.
  var span = steps ? 1 : Math.max(max - min, 10 * Math.pow(10, -digits(max)));
  var lo = steps ? 0 : (min + max) / 2 - span / 2;
  // A young node plots what it has across the width (at least a minute), not a sliver at the right.
  var spanMs = Math.max(60000, Math.min(state.windowMs, now - series[0][0]));
  var x = function (t) { return ((t - (now - spanMs)) / spanMs) * W; };
  var y = function (v) { return H - PAD - ((v - lo) / span) * (H - 2 * PAD); };
  var d = '', prev = null, lastPoint = null;
  series.forEach(function (p) {
    if (p[1] === null) { prev = null; return; }
    var px = Math.max(0, x(p[0])).toFixed(1), py = y(p[1]).toFixed(1);
    if (prev === null) d += 'M' + px + ' ' + py;
    else if (steps) d += 'H' + px + 'V' + py;
    else d += 'L' + px + ' ' + py;
    prev = p;
    lastPoint = [px, py];
  });
  if (d) svg.appendChild(s('path', { class: 'spark-line', d: d }));
  if (lastPoint) svg.appendChild(s('circle', { class: 'spark-last', cx: lastPoint[0], cy: lastPoint[1], r: 2.5 }));
  return { min: min, max: max, spanMs: spanMs };
}

var state = {
  status: null,
  history: new Map(),
  backlog: [],
  windowMs: 600000,
  bucketMs: 2000,
  events: [],
  replies: [],
  skippedEvents: 0,
  lastMessageAt: 0,
  connected: false
};

function prependNewest(list, items, max) {
  for (var i = 0; i < items.length; i++) list.unshift(items[i]);
  if (list.length > max) list.length = max;
}

function onSnapshot(data) {
  state.windowMs = data.historyWindowMs;
  state.bucketMs = data.historyBucketMs;
  state.history = new Map(Object.keys(data.history).map(function (k) { return [k, data.history[k]]; }));
  state.events = [];
  state.replies = [];
  prependNewest(state.events, data.events, 50);
  prependNewest(state.replies, data.replies, 20);
  applyStatus(data.status);
}

function onUpdate(data) {
  data.samples.forEach(function (sample) {
    var key = sample.d + '/' + sample.c;
    if (!state.history.has(key)) state.history.set(key, []);
    addPoint(state.history.get(key), sample.t, sample.v);
  });
  prependNewest(state.events, data.events, 50);
  prependNewest(state.replies, data.replies, 20);
  state.skippedEvents += data.skippedEvents;
  applyStatus(data.status);
}

function applyStatus(status) {
  state.status = status;
  state.lastMessageAt = Date.now();
  if (status.outbox) addPoint(state.backlog, status.now, status.outbox.backlogMessages);
  render();
}

function connect() {
  var source = new EventSource('api/stream');
  source.addEventListener('snapshot', function (e) { state.connected = true; onSnapshot(JSON.parse(e.data)); });
  source.addEventListener('update', function (e) { onUpdate(JSON.parse(e.data)); });
  source.onopen = function () { state.connected = true; renderFeed(); };
  // EventSource reconnects by itself (after the server's retry delay) and then gets a fresh snapshot.
  source.onerror = function () { state.connected = false; renderFeed(); };
}

/** Marks the page stale when updates stop, so nobody trusts a frozen value. */
function renderFeed() {
  var quietMs = state.lastMessageAt ? Date.now() - state.lastMessageAt : 0;
  var live = state.connected && quietMs < 5000;
  var feed = $('feed');
  feed.className = 'feed ' + (live ? 'live' : state.lastMessageAt ? 'down' : '');
  $('feed-text').textContent = live
    ? 'live'
    : state.lastMessageAt
      ? 'no updates for ' + duration(quietMs) + ': values are stale'
      : 'connecting…';
  document.body.classList.toggle('stale', !live && state.lastMessageAt > 0);
  document.body.classList.remove('connecting');
}

function post(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body)
  }).then(function (res) {
    return res.json().then(function (json) { return json; }, function () {
      return { ok: false, error: { code: String(res.status), message: res.statusText } };
    });
  }, function (err) {
    return { ok: false, error: { code: 'network', message: String(err) } };
  });
}
`;
