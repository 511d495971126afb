/**
 * Browser code, part 2: drawing the status document. Cards for devices and
 * actuators are built once per id and then only updated, so a value typed into a
 * set field survives the once-a-second redraw; the short lists are redrawn whole.
 */
export const CLIENT_RENDER = String.raw`
var STATE_WORDS = { ok: 'ALL OK', warn: 'ATTENTION', fail: 'FAULT' };
var cards = { devices: new Map(), actuators: new Map() };

function render() {
  var st = state.status;
  if (!st) return;
  renderHeader(st);
  renderTiles(st);
  renderDevices(st);
  renderActuators(st);
  renderInterlocks(st);
  renderModelsAndPlan(st);
  renderLog($('events'), state.events, eventRow, 'no events yet');
  renderLog($('replies'), state.replies, replyRow, 'no command replies yet');
  renderFeed();
  $('foot').textContent = 'boot ' + st.bootId + ' · clock ' + (st.clock.synced ? 'synchronised' : 'NOT synchronised') +
    ' · node time ' + clock(st.now) + (state.skippedEvents ? ' · ' + state.skippedEvents + ' events not shown (burst)' : '');
}

function renderHeader(st) {
  document.title = st.node.id + ': ' + STATE_WORDS[st.health.state] + ' · benchloop';
  $('top').className = 'top state-' + st.health.state;
  $('node-name').textContent = st.node.site + ' / ' + st.node.id;
  $('node-meta').textContent = ['benchloop ' + st.version, 'up ' + duration(st.uptimeMs),
    st.simulated ? 'simulated hardware' : null, st.node.description || null].filter(Boolean).join(' · ');
  var pill = $('overall');
  pill.className = 'pill ' + st.health.state;
  pill.textContent = STATE_WORDS[st.health.state];
  var items = st.health.ready.reasons.map(function (r) { return h('li', { class: 'fail', text: r }); })
    .concat(st.health.warnings.map(function (w) { return h('li', { class: 'warn', text: w }); }));
  $('reasons').replaceChildren.apply($('reasons'), items);
}

/** Detail lines stay one line each, the full text on hover: the reasons above the tiles say it at length. */
function tile(id, label, value, cls, lines, extra) {
  var el = $(id);
  el.className = 'tile ' + cls;
  el.replaceChildren(h('div', { class: 'tile-label', text: label }), value);
  lines.forEach(function (line) {
    if (line) el.appendChild(h('div', { class: 'tile-line', title: line, text: line }));
  });
  if (extra) el.appendChild(extra);
}

function renderTiles(st) {
  var link = st.link;
  if (!link) {
    tile('tile-link', 'Broker link', h('div', { class: 'tile-value', id: 'link-state', text: 'not configured' }), 'idle',
      ['standalone: no broker in the config']);
  } else {
    var up = link.state === 'online';
    var word = up ? 'online' : link.state === 'connecting' ? 'connecting' : 'DOWN';
    tile('tile-link', 'Broker link', h('div', { class: 'tile-value', id: 'link-state', 'data-state': link.state, text: word }),
      up ? 'ok' : 'fail', [link.broker, 'session ' + link.session + ' · ' + link.reconnects + ' reconnects',
        'last connect ' + clock(link.lastConnectAt) + (up ? '' : ' · down since ' + clock(link.lastDisconnectAt)),
        up ? null : link.lastError]);
  }
  var box = st.outbox;
  if (!box) {
    tile('tile-outbox', 'Outbox', h('div', { class: 'tile-value', text: '—' }), 'idle', ['no broker, no outbox']);
  } else {
    var backlog = h('div', { class: 'tile-value', id: 'outbox-backlog', 'data-value': box.backlogMessages,
      text: box.backlogMessages + ' waiting' });
    var plot = s('svg', { class: 'backlog-plot', 'aria-hidden': 'true' });
    drawSpark(plot, state.backlog, st.now);
    var cls = box.dropped > 0 ? 'fail' : box.backlogMessages > 0 && !(st.link && st.link.state === 'online') ? 'warn' : 'ok';
    tile('tile-outbox', 'Outbox backlog', backlog, cls, [bytes(box.backlogBytes) + ' · ' + box.backlogItems + ' items',
      'dropped ' + box.dropped + (box.published ? ' · published ' + sum(box.published) : '')], plot);
  }
  var failing = st.devices.filter(function (d) { return !d.ok; }).length;
  tile('tile-devices', 'Devices', h('div', { class: 'tile-value', text: (st.devices.length - failing) + ' / ' + st.devices.length + ' reading' }),
    st.devices.length === 0 ? 'idle' : failing ? 'fail' : 'ok', [failing ? failing + ' failing' : 'all reading']);
  var tripped = st.interlocks.filter(function (i) { return i.tripped; });
  tile('tile-interlocks', 'Interlocks', h('div', { class: 'tile-value', id: 'interlocks-state',
    text: tripped.length ? tripped.length + ' TRIPPED' : st.interlocks.length ? 'all clear' : 'none' }),
    tripped.length ? 'warn' : st.interlocks.length ? 'ok' : 'idle', tripped.map(function (i) { return i.id + ': ' + (i.reason || i.condition); }));
}

function sum(record) { return Object.keys(record).reduce(function (n, k) { return n + record[k]; }, 0); }

/** Replaces the container's cards when the set of ids changed (a new config); otherwise keeps them. */
function keyed(container, map, items, build) {
  var ids = items.map(function (i) { return i.id; }).join('\n');
  if (container.dataset.ids !== ids) {
    map.clear();
    container.replaceChildren();
    items.forEach(function (item) { var card = build(item); map.set(item.id, card); container.appendChild(card.root); });
    container.dataset.ids = ids;
    if (items.length === 0) container.appendChild(h('p', { class: 'none', text: 'none configured' }));
  }
  return items.map(function (item) { return [item, map.get(item.id)]; });
}

function buildDevice(d) {
  var parts = { channels: new Map() };
  var root = h('article', { class: 'card device', 'data-device': d.id });
  parts.badge = h('span', { class: 'badge' });
  root.appendChild(h('header', null, [h('h3', { text: d.id }), h('span', { class: 'type', text: d.type }), parts.badge]));
  d.channels.forEach(function (c) {
    var ch = { value: h('span', { class: 'num', 'data-channel': d.id + '/' + c.id }), range: h('div', { class: 'ch-range' }),
      error: h('div', { class: 'ch-error' }), plot: s('svg', { 'aria-hidden': 'true' }) };
    ch.root = h('div', { class: 'channel' }, [h('div', { class: 'ch-name', text: c.id }),
      h('div', { class: 'ch-value' }, [ch.value, h('span', { class: 'unit', text: unit(c.unit) })]), ch.plot, ch.range, ch.error]);
    parts.channels.set(c.id, ch);
    root.appendChild(ch.root);
  });
  parts.foot = h('div', { class: 'dev-foot' });
  root.appendChild(parts.foot);
  if (state.status.control.local) {
    var result = h('div', { class: 'result' });
    var button = h('button', { type: 'button', text: 'Read now' });
    button.addEventListener('click', function () {
      button.disabled = true;
      post('api/read', { device: d.id }).then(function (r) {
        button.disabled = false;
        result.className = 'result ' + (r.ok ? 'okay' : 'error');
        result.textContent = r.ok
          ? 'read at ' + clock(Date.now()) + ': ' + r.result.samples.map(function (x) { return x.c + ' ' + (x.v === null ? 'BAD' : num(x.v)); }).join(', ')
          : 'refused (' + r.error.code + '): ' + r.error.message;
      });
    });
    root.appendChild(h('div', { class: 'control' }, [button]));
    root.appendChild(result);
  }
  return { root: root, parts: parts };
}

function renderDevices(st) {
  keyed($('devices'), cards.devices, st.devices, buildDevice).forEach(function (pair) {
    var d = pair[0], p = pair[1].parts;
    p.badge.className = 'badge ' + (d.ok ? 'ok' : d.reads === 0 ? 'idle' : 'fail');
    p.badge.textContent = d.ok ? 'reading' : d.reads === 0 ? 'starting' : 'FAILING';
    d.channels.forEach(function (c) {
      var ch = p.channels.get(c.id);
      if (!ch) return;
      var bad = c.latest && c.latest.v === null;
      ch.root.className = 'channel' + (bad ? ' bad' : '');
      ch.value.textContent = !c.latest ? '—' : bad ? 'BAD' : num(c.latest.v);
      ch.error.textContent = c.latest && c.latest.e ? c.latest.e : '';
      var drawn = drawSpark(ch.plot, state.history.get(d.id + '/' + c.id) || [], st.now);
      ch.range.textContent = drawn ? 'last ' + duration(drawn.spanMs) + ': min ' + num(drawn.min) + ' · max ' + num(drawn.max) : 'no values yet';
    });
    p.foot.textContent = d.reads + ' reads · ' + d.failures + ' errors · ' + d.overruns + ' overruns · last good ' + ago(d.lastGoodMs, st.now) +
      (d.ok || !d.lastError ? '' : ' · ' + d.lastError);
  });
}

function buildActuator(a) {
  var parts = { value: h('span', { class: 'num', 'data-actuator': a.id }), badge: h('span', { class: 'badge' }),
    meter: s('svg', { class: 'meter', viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' }), envelope: h('div', { class: 'envelope' }) };
  var e = a.envelope;
  parts.envelope.textContent = 'envelope: ' + num(e.min) + ' … ' + num(e.max) + ' · safe ' + num(e.safe) +
    (e.maxStep !== null ? ' · step ≤ ' + num(e.maxStep) : '') + (e.maxRatePerS !== null ? ' · rate ≤ ' + num(e.maxRatePerS) + '/s' : '');
  var root = h('article', { class: 'card actuator', 'data-actuator-card': a.id }, [
    h('header', null, [h('h3', { text: a.id }), h('span', { class: 'type', text: a.type }), parts.badge]),
    h('div', { class: 'act-value' }, [parts.value]), parts.meter, parts.envelope]);
  if (state.status.control.local) {
    var input = h('input', { type: 'number', step: 'any', min: e.min, max: e.max, 'aria-label': 'new value for ' + a.id, placeholder: num(e.min) + ' … ' + num(e.max) });
    var button = h('button', { type: 'submit', text: 'Set' });
    var result = h('div', { class: 'result', 'data-result': a.id });
    var form = h('form', { class: 'control' }, [input, button]);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (input.value === '') return;
      button.disabled = true;
      post('api/actuators/' + encodeURIComponent(a.id), { value: Number(input.value) }).then(function (r) {
        button.disabled = false;
        result.className = 'result ' + (r.ok ? 'okay' : 'error');
        result.textContent = r.ok ? 'set to ' + num(r.result.value) + ' (was ' + num(r.result.previous) + ')'
          : 'refused (' + r.error.code + '): ' + r.error.message;
      });
    });
    root.appendChild(form);
    root.appendChild(result);
  }
  return { root: root, parts: parts };
}

function renderActuators(st) {
  keyed($('actuators'), cards.actuators, st.actuators, buildActuator).forEach(function (pair) {
    var a = pair[0], p = pair[1].parts, e = a.envelope;
    var held = a.heldBy.length > 0;
    p.value.textContent = num(a.value);
    p.badge.className = 'badge ' + (held ? 'warn' : a.value === e.safe ? 'idle' : 'ok');
    p.badge.textContent = held ? 'held by ' + a.heldBy.join(', ') : a.value === e.safe ? 'at safe value' : 'active';
    var span = e.max - e.min || 1;
    var pos = function (v) { return Math.min(100, Math.max(0, ((v - e.min) / span) * 100)); };
    p.meter.replaceChildren(s('rect', { class: 'meter-track', x: 0, y: 0, width: 100, height: 10 }),
      s('rect', { class: 'meter-bar', x: 0, y: 0, width: pos(a.value), height: 10 }),
      s('line', { class: 'meter-safe', x1: pos(e.safe), x2: pos(e.safe), y1: 0, y2: 10 }));
  });
}

function listOrNone(el, items, none) {
  el.replaceChildren.apply(el, items.length ? items : [h('li', { class: 'none', text: none })]);
}

function renderInterlocks(st) {
  listOrNone($('interlocks'), st.interlocks.map(function (i) {
    return h('li', { 'data-interlock': i.id }, [h('span', { class: 'state ' + (i.tripped ? 'fail' : 'ok'), text: i.tripped ? 'TRIPPED' : 'clear' }),
      h('strong', { text: i.id }), h('span', { class: 'ev-detail', text: i.condition + (i.tripped && i.reason && i.reason !== i.condition ? ': ' + i.reason : '') })]);
  }), 'none configured');
}

function renderModelsAndPlan(st) {
  listOrNone($('models'), st.models.map(function (m) {
    return h('li', null, [h('strong', { text: m.id }), h('span', { text: m.version ? 'v' + m.version : '' }), h('span', { class: 'type', text: m.state || '' })]);
  }), 'none configured');
  var plan = st.plan;
  var item = !plan ? h('li', { class: 'none', text: 'no plan running' }) : h('li', null, [
    h('strong', { text: plan.name || plan.id }), h('span', { class: 'type', text: plan.state ? ' ' + plan.state : '' }),
    h('div', { class: 'ev-detail', text: [plan.stepsTotal !== null ? 'step ' + plan.stepsDone + ' of ' + plan.stepsTotal : null,
      plan.progress !== null ? Math.round(plan.progress * 100) + ' %' : null,
      plan.elapsedMs !== null ? duration(plan.elapsedMs) + (plan.estimatedMs ? ' of ~' + duration(plan.estimatedMs) : '') : null]
      .filter(Boolean).join(' · ') }),
    plan.progress !== null ? h('progress', { class: 'progress', max: 1, value: plan.progress }) : null]);
  $('plan').replaceChildren(h('ul', { class: 'rows' }, [item]));
}

var EVENT_CLASS = { 'interlock.tripped': 'fail', 'device.error': 'fail', 'actuator.failed': 'fail', 'watchdog.tripped': 'fail',
  'data.dropped': 'fail', 'command.rejected': 'warn', 'interlock.cleared': 'ok', 'device.recovered': 'ok' };

function details(obj, skip) {
  return Object.keys(obj).filter(function (k) { return skip.indexOf(k) < 0; }).map(function (k) {
    var v = obj[k];
    var text = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    return k + '=' + (text.length > 80 ? text.slice(0, 77) + '…' : text);
  }).join(' ');
}

function eventRow(e) {
  return h('li', null, [h('time', { text: clock(e.t) }), h('span', { class: 'ev-type ' + (EVENT_CLASS[e.type] || ''), text: e.type }),
    h('span', { class: 'ev-detail', text: details(e, ['t', 'type']) })]);
}

function replyRow(r) {
  var text = r.ok ? details(r.result && typeof r.result === 'object' ? r.result : { result: r.result }, []) : r.error.message;
  return h('li', null, [h('time', { text: clock(r.ts) }), h('span', { class: 'ev-type ' + (r.ok ? 'ok' : 'fail'), text: (r.ok ? 'ok ' : r.error.code + ' ') }),
    h('span', { class: 'type', text: (r.origin === 'local' ? 'this page' : 'remote') + ' · ' + (r.id || 'no id') }), h('span', { class: 'ev-detail', text: text })]);
}

function renderLog(el, items, row, none) { listOrNone(el, items.map(row), none); }

connect();
setInterval(renderFeed, 1000);
`;
