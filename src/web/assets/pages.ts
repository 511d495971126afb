/**
 * The two HTML documents: the status page (a skeleton `app.js` fills from the live
 * feed) and the login form shown when a token is required. The page sources live
 * in TypeScript string modules so plain `tsc` puts them in dist/ with the code:
 * there is no bundler and no copy step, and nothing is fetched from elsewhere.
 */

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const head = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">`;

export function statusPage(): string {
  return `${head('benchloop status')}
<script src="app.js" defer></script>
</head>
<body class="connecting">
<header class="top" id="top">
  <div class="ident">
    <h1 id="node-name">benchloop</h1>
    <div class="meta" id="node-meta">connecting…</div>
  </div>
  <div class="top-right">
    <div class="pill" id="overall">…</div>
    <div class="feed" id="feed"><span class="dot"></span><span id="feed-text">connecting</span></div>
  </div>
</header>
<main>
  <ul class="reasons" id="reasons"></ul>
  <section class="tiles" aria-label="summary">
    <div class="tile" id="tile-link"></div>
    <div class="tile" id="tile-outbox"></div>
    <div class="tile" id="tile-devices"></div>
    <div class="tile" id="tile-interlocks"></div>
  </section>
  <section>
    <h2>Devices</h2>
    <div class="grid" id="devices"><p class="none">waiting for the node…</p></div>
  </section>
  <section>
    <h2>Actuators</h2>
    <div class="grid" id="actuators"></div>
  </section>
  <section class="columns">
    <div>
      <h2>Interlocks</h2>
      <ul class="rows" id="interlocks"></ul>
    </div>
    <div>
      <h2>Models</h2>
      <ul class="rows" id="models"></ul>
      <h2>Plan</h2>
      <div id="plan"></div>
    </div>
  </section>
  <section class="columns">
    <div>
      <h2>Recent events</h2>
      <ol class="rows log" id="events"></ol>
    </div>
    <div>
      <h2>Command replies</h2>
      <ol class="rows log" id="replies"></ol>
    </div>
  </section>
</main>
<footer id="foot"></footer>
</body>
</html>
`;
}

export function loginPage(message?: string): string {
  return `${head('benchloop: token required')}
</head>
<body>
<main class="login">
  <h1>benchloop</h1>
  <p>This node's status page needs its access token (the file named by <code>web.tokenFile</code> in its config).</p>
  ${message ? `<p class="error" id="login-error">${escapeHtml(message)}</p>` : ''}
  <form method="post" action="login">
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Open the status page</button>
  </form>
</main>
</body>
</html>
`;
}
