import { createHash } from "node:crypto";

/*
 * The one style sheet and the one script of the HTML report. Both are constants so that the page's
 * Content-Security-Policy can allow exactly these two by hash and nothing else: a script or style
 * that reached the page any other way (a repository name, a reason) is refused by the browser.
 */

export const STYLE = `
:root{--met:#1a7f37;--partial:#9a6700;--gap:#cf222e;--unknown:#57606a;--na:#8c959f;--attested:#8250df;--none:#eaeef2;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--panel:#f6f8fa;--focus:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:var(--ink);background:var(--bg)}
a{color:#0550ae}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:6px 10px;z-index:10}
.skip:focus{left:8px}
header.top{padding:16px 28px 12px;border-bottom:1px solid var(--line);background:var(--panel)}
header.top h1{font-size:20px;margin:0 0 4px}
.meta{color:var(--muted);margin:0}
.session{float:right;display:flex;gap:8px;align-items:center;color:var(--muted)}
.session form{margin:0}
button{font:inherit;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer}
main{padding:12px 28px 40px}
h2{font-size:17px;margin:18px 0 6px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
h4{font-size:13px;margin:14px 0 4px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
.totals{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0 0;padding:0;list-style:none}
.totals li{border:1px solid var(--line);border-radius:6px;padding:4px 10px;background:#fff}
.b{display:inline-flex;align-items:center;gap:4px;font-weight:600;white-space:nowrap;border-radius:10px;padding:0 8px;border:1px solid currentColor;font-size:12px;line-height:18px}
.s-met{color:var(--met)}.s-partial{color:var(--partial)}.s-gap{color:var(--gap)}.s-unknown{color:var(--unknown)}.s-not_applicable{color:var(--na)}.s-attested{color:var(--attested)}
.filters{display:flex;flex-wrap:wrap;gap:8px 18px;align-items:flex-end;padding:8px 12px;margin:12px 0;border:1px solid var(--line);border-radius:8px;background:var(--panel)}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:8px;flex-wrap:wrap}
.filters legend,.filters label.t{display:block;font-weight:600;font-size:12px;margin-bottom:2px}
.filters select,.filters input[type=search]{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px;min-width:12em;max-width:18em}
.filters output{color:var(--muted);margin-left:auto}
.no-js .filters{display:none}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);font-weight:600}
.wrap{overflow:auto;max-height:70vh;border:1px solid var(--line);border-radius:8px}
.mx{width:auto}
.mx th,.mx td{border:1px solid var(--line);padding:0}
.mx thead th{position:sticky;top:0;background:var(--panel);z-index:2;padding:4px 6px;text-align:center;white-space:nowrap}
.mx tbody th{position:sticky;left:0;background:#fff;z-index:1;padding:2px 8px;white-space:nowrap;font-weight:500;color:var(--ink)}
.mx td a{display:block;min-width:38px;text-align:center;text-decoration:none;font-weight:700;line-height:24px;position:relative}
.mx td:empty::after{content:"·";display:block;text-align:center;color:var(--na)}
.mx td[data-s=met]{background:#dafbe1}.mx td[data-s=partial]{background:#fff8c5}.mx td[data-s=gap]{background:#ffebe9}.mx td[data-s=unknown]{background:#eaeef2}.mx td[data-s=not_applicable]{background:#fff}.mx td[data-s=attested]{background:#fbefff}
.mx td[data-s=met] a{color:var(--met)}.mx td[data-s=partial] a{color:var(--partial)}.mx td[data-s=gap] a{color:var(--gap)}.mx td[data-s=unknown] a{color:var(--unknown)}.mx td[data-s=not_applicable] a{color:var(--na)}.mx td[data-s=attested] a{color:var(--attested)}
.mx td a:focus-visible::after{content:attr(title);position:absolute;left:50%;top:100%;transform:translateX(-50%);z-index:5;width:320px;white-space:normal;text-align:left;font-weight:400;background:#1f2328;color:#fff;padding:6px 8px;border-radius:6px;line-height:1.4}
.mx tr.org th{font-style:italic}
.hist{display:block}
.hist .h-met{fill:var(--met)}.hist .h-partial{fill:#d4a72c}.hist .h-gap{fill:var(--gap)}.hist .h-unknown{fill:#8c959f}.hist .h-not_applicable{fill:#d1d9e0}.hist .h-attested{fill:var(--attested)}.hist .h-none{fill:var(--none)}
details.claim{border:1px solid var(--line);border-radius:8px;margin:10px 0;background:#fff}
details.claim>summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:baseline;list-style:none}
details.claim>summary::-webkit-details-marker{display:none}
details.claim>summary::before{content:"▸";color:var(--muted)}
details.claim[open]>summary::before{content:"▾"}
details.claim>summary .id{font-weight:700;min-width:3.5em}
details.claim>.body{padding:0 14px 12px}
blockquote{margin:8px 0;padding:4px 12px;border-left:4px solid var(--line);color:var(--muted)}
.changes{margin:6px 0;padding-left:18px}
.note{color:var(--muted)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--panel);padding:0 3px;border-radius:4px;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0;padding:0;list-style:none;color:var(--muted)}
[hidden]{display:none!important}
body[data-fp="1.2"] [data-p]:not([data-p="1.2"]),body[data-fp="1.3"] [data-p]:not([data-p="1.3"]),body[data-fp="2.1"] [data-p]:not([data-p="2.1"]),body[data-fp="2.2"] [data-p]:not([data-p="2.2"]){display:none}
@media print{
  .filters,.session,.skip,.noprint{display:none!important}
  header.top{background:none}
  .wrap{max-height:none;overflow:visible;border:0}
  .mx thead th,.mx tbody th{position:static}
  details.claim{break-inside:auto;border:0;border-top:1px solid var(--line);border-radius:0}
  details.claim::details-content{content-visibility:visible;display:block}
  details.claim>summary::before{content:""}
  a{color:inherit}
  body{font-size:11px}
  .mx td,.hist rect,.b{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
`;

export const SCRIPT = `
(function () {
  "use strict";
  var body = document.body;
  body.classList.remove("no-js");
  var principle = document.getElementById("f-principle");
  var repo = document.getElementById("f-repo");
  var statusBoxes = Array.prototype.slice.call(document.querySelectorAll("input[name=f-status]"));
  var count = document.getElementById("f-count");
  var claims = Array.prototype.slice.call(document.querySelectorAll("[data-claim]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-repo]"));
  function apply() {
    var p = principle.value;
    if (p) body.setAttribute("data-fp", p); else body.removeAttribute("data-fp");
    var wanted = {};
    statusBoxes.forEach(function (b) { if (b.checked) wanted[b.value] = true; });
    var shownClaims = 0;
    claims.forEach(function (el) {
      var show = wanted[el.getAttribute("data-s")] === true;
      el.hidden = !show;
      if (show && el.tagName === "DETAILS" && (!p || el.getAttribute("data-p") === p)) shownClaims += 1;
    });
    var q = repo.value.trim().toLowerCase();
    var shownRepos = {};
    rows.forEach(function (r) {
      var name = r.getAttribute("data-repo");
      var whole = name === "";
      var show = whole || !q || name.toLowerCase().indexOf(q) >= 0;
      if (show && r.parentNode.parentNode.classList.contains("mx")) {
        show = Array.prototype.some.call(r.querySelectorAll("td[data-s]"), function (c) {
          return wanted[c.getAttribute("data-s")] === true && (!p || c.getAttribute("data-p") === p);
        });
        if (show && !whole) shownRepos[name] = true;
      }
      r.hidden = !show;
    });
    var repos = Object.keys(shownRepos).length;
    count.value = shownClaims + (shownClaims === 1 ? " claim, " : " claims, ") + repos + (repos === 1 ? " repository" : " repositories") + " shown";
  }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.hidden = false; el.open = true; }
  }
  principle.addEventListener("change", apply);
  repo.addEventListener("input", apply);
  statusBoxes.forEach(function (b) { b.addEventListener("change", apply); });
  window.addEventListener("hashchange", openTarget);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  openTarget();
  apply();
})();
`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/**
 * The page allows its own style sheet and script by hash, nothing from anywhere else (no fonts,
 * images or connections), and forms only back to the app. `frame-ancestors` has effect only as a
 * header, so the served page sends it there.
 */
export function contentSecurityPolicy(where: "header" | "meta"): string {
  const policy = ["default-src 'none'", `style-src ${hash(STYLE)}`, `script-src ${hash(SCRIPT)}`, "img-src 'none'", "base-uri 'none'", "form-action 'self'"];
  if (where === "header") policy.push("frame-ancestors 'none'");
  return policy.join("; ");
}
