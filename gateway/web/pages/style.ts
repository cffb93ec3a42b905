/** The UI's only stylesheet, served from /ui/assets/style.css (the CSP allows no inline style). */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #57606a; --line: #d0d7de; --accent: #0550ae; --add: #dafbe1; --del: #ffebe9; --warn: #9a6700; --bad: #cf222e; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --accent: #4493f8; --add: #12361f; --del: #4b1619; --warn: #d29922; --bad: #f85149; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; }
header.top { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; padding: 8px 24px; border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; margin-right: auto; }
header.top nav ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; }
header.top form { margin: 0; }
main { padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: 8px 0 16px; } h2 { font-size: 1.2rem; margin: 24px 0 8px; } h3 { font-size: 1rem; margin: 16px 0 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.state { display: inline-block; padding: 0 8px; border-radius: 12px; border: 1px solid var(--line); font-size: 13px; }
.state-pending { color: var(--warn); border-color: var(--warn); } .state-approved, .state-used { color: var(--ok); border-color: var(--ok); } .state-denied, .state-expired, .state-cancelled { color: var(--bad); border-color: var(--bad); }
.notice { padding: 8px 12px; border: 1px solid var(--line); border-left: 4px solid var(--accent); margin: 12px 0; }
.notice.error { border-left-color: var(--bad); } .notice.ok { border-left-color: var(--ok); }
.diff { border: 1px solid var(--line); margin: 8px 0 16px; }
.diff .hunk { color: var(--muted); background: color-mix(in srgb, var(--accent) 8%, transparent); padding: 0 8px; }
.diff .line { display: block; padding: 0 8px; }
.diff .add { background: var(--add); } .diff .del { background: var(--del); }
.diff .num { display: inline-block; width: 4ch; color: var(--muted); user-select: none; text-align: right; margin-right: 1ch; }
form.decide { display: grid; gap: 8px; max-width: 640px; padding: 12px; border: 1px solid var(--line); margin: 12px 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; }
form.filters label, form.decide label, form.login label { display: block; font-weight: 600; }
input, select, textarea { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
textarea { width: 100%; min-height: 4em; }
button, .button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }
button.approve { background: var(--ok); color: #fff; border-color: var(--ok); } button.deny { background: var(--bad); color: #fff; border-color: var(--bad); }
.login { max-width: 420px; } .login section { border: 1px solid var(--line); padding: 12px 16px; margin: 12px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; } dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
`;
