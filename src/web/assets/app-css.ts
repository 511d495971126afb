/**
 * The page's stylesheet: one column on a phone, a grid on a laptop; light or dark
 * as the device prefers. State colours carry the meaning (green working, amber look,
 * red fault), always with a word beside them for colour-blind eyes.
 */
export const APP_CSS = `
:root {
  --bg: #f4f5f7; --card: #fff; --ink: #1b1f24; --muted: #5d6773; --line: #d9dde3;
  --ok: #1a7f37; --ok-bg: #dcf3e3; --warn: #9a5b00; --warn-bg: #fff0cc; --fail: #b42318; --fail-bg: #fde2df;
  --idle: #6b7280; --idle-bg: #eceef1; --plot: #2563eb;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --card: #1b2027; --ink: #e6e9ed; --muted: #9aa4b0; --line: #2e353f;
    --ok: #4ac26b; --ok-bg: #14361f; --warn: #e3a008; --warn-bg: #3a2c05; --fail: #f47067; --fail-bg: #42120f;
    --idle: #9aa4b0; --idle-bg: #262c34; --plot: #6ea8fe;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
main { padding: 0 16px 24px; max-width: 1280px; margin: 0 auto; }
h1 { font-size: 1.25rem; margin: 0; overflow-wrap: anywhere; }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 20px 0 8px; }
h3 { font-size: 1rem; margin: 0; }
code { font-size: .9em; }
.top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; justify-content: space-between;
  padding: 12px 16px; background: var(--card); border-bottom: 4px solid var(--idle); }
.top.state-ok { border-color: var(--ok); } .top.state-warn { border-color: var(--warn); } .top.state-fail { border-color: var(--fail); }
.meta { color: var(--muted); font-size: .85rem; }
.top-right { display: flex; align-items: center; gap: 12px; }
.pill { font-weight: 700; padding: 6px 14px; border-radius: 999px; background: var(--idle-bg); color: var(--idle); white-space: nowrap; }
.pill.ok { background: var(--ok-bg); color: var(--ok); } .pill.warn { background: var(--warn-bg); color: var(--warn); }
.pill.fail { background: var(--fail-bg); color: var(--fail); }
.feed { font-size: .8rem; color: var(--muted); display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--idle); display: inline-block; }
.feed.live .dot { background: var(--ok); } .feed.down .dot { background: var(--fail); }
.feed.down { color: var(--fail); font-weight: 600; }
body.stale .num, body.stale .tile-value, body.stale svg { opacity: .35; }
.reasons { list-style: none; margin: 12px 0 0; padding: 0; }
.reasons li { padding: 6px 10px; border-radius: 6px; margin-bottom: 4px; font-size: .9rem; }
.reasons .fail { background: var(--fail-bg); color: var(--fail); } .reasons .warn { background: var(--warn-bg); color: var(--warn); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 10px; margin-top: 12px; }
.tile, .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px; min-width: 0; }
.tile { border-left-width: 5px; }
.tile.ok { border-left-color: var(--ok); } .tile.warn { border-left-color: var(--warn); }
.tile.fail { border-left-color: var(--fail); } .tile.idle { border-left-color: var(--idle); }
.tile-label { font-size: .75rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.tile-value { font-size: 1.35rem; font-weight: 700; margin: 2px 0; }
.tile.ok .tile-value { color: var(--ok); } .tile.warn .tile-value { color: var(--warn); } .tile.fail .tile-value { color: var(--fail); }
.tile-line { font-size: .82rem; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px; }
.card header { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin-bottom: 8px; }
.type { color: var(--muted); font-size: .8rem; }
.badge { margin-left: auto; font-size: .75rem; font-weight: 700; padding: 2px 8px; border-radius: 999px; }
.badge.ok { background: var(--ok-bg); color: var(--ok); } .badge.fail { background: var(--fail-bg); color: var(--fail); }
.badge.warn { background: var(--warn-bg); color: var(--warn); } .badge.idle { background: var(--idle-bg); color: var(--idle); }
.channel { display: grid; grid-template-columns: 1fr auto; align-items: baseline; gap: 0 8px;
  padding: 8px 0; border-top: 1px solid var(--line); }
.ch-name { color: var(--muted); font-size: .85rem; }
.ch-value { text-align: right; white-space: nowrap; }
.num { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.unit { color: var(--muted); margin-left: 4px; }
.channel.bad .num { color: var(--fail); font-size: 1.1rem; }
.backlog-plot { width: 100%; height: 28px; display: block; margin-top: 4px; }
.channel svg { grid-column: 1 / -1; width: 100%; height: 48px; display: block; }
.spark-line { fill: none; stroke: var(--plot); stroke-width: 1.8; vector-effect: non-scaling-stroke; }
.spark-last { fill: var(--plot); }
.spark-base { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }
.ch-range, .dev-foot, .envelope, .result { font-size: .78rem; color: var(--muted); grid-column: 1 / -1; overflow-wrap: anywhere; }
.ch-error { color: var(--fail); font-size: .8rem; grid-column: 1 / -1; }
.dev-foot { border-top: 1px solid var(--line); padding-top: 6px; }
.meter { width: 100%; height: 14px; display: block; margin: 6px 0; }
.meter-track { fill: var(--idle-bg); } .meter-bar { fill: var(--plot); } .meter-safe { stroke: var(--ok); stroke-width: 2; }
.act-value { display: flex; align-items: baseline; gap: 8px; }
.control { display: flex; gap: 6px; margin-top: 8px; flex-wrap: wrap; }
.control input { flex: 1; min-width: 90px; }
input, button { font: inherit; padding: 6px 10px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--ink); }
button { background: var(--plot); color: #fff; border-color: var(--plot); cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
.result.error { color: var(--fail); } .result.okay { color: var(--ok); }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0 16px; }
.rows { list-style: none; margin: 0; padding: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
.rows li { padding: 8px 12px; border-top: 1px solid var(--line); display: flex; gap: 8px; flex-wrap: wrap; align-items: baseline; }
.rows li:first-child { border-top: 0; }
.rows .none, .none { color: var(--muted); font-style: italic; }
.log { max-height: 360px; overflow-y: auto; }
.log time { color: var(--muted); font-variant-numeric: tabular-nums; font-size: .82rem; }
.ev-type { font-weight: 600; font-size: .85rem; }
.ev-type.fail { color: var(--fail); } .ev-type.ok { color: var(--ok); } .ev-type.warn { color: var(--warn); }
.ev-detail { color: var(--muted); font-size: .82rem; overflow-wrap: anywhere; flex-basis: 100%; }
.state { font-weight: 700; font-size: .8rem; }
.state.ok { color: var(--ok); } .state.fail { color: var(--fail); }
#plan .rows li { display: block; }
.progress { width: 100%; height: 8px; }
footer { color: var(--muted); font-size: .75rem; padding: 8px 16px 24px; text-align: center; overflow-wrap: anywhere; }
.login { max-width: 380px; margin: 12vh auto; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px; }
.login form { display: grid; gap: 8px; margin-top: 12px; }
.login .error { color: var(--fail); font-weight: 600; }
@media (max-width: 480px) {
  main { padding: 0 10px 20px; }
  .top { padding: 10px; }
  .grid, .columns { grid-template-columns: 1fr; }
  .tiles { grid-template-columns: 1fr 1fr; }
  .tile-value { font-size: 1.1rem; }
  .tile-line { font-size: .75rem; }
}
`;
